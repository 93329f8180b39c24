"""The allow-list, the policy, what the middleware observed, and who changed what.

Each field's check is a validator on the field; the rules that look beyond one field are in
cors_gate.services, which every channel writes through. `clean()` and a direct `save()` hand
over to the same services, so the admin, the commands, the API and the Django shell all refuse
the same bad input with the same one-line messages, and every change is recorded.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cors_gate import conf
from cors_gate.browser_limits import CHROMIUM_MAX_AGE_CAP, FIREFOX_MAX_AGE_CAP
from cors_gate.http_tokens import is_token
from cors_gate.origins import OriginError, OriginPattern, parse_pattern
from cors_gate.regex_tree import nested_repeat

# utf8mb4 uses up to 4 bytes a character; 300 characters keep the unique index within
# InnoDB's 3072-byte key limit on MariaDB/MySQL. The longest valid entry is 267 characters.
PATTERN_MAX_LENGTH = 300
OBSERVED_ORIGIN_MAX_LENGTH = 512
# The largest max_age any channel accepts (a signed 32-bit integer, on every database).
MAX_AGE_LIMIT = 2**31 - 1


# Bounds on the policy's name lists. Every preflight answer carries the whole list, and a
# reverse proxy must hold all response headers in one buffer (nginx's proxy_buffer_size is
# 4 KB or 8 KB by default; a larger header block is a 502), so a list stays well inside that.
MAX_LIST_NAMES = 100
MAX_LIST_CHARS = 2048  # the header value: the names joined with ", "
MAX_PATHS = 100
MAX_PATH_LENGTH = 500
URLS_REGEX_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 255
# The policy's modes, in the order every channel lists them (CorsPolicy.MODES labels them).
MODE_NAMES = ("enforce", "report-only", "off")


def text_problem(value: str, *, one_line: bool = True) -> str | None:
    """Why a text cannot be stored and shown again, or None.

    A lone surrogate (a JSON "\\ud800" escape, or a command argument that was not UTF-8)
    cannot be encoded as UTF-8: stored, it would break every page and command that prints it.
    """
    for ch in value:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return gettext(
                "contains U+%(code)04X, which is not a character (is the input UTF-8?)"
            ) % {"code": code}
        if one_line and (code < 0x20 or 0x7F <= code <= 0x9F) and ch != "\t":
            return gettext("must be one line without control characters (found U+%(code)04X)") % {
                "code": code
            }
    return None


def safe_text(value: str) -> str:
    """`value` with anything UTF-8 cannot encode written as a backslash escape, for display.

    A JSON column stores a lone surrogate as a "\\ud800" escape, so a row written before
    the write paths refused them can still hold one; showing it must not fail.
    """
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted for an error message: repr (so nothing unprintable) and cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def too_broad(pattern: OriginPattern) -> str | None:
    """What a pattern lets in beyond one site ("allows every origin", ...), or None.

    A wildcard's fixed part (the labels after its last '*') must name a site: when it is
    empty (`https://*.*`) or a public suffix (`https://*.com`, `https://*.co.uk`, per the
    Public Suffix List), anyone can register a host it matches.
    """
    if pattern.matches_any_origin:
        return gettext("allows every origin")
    labels = pattern.labels
    if "*" not in labels:
        return None
    last = max(i for i, label in enumerate(labels) if label == "*")
    fixed = ".".join(labels[last + 1 :])
    if not fixed:
        return gettext("allows every site (its wildcard can be any top-level domain)")
    from cors_gate.csrf import public_suffix_list  # the request path's copy, parsed once

    if public_suffix_list().is_public(fixed, accept_unknown=False):
        return gettext("allows every site under the public suffix %(suffix)s") % {
            "suffix": repr(fixed)
        }
    return None


def initial_mode() -> str:
    """Default for CorsPolicy.mode: see cors_gate.conf.initial_mode."""
    return conf.initial_mode()


# --- field validators ---------------------------------------------------------------------
#
# One check per field, attached to the model field: the admin's forms run it (full_clean), the
# API's serializers list it as a field validator, and cors_gate.services runs it for every
# channel. Each raises a ValidationError with one message; the caller names the field. The
# `clean_*` forms also return the value normalised (lists from comma-separated text,
# duplicates dropped). Rules that look beyond one field live in cors_gate.services.


def validate_pattern(value: Any) -> None:
    """An allow-list entry in the grammar of cors_gate.origins."""
    try:
        parse_pattern(value)
    except OriginError as exc:
        raise ValidationError(str(exc)) from None


def validate_note(value: Any) -> None:
    """A rule's note: one line of text within the column's length."""
    if not isinstance(value, str):
        raise ValidationError(f"must be text, not {type(value).__name__}")
    if len(value) > NOTE_MAX_LENGTH:
        raise ValidationError(f"is {len(value)} characters long (at most {NOTE_MAX_LENGTH})")
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem)


def _as_items(value: Any) -> Any:
    """A list field's value with comma-separated text split into its items."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def clean_paths(paths: Any) -> list[str]:
    """Path prefixes a rule may reach: a list of strings starting with '/', duplicates
    dropped (comma-separated text is split)."""
    if paths in (None, ""):
        return []
    paths = _as_items(paths)
    if not isinstance(paths, list | tuple):
        raise ValidationError("must be a list of URL path prefixes such as /api/")
    if len(paths) > MAX_PATHS:
        raise ValidationError(
            gettext("has %(n)d entries (at most %(max)d)") % {"n": len(paths), "max": MAX_PATHS}
        )
    cleaned: list[str] = []
    for path in paths:
        _check_path(path)
        if path not in cleaned:
            cleaned.append(path)
    return cleaned


def _check_path(path: Any) -> None:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValidationError(f"{shown(path)} must be a URL path starting with '/'")
    problem = text_problem(path)
    if problem:
        raise ValidationError(f"{shown(path)} {problem}")
    if len(path) > MAX_PATH_LENGTH:
        raise ValidationError(
            gettext("%(path)s is longer than %(max)d characters")
            % {"path": shown(path), "max": MAX_PATH_LENGTH}
        )
    if any(ch.isspace() or ch in "?#" for ch in path):
        raise ValidationError(f"{shown(path)} must be a plain path (no spaces, ? or #)")


def validate_paths(value: Any) -> None:
    clean_paths(value)


def clean_names(values: Any, *, kind: str = "header name") -> list[str]:
    """A list of HTTP tokens (header names or methods, methods upper-cased), de-duplicated
    case-insensitively (comma-separated text is split)."""
    if values in (None, ""):
        return []
    values = _as_items(values)
    if not isinstance(values, list | tuple):
        raise ValidationError(f"must be a list of {kind}s")
    if len(values) > MAX_LIST_NAMES:
        raise ValidationError(
            gettext("has %(n)d names (at most %(max)d)") % {"n": len(values), "max": MAX_LIST_NAMES}
        )
    cleaned: dict[str, str] = {}  # lower-case name -> the name as kept
    for value in values:
        _check_name(value, kind)
        cleaned.setdefault(value.lower(), value.upper() if kind == "method" else value)
    names = list(cleaned.values())
    size = len(", ".join(names))
    if size > MAX_LIST_CHARS:
        raise ValidationError(
            gettext(
                "is %(size)d characters as a header value (at most %(max)d: the whole "
                "list is sent on every preflight answer)"
            )
            % {"size": size, "max": MAX_LIST_CHARS}
        )
    return names


def _check_name(value: Any, kind: str) -> None:
    if not isinstance(value, str) or not is_token(value):
        raise ValidationError(
            gettext("%(value)s is not a valid %(kind)s (an RFC 9110 token)")
            % {"value": shown(value), "kind": kind}
        )
    if value == "*":
        raise ValidationError("'*' is a literal name for credentialed requests; list the names")


def validate_header_names(value: Any) -> None:
    clean_names(value)


def validate_methods(value: Any) -> None:
    clean_names(value, kind="method")


def validate_urls_regex(value: Any) -> None:
    """Which request paths are CORS-handled: a regular expression Python can compile."""
    if not isinstance(value, str):
        raise ValidationError(gettext("must be a regular expression (text)"))
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem)
    if len(value) > URLS_REGEX_MAX_LENGTH:
        raise ValidationError(
            gettext("is %(n)d characters long (at most %(max)d)")
            % {"n": len(value), "max": URLS_REGEX_MAX_LENGTH}
        )
    try:
        compiled = re.compile(value)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValidationError(f"is not a valid regular expression ({exc})") from None
    # Matched against the path of every request, which anyone chooses: a shape that can
    # backtrack exponentially would let one crafted URL hold a worker for minutes.
    if nested_repeat(compiled):
        raise ValidationError(
            gettext(
                "repeats a part that itself repeats or chooses, as in (a+)+ or (a|ab)*: "
                "matching it can take exponential time on a crafted path; write it without "
                "the nested repetition"
            )
        )


def validate_max_age(value: Any) -> None:
    """Seconds a browser may cache a preflight: a whole number, 0 (no header) or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"must be a whole number of seconds, not {shown(value)}")
    if value < 0:
        raise ValidationError("is negative (0 sends no header)")
    if value > MAX_AGE_LIMIT:
        raise ValidationError(
            gettext("is too large (at most %(max)d seconds)") % {"max": MAX_AGE_LIMIT}
        )


def validate_mode(value: Any) -> None:
    """The policy's mode (the field's choices, with cors_gate's message for services)."""
    if value not in MODE_NAMES:
        raise ValidationError(f"{shown(value)} is not one of {', '.join(MODE_NAMES)}")


def _staff_user(verbose_name: Any) -> models.ForeignKey[Any, Any]:
    """Who made a change: kept when the user is deleted (the row stays, the link goes)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class AllowedOrigin(models.Model):
    """One allow-list entry in the grammar of cors_gate.origins."""

    pattern = models.CharField(
        _("pattern"),
        max_length=PATTERN_MAX_LENGTH,
        unique=True,
        validators=[validate_pattern],
        help_text=_(
            "PROTOCOL://HOST[:PORT], e.g. https://apps.example.com or https://*.example.com"
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    note = models.CharField(
        _("note"), max_length=NOTE_MAX_LENGTH, blank=True, default="", validators=[validate_note]
    )
    paths = models.JSONField(
        _("paths"),
        default=list,
        blank=True,
        validators=[validate_paths],
        help_text=_("URL path prefixes this origin may reach; empty means every CORS path."),
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    csrf_trusted = models.BooleanField(
        _("csrf trusted"),
        default=False,
        help_text=_("Also trust this origin in CSRF origin checks (https origins only)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = _staff_user(_("created by"))
    updated_by = _staff_user(_("updated by"))

    class Meta:
        ordering = ("pattern",)
        verbose_name = _("allowed origin")
        verbose_name_plural = _("allowed origins")

    def __str__(self) -> str:
        return self.pattern

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def clean(self) -> None:
        """Normalise the pattern and paths, and apply the rules beyond one field (kept in
        cors_gate.services, which every channel's writes go through)."""
        from cors_gate.services import check_origin

        check_origin(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A save outside cors_gate.services (the Django shell, another app's code): checked
        like every channel's, and recorded in the change record as the "shell" channel, so
        nothing invalid reaches the table and no change goes unrecorded."""
        from cors_gate.services import save_directly

        save_directly(self, *args, **kwargs)


class CorsPolicy(models.Model):
    """The single policy row: how the gate behaves for every allowed origin."""

    MODE_ENFORCE, MODE_REPORT_ONLY, MODE_OFF = MODE_NAMES
    MODES = [
        (MODE_ENFORCE, _("enforce")),
        (MODE_REPORT_ONLY, _("report-only (decide and record, change nothing)")),
        (MODE_OFF, _("off")),
    ]

    mode = models.CharField(_("mode"), max_length=16, choices=MODES, default=initial_mode)
    allow_null_origin = models.BooleanField(
        _("allow null origin"),
        default=False,
        help_text=_("Allow 'Origin: null' (sandboxed iframes, file: pages)."),
    )
    allow_credentials = models.BooleanField(
        _("allow credentials"),
        default=True,
        help_text=_("Send Access-Control-Allow-Credentials: true (cookies)."),
    )
    max_age = models.PositiveIntegerField(
        _("max age"),
        default=0,
        validators=[validate_max_age],
        help_text=_("Seconds a browser may cache a preflight; 0 sends no header."),
    )
    exposed_headers = models.JSONField(
        _("exposed headers"), default=list, blank=True, validators=[validate_header_names]
    )
    allowed_methods = models.JSONField(
        _("allowed methods"),
        default=list,
        blank=True,
        validators=[validate_methods],
        help_text=_("Empty: mirror Access-Control-Request-Method."),
    )
    allowed_headers = models.JSONField(
        _("allowed headers"),
        default=list,
        blank=True,
        validators=[validate_header_names],
        help_text=_("Empty: mirror Access-Control-Request-Headers."),
    )
    urls_regex = models.CharField(
        _("urls regex"),
        max_length=URLS_REGEX_MAX_LENGTH,
        default=r"^.*$",
        validators=[validate_urls_regex],
        help_text=_("Which request paths are CORS-handled."),
    )
    allow_private_network = models.BooleanField(_("allow private network"), default=False)
    # Changes whenever any rule or the policy changes; processes compare it to their snapshot.
    revision = models.CharField(_("revision"), max_length=32, default="", editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = _staff_user(_("updated by"))

    class Meta:
        verbose_name = _("CORS policy")
        verbose_name_plural = _("CORS policy")

    def __str__(self) -> str:
        return f"CORS policy ({self.mode})"

    @classmethod
    def load(cls) -> CorsPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    @classmethod
    def credentials_on(cls) -> bool:
        row = cls.objects.filter(pk=1).values_list("allow_credentials", flat=True).first()
        return True if row is None else bool(row)

    def max_age_warning(self) -> str | None:
        if self.max_age > CHROMIUM_MAX_AGE_CAP:
            return (
                f"max_age {self.max_age} s is above {CHROMIUM_MAX_AGE_CAP} s: Chromium caps "
                f"preflight caching at {CHROMIUM_MAX_AGE_CAP} s (Firefox at "
                f"{FIREFOX_MAX_AGE_CAP} s)"
            )
        return None

    def clean(self) -> None:
        """Normalise the lists and apply the rules beyond one field (kept in
        cors_gate.services, which every channel's writes go through)."""
        from cors_gate.services import check_policy

        check_policy(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A save outside cors_gate.services: checked, and recorded as the "shell" channel
        when it changes anything (see AllowedOrigin.save)."""
        from cors_gate.services import save_directly

        self.pk = 1  # one row, always
        save_directly(self, *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("the CORS policy cannot be deleted; set mode to 'off' instead")


def credentials_refusal(text: str, why: str) -> str:
    """The one message every channel gives for a too-broad pattern while credentials are on."""
    return gettext(
        "%(pattern)s %(why)s, and the policy sends credentials: anyone could run such a site "
        "and read signed-in users' data; name your own hosts (e.g. https://*.example.com)"
    ) % {"pattern": repr(text), "why": why}


class ObservedOrigin(models.Model):
    """What the middleware saw, per origin (report-only migration; see cors_gate.observe)."""

    origin = models.CharField(_("origin"), max_length=OBSERVED_ORIGIN_MAX_LENGTH, unique=True)
    would_allow = models.BooleanField(_("would allow"), default=False)
    count = models.PositiveBigIntegerField(_("count"), default=0)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    # Indexed: the table is cut back to its bound by least recent sighting after each flush.
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    last_path = models.CharField(_("last path"), max_length=500, blank=True, default="")
    last_method = models.CharField(_("last method"), max_length=16, blank=True, default="")

    class Meta:
        ordering = ("-last_seen",)
        verbose_name = _("observed origin")
        verbose_name_plural = _("observed origins")

    def __str__(self) -> str:
        return self.origin


class ChangeRecord(models.Model):
    """Who changed the allow-list or the policy, through which channel, and what changed."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = _staff_user(_("user"))
    channel = models.CharField(_("channel"), max_length=16)  # admin | command | api | shell
    action = models.CharField(
        _("action"), max_length=16
    )  # add | change | delete | enable | disable | import
    target = models.CharField(_("target"), max_length=16)  # origin | policy
    object_repr = models.CharField(_("object repr"), max_length=PATTERN_MAX_LENGTH)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ("-at",)
        verbose_name = _("change record")
        verbose_name_plural = _("change records")

    def __str__(self) -> str:
        who = self.user or self.channel
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.target} {self.object_repr}"
