"""The allow-list, the policy, what the middleware observed, and who changed what.

Validation lives on the models (`clean()` and `save()`), so the admin, the commands, the API
and the Django shell all refuse the same bad input with the same one-line messages.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from cors_gate import conf
from cors_gate.http_tokens import is_token
from cors_gate.origins import OriginError, parse_pattern

# utf8mb4 uses up to 4 bytes a character; 300 characters keep the unique index within
# InnoDB's 3072-byte key limit on MariaDB/MySQL. The longest valid entry is 267 characters.
PATTERN_MAX_LENGTH = 300
OBSERVED_ORIGIN_MAX_LENGTH = 512
CHROMIUM_MAX_AGE_CAP = 7200
# The largest max_age any channel accepts (a signed 32-bit integer, on every database).
MAX_AGE_LIMIT = 2**31 - 1


def initial_mode() -> str:
    """Default for CorsPolicy.mode: see cors_gate.conf.initial_mode."""
    return conf.initial_mode()


def validate_paths(paths: Any) -> list[str]:
    """Path prefixes a rule may reach: a list of strings starting with '/'."""
    if paths in (None, ""):
        return []
    if isinstance(paths, str):
        paths = [p.strip() for p in paths.split(",") if p.strip()]
    if not isinstance(paths, list | tuple):
        raise ValidationError({"paths": "must be a list of URL path prefixes such as /api/"})
    cleaned: list[str] = []
    for p in paths:
        if not isinstance(p, str) or not p.startswith("/"):
            raise ValidationError({"paths": f"{p!r} must be a URL path starting with '/'"})
        if any(ch.isspace() or ch in "?#" for ch in p):
            raise ValidationError({"paths": f"{p!r} must be a plain path (no spaces, ? or #)"})
        if p not in cleaned:
            cleaned.append(p)
    return cleaned


def validate_token_list(field: str, values: Any, *, kind: str = "header name") -> list[str]:
    """A list of HTTP tokens (header names or methods), de-duplicated case-insensitively."""
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, list | tuple):
        raise ValidationError({field: f"must be a list of {kind}s"})
    cleaned: list[str] = []
    seen: set[str] = set()
    for v in values:
        if not isinstance(v, str) or not is_token(v):
            raise ValidationError({field: f"{v!r} is not a valid {kind}"})
        if v == "*":
            raise ValidationError(
                {field: "'*' is a literal name for credentialed requests; list the names"}
            )
        key = v.lower()
        if key not in seen:
            seen.add(key)
            cleaned.append(v.upper() if kind == "method" else v)
    return cleaned


def validate_urls_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(
            {"urls_regex": f"is not a valid regular expression ({exc})"}
        ) from None
    return value


class AllowedOrigin(models.Model):
    """One allow-list entry in the grammar of cors_gate.origins."""

    pattern = models.CharField(
        max_length=PATTERN_MAX_LENGTH,
        unique=True,
        help_text="PROTOCOL://HOST[:PORT], e.g. https://apps.example.com or https://*.example.com",
    )
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=255, blank=True, default="")
    paths = models.JSONField(
        default=list,
        blank=True,
        help_text="URL path prefixes this origin may reach; empty means every CORS path.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    csrf_trusted = models.BooleanField(
        default=False,
        help_text="Also trust this origin in CSRF origin checks (https origins only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("pattern",)
        verbose_name = "allowed origin"

    def __str__(self) -> str:
        return self.pattern

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def clean(self) -> None:
        try:
            parsed = parse_pattern(self.pattern)
        except OriginError as exc:
            raise ValidationError({"pattern": str(exc)}) from None
        self.pattern = parsed.text
        self.paths = validate_paths(self.paths)
        if self.enabled and parsed.matches_any_origin and CorsPolicy.credentials_on():
            raise ValidationError(
                {
                    "pattern": (
                        f"{parsed.text!r} allows every origin, and the policy sends credentials: "
                        "that is the wildcard whitelist cors_gate replaces; list the origins"
                    )
                }
            )
        if self.csrf_trusted and parsed.scheme != "https":
            raise ValidationError({"csrf_trusted": "only https origins can be CSRF-trusted"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()  # nothing invalid reaches the table, whoever saves
        super().save(*args, **kwargs)


class CorsPolicy(models.Model):
    """The single policy row: how the gate behaves for every allowed origin."""

    MODE_ENFORCE = "enforce"
    MODE_REPORT_ONLY = "report-only"
    MODE_OFF = "off"
    MODES = [
        (MODE_ENFORCE, "enforce"),
        (MODE_REPORT_ONLY, "report-only (decide and record, change nothing)"),
        (MODE_OFF, "off"),
    ]

    mode = models.CharField(max_length=16, choices=MODES, default=initial_mode)
    allow_null_origin = models.BooleanField(
        default=False, help_text="Allow 'Origin: null' (sandboxed iframes, file: pages)."
    )
    allow_credentials = models.BooleanField(
        default=True, help_text="Send Access-Control-Allow-Credentials: true (cookies)."
    )
    max_age = models.PositiveIntegerField(
        default=0, help_text="Seconds a browser may cache a preflight; 0 sends no header."
    )
    exposed_headers = models.JSONField(default=list, blank=True)
    allowed_methods = models.JSONField(
        default=list, blank=True, help_text="Empty: mirror Access-Control-Request-Method."
    )
    allowed_headers = models.JSONField(
        default=list, blank=True, help_text="Empty: mirror Access-Control-Request-Headers."
    )
    urls_regex = models.CharField(
        max_length=500, default=r"^.*$", help_text="Which request paths are CORS-handled."
    )
    allow_private_network = models.BooleanField(default=False)
    # Changes whenever any rule or the policy changes; processes compare it to their snapshot.
    revision = models.CharField(max_length=32, default="", editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "CORS policy"
        verbose_name_plural = "CORS policy"

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
                f"max_age {self.max_age} s is above 7200 s: Chromium caps preflight caching "
                "at 7200 s (Firefox at 86400 s)"
            )
        return None

    def clean(self) -> None:
        if self.mode not in dict(self.MODES):
            raise ValidationError(
                {"mode": f"{self.mode!r} is not one of enforce, report-only, off"}
            )
        self.exposed_headers = validate_token_list("exposed_headers", self.exposed_headers)
        self.allowed_headers = validate_token_list("allowed_headers", self.allowed_headers)
        self.allowed_methods = validate_token_list(
            "allowed_methods", self.allowed_methods, kind="method"
        )
        self.urls_regex = validate_urls_regex(self.urls_regex)
        if self.allow_credentials:
            wide = [
                o.pattern
                for o in AllowedOrigin.objects.filter(enabled=True).only("pattern")
                if _allows_any_origin(o.pattern)
            ]
            if wide:
                raise ValidationError(
                    {
                        "allow_credentials": (
                            f"cannot be on while {wide[0]!r} allows every origin: "
                            "disable that rule first"
                        )
                    }
                )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # one row, always
        self.clean()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("the CORS policy cannot be deleted; set mode to 'off' instead")


def _allows_any_origin(pattern: str) -> bool:
    try:
        return parse_pattern(pattern).matches_any_origin
    except OriginError:
        return False


class ObservedOrigin(models.Model):
    """What the middleware saw, per origin (report-only migration; see cors_gate.observe)."""

    origin = models.CharField(max_length=OBSERVED_ORIGIN_MAX_LENGTH, unique=True)
    would_allow = models.BooleanField(default=False)
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField(default=timezone.now)
    # Indexed: the table is cut back to its bound by least recent sighting after each flush.
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    last_path = models.CharField(max_length=500, blank=True, default="")
    last_method = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ("-last_seen",)
        verbose_name = "observed origin"

    def __str__(self) -> str:
        return self.origin


class ChangeRecord(models.Model):
    """Who changed the allow-list or the policy, through which channel, and what changed."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16)  # admin | command | api | shell
    action = models.CharField(max_length=16)  # add | change | delete | enable | disable | import
    target = models.CharField(max_length=16)  # origin | policy
    object_repr = models.CharField(max_length=PATTERN_MAX_LENGTH)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at",)

    def __str__(self) -> str:
        who = self.user or self.channel
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.target} {self.object_repr}"
