"""Import and export of the allow-list: from Django settings, from and to Cloud Gate's payload.

Settings import reads django-cors-headers' lists as the library does (CORS_ALLOWED_ORIGINS,
else its old name CORS_ORIGIN_WHITELIST; CORS_ALLOWED_ORIGIN_REGEXES, else
CORS_ORIGIN_REGEX_WHITELIST) and plans
what to add, what is already a rule and what is skipped and why; nothing is written until
`apply_settings_plan`. A regex becomes patterns only when it matches exactly the same browser
origins (see `convert_regex`); otherwise it is skipped with the reason and, where one exists,
the nearest pattern for the operator to add on purpose.

Cloud Gate import replaces the policy values it names and the whole allow-list, all or
nothing, through `cors_gate.services`. Every bad input raises `InvalidInput` ("field: message").
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from cors_gate import conf
from cors_gate.api.cloud_gate import (
    CloudGateSettings,
    build_payload,
    parse_json,
    parse_payload,
)
from cors_gate.models import AllowedOrigin, CorsPolicy, credentials_refusal, shown, too_broad
from cors_gate.origins import OriginError, parse_pattern
from cors_gate.services import (
    Actor,
    InvalidInput,
    origin_as_dict,
    plan_replacement,
    policy_as_dict,
    replace_origins,
    update_policy,
    upsert_origins,
)

MAX_FILE_BYTES = 5 * 1024 * 1024


# --- regexes ------------------------------------------------------------------------------

_SCHEMES = {
    "https": "https",
    "http": "http",
    "https?": "*",
    "(?:https?)": "*",
    "(https?)": "*",
    "(?:http|https)": "*",
    "(http|https)": "*",
    "(?:https|http)": "*",
    "(https|http)": "*",
}
# Exactly one RFC 1123 label (1-63 letters, digits, '-' not at either end): a '*' label.
_LDH_END = ("[a-z0-9]", "[a-zA-Z0-9]", "[0-9a-z]")
_LDH_MID = ("[a-z0-9-]", "[a-zA-Z0-9-]", "[-a-z0-9]", "[-a-zA-Z0-9]", r"[a-z0-9\-]")
_EXACT_LABEL = frozenset(
    f"{end}{group}{mid}{{0,61}}{end})?"
    for end in _LDH_END
    for mid in _LDH_MID
    for group in ("(?:", "(")
)
_UNDERSCORE = "\\w also matches '_' (and non-ASCII letters), which the pattern's '*' does not"
_EDGE_HYPHEN = "it also matches labels that start or end with '-', which the pattern's '*' does not"
_ANY_CHARS = (
    "it matches across '.', '/', '@' and ':' (e.g. https://evil.example/.example.com), "
    "where the pattern's '*' is one host label"
)
# Label spellings that mean "some label" but not exactly a '*' label, and why.
_LOOSE_LABEL = {
    r"\w+": _UNDERSCORE,
    r"[\w-]+": _UNDERSCORE,
    r"[-\w]+": _UNDERSCORE,
    r"[\w\-]+": _UNDERSCORE,
    r"\w*": _UNDERSCORE,
    r"[a-z0-9-]+": _EDGE_HYPHEN,
    r"[a-zA-Z0-9-]+": _EDGE_HYPHEN,
    r"[-a-z0-9]+": _EDGE_HYPHEN,
    r"[-a-zA-Z0-9]+": _EDGE_HYPHEN,
    r"[a-z0-9\-]+": _EDGE_HYPHEN,
    r"[a-zA-Z0-9\-]+": _EDGE_HYPHEN,
    r"[^.]+": _ANY_CHARS,
    r"[^\.]+": _ANY_CHARS,
    r"[^./]+": _ANY_CHARS,
    r".+": _ANY_CHARS,
    r".*": _ANY_CHARS,
}
_PORT_ANY = (
    "its port part is not exactly the pattern's ':*' (which also allows the default port "
    "and only ports 1-65535)"
)
_LOOSE_PORT = (
    r"(:\d+)?",
    r"(?::\d+)?",
    r"(:[0-9]+)?",
    r"(?::[0-9]+)?",
    r"(:\d{1,5})?",
    r"(?::\d{1,5})?",
    r":\d+",
    r":[0-9]+",
)
_LITERAL_LABEL = re.compile(r"[A-Za-z0-9-]+")
_OPTIONAL_LABEL = re.compile(r"\((?:\?:)?(?P<label>.+?)\\\.\)\?")


@dataclass(frozen=True)
class RegexConversion:
    """A regex, the patterns it corresponds to, and whether they are exact."""

    regex: str
    patterns: list[str]
    exact: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _split_end_anchor(body: str) -> tuple[str, bool]:
    if body.endswith(r"\Z"):
        return body[:-2], True
    if body.endswith("$") and not body.endswith(r"\$"):
        return body[:-1], True
    return body, False


def _convert_label(token: str, reasons: list[str]) -> str | None:
    if token in _EXACT_LABEL:
        return "*"
    if token in _LOOSE_LABEL:
        reasons.append(f"{token!r}: {_LOOSE_LABEL[token]}")
        return "*"
    if _LITERAL_LABEL.fullmatch(token):
        if token != token.lower():
            reasons.append(f"{token!r} has upper-case letters, which a browser never sends")
            return token.lower()
        return token
    if "." in token.replace("\\.", ""):
        reasons.append(f"{token!r}: an unescaped '.' matches any character")
        return None
    reasons.append(f"{token!r} is not a whole host label cors_gate can express")
    return None


def convert_regex(regex: str) -> RegexConversion:
    """Translate one django-cors-headers regex (applied with `re.match`) into patterns.

    `exact` only when the patterns allow precisely the browser origins the regex allows.
    """
    try:
        re.compile(regex)
    except (re.error, TypeError) as exc:
        return RegexConversion(str(regex), [], False, [f"not a valid regular expression ({exc})"])
    reasons: list[str] = []
    body = _unanchored_body(regex, reasons)
    scheme_text, rest = _split_scheme_part(body)
    if rest is None:
        return RegexConversion(regex, [], False, [*reasons, "no '://' after a scheme"])
    scheme = _SCHEMES.get(scheme_text)
    if scheme is None:
        return RegexConversion(
            regex,
            [],
            False,
            [*reasons, f"scheme part {scheme_text!r} is not http, https or https?"],
        )
    rest, port = _take_port(rest, reasons)
    hosts = _host_forms(rest, reasons)
    if hosts is None:
        return RegexConversion(regex, [], False, reasons)
    patterns: list[str] = []
    for host in hosts:
        try:
            text = parse_pattern(f"{scheme}://{host}{port}").text
        except OriginError as exc:
            return RegexConversion(regex, [], False, [*reasons, str(exc)])
        if text not in patterns:
            patterns.append(text)
    return RegexConversion(regex, patterns, not reasons, reasons)


def _unanchored_body(regex: str, reasons: list[str]) -> str:
    """The regex without its anchors; a missing end anchor is a reason it is not exact."""
    body = regex[1:] if regex.startswith("^") else regex
    body = body[2:] if body.startswith(r"\A") else body
    body, anchored = _split_end_anchor(body)
    if not anchored:
        reasons.append(
            "it has no '$' at the end, and django-cors-headers uses re.match, so it also "
            "matches longer origins (e.g. the same host followed by '.evil.example')"
        )
    return body


def _split_scheme_part(body: str) -> tuple[str, str | None]:
    """The scheme part and what follows its "://" (None when there is no "://")."""
    for separator in ("://", r":\/\/"):
        scheme_text, found, rest = body.partition(separator)
        if found:
            return scheme_text, rest
    return body, None


def _take_port(rest: str, reasons: list[str]) -> tuple[str, str]:
    """The host part and the pattern's port (":*", ":N" or "") from the regex's tail."""
    for form in _LOOSE_PORT:
        if rest.endswith(form):
            reasons.append(f"{form!r}: {_PORT_ANY}")
            return rest[: -len(form)], ":*"
    literal = re.search(r":([0-9]+)$", rest)
    if literal:
        return rest[: literal.start()], literal.group(0)
    return rest, ""


def _host_forms(rest: str, reasons: list[str]) -> list[str] | None:
    """The pattern hosts the regex's host part stands for (an optional leading label gives
    two), or None when a label cannot be expressed."""
    prefixes = [""]
    optional = _OPTIONAL_LABEL.match(rest)
    if optional:
        label = _convert_label(optional.group("label"), reasons)
        if label is None:
            return None
        prefixes = ["", f"{label}."]  # an optional subdomain is two patterns
        rest = rest[optional.end() :]
    labels: list[str] = []
    for token in rest.split(r"\."):
        label = _convert_label(token, reasons)
        if label is None:
            return None
        labels.append(label)
    host = ".".join(labels)
    return [f"{prefix}{host}" for prefix in prefixes]


# --- settings import ----------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    pattern: str
    source: str  # the setting's name
    entry: str  # the entry as written there


@dataclass(frozen=True)
class Skipped:
    entry: str
    source: str
    reason: str
    suggestion: list[str] = field(default_factory=list)


@dataclass
class SettingsPlan:
    add: list[Planned] = field(default_factory=list)
    present: list[Planned] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "add": [vars(item) for item in self.add],
            "present": [vars(item) for item in self.present],
            "skipped": [
                {
                    "entry": skipped.entry,
                    "source": skipped.source,
                    "reason": skipped.reason,
                    "suggest": skipped.suggestion,
                }
                for skipped in self.skipped
            ],
            "notes": list(self.notes),
        }


def _plan_origin(entry: Any, source: str, credentials_on: bool) -> Planned | Skipped:
    if not isinstance(entry, str):
        return Skipped(repr(entry), source, f"is a {type(entry).__name__}, not an origin string")
    if "://" not in entry and entry not in ("*", "null"):
        # Open edX configurations from before django-cors-headers 3.0 list bare host names.
        guess = f"https://{entry.strip().rstrip('/')}"
        try:
            suggestion = [parse_pattern(guess).text]
        except OriginError:
            suggestion = []
        return Skipped(
            entry,
            source,
            "has no scheme (django-cors-headers 3.0+ ignores it): write https://HOST[:PORT]",
            suggestion,
        )
    try:
        pattern = parse_pattern(entry)
    except OriginError as exc:
        return Skipped(entry, source, str(exc))
    broad = too_broad(pattern) if credentials_on else None
    if broad:
        return Skipped(entry, source, credentials_refusal(pattern.text, broad))
    return Planned(pattern.text, source, entry)


def _plan_regex(entry: Any, source: str) -> list[Planned | Skipped]:
    if not isinstance(entry, str):
        return [Skipped(repr(entry), source, "is not a regex string")]
    conversion = convert_regex(entry)
    if not conversion.exact:
        return [
            Skipped(
                entry, source, f"not exactly a pattern: {conversion.reason}", conversion.patterns
            )
        ]
    return [Planned(text, source, entry) for text in conversion.patterns]


def _read_setting(names: tuple[str, ...], plan: SettingsPlan) -> tuple[str, list[Any]]:
    """The list django-cors-headers itself uses (the first of `names` that is set), with a
    note for each other name that is set too: the library ignores it, so no rule comes
    from it."""
    name, value = conf.first_set(names)
    for other in names:
        if other != name and hasattr(django_settings, other):
            plan.notes.append(
                f"{other} is ignored: django-cors-headers reads {name}, which is set, "
                f"so nothing is imported from {other}"
            )
    return name, conf.setting_list(value)


class _PlanBuilder:
    """Sorts planned rules into new ones and ones that are already rules, once each."""

    def __init__(self, plan: SettingsPlan) -> None:
        self.plan = plan
        self.existing = set(AllowedOrigin.objects.values_list("pattern", flat=True))
        self.chosen: set[str] = set()

    def take(self, item: Planned | Skipped) -> None:
        if isinstance(item, Skipped):
            self.plan.skipped.append(item)
        elif item.pattern in self.existing:
            self.plan.present.append(item)
        elif item.pattern not in self.chosen:
            self.chosen.add(item.pattern)
            self.plan.add.append(item)


def plan_from_settings() -> SettingsPlan:
    """What importing django-cors-headers' settings would do (reads the database once).

    Each list is read the way django-cors-headers reads it: its current name when that is
    set at all, else its old name, so nothing the library ignores becomes a rule."""
    plan = SettingsPlan()
    credentials_on = CorsPolicy.credentials_on()
    builder = _PlanBuilder(plan)
    name, entries = _read_setting(conf.CORSHEADERS_ALLOWED_ORIGINS, plan)
    for entry in entries:
        builder.take(_plan_origin(entry, name, credentials_on))
    name, entries = _read_setting(conf.CORSHEADERS_ORIGIN_REGEXES, plan)
    for entry in entries:
        for item in _plan_regex(entry, name):
            builder.take(item)
    name, allow_all = conf.first_set(conf.CORSHEADERS_ALLOW_ALL, False)
    if allow_all is True:
        plan.notes.append(
            f"{name} is True: every origin is allowed today. Set cors_gate to report-only "
            "and review the observed origins before enforcing."
        )
    return plan


def apply_settings_plan(plan: SettingsPlan, *, actor: Actor) -> list[str]:
    """Add the planned rules, all or nothing; returns the patterns added."""
    added: list[str] = []
    with transaction.atomic():
        by_source: dict[str, list[str]] = {}
        for item in plan.add:
            by_source.setdefault(item.source, []).append(item.pattern)
        for source, patterns in by_source.items():
            for outcome in upsert_origins(patterns, note=f"imported from {source}", actor=actor):
                added.append(outcome.pattern)
    return added


# --- Cloud Gate ---------------------------------------------------------------------------


@dataclass
class CloudGatePlan:
    policy: dict[str, Any]  # policy field -> new value
    add: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    replaces_origins: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "origins": {"add": self.add, "keep": self.keep, "remove": self.remove}
            if self.replaces_origins
            else None,
        }


def read_cloud_gate(body: bytes | str | Any, *, decoded: bool = False) -> CloudGateSettings:
    """Parse a payload (raw text, or already-decoded JSON when `decoded`)."""
    data = body if decoded else parse_json(body)
    return parse_payload(data, credentials_on=CorsPolicy.credentials_on())


def read_limited(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or a one-line InvalidInput.

    A device (/dev/zero), a FIFO or a socket is refused before any read: opened without
    blocking (a FIFO with no writer would wait forever), checked with fstat on the open
    descriptor (no swap between check and read), and read up to `limit` + 1 bytes, so the
    cap holds however the size was reported.
    """
    name = shown(str(path), 200)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InvalidInput("file", f"{name}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeError) as exc:  # a NUL byte or an unencodable name
        raise InvalidInput("file", f"{name}: not a usable file name ({exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidInput("file", f"{name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput("file", f"{name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InvalidInput("file", f"{name} is larger than {limit} bytes")
    return data


def read_cloud_gate_file(path: str | Path) -> CloudGateSettings:
    return read_cloud_gate(read_limited(path))


def plan_cloud_gate(payload: CloudGateSettings) -> CloudGatePlan:
    plan = CloudGatePlan(policy=payload.policy_changes())
    if payload.allowed_origins is not None:
        replacement = plan_replacement(payload.allowed_origins)
        plan.replaces_origins = True
        plan.add = replacement.add
        kept = {*replacement.enable, *replacement.keep}
        plan.keep = [pattern for pattern in payload.allowed_origins if pattern in kept]
        plan.remove = replacement.delete
    return plan


def apply_cloud_gate(payload: CloudGateSettings, *, actor: Actor) -> CloudGatePlan:
    """Apply the policy values and replace the allow-list, all or nothing.

    Rules that stay keep their notes, paths, expiry and CSRF flag, and are enabled (the
    payload lists allowed origins); rules not in the payload are deleted.
    """
    with transaction.atomic():
        plan = plan_cloud_gate(payload)
        if plan.policy:
            update_policy(plan.policy, actor=actor)
        if payload.allowed_origins is not None:
            replace_origins(payload.allowed_origins, actor=actor, source="Cloud Gate payload")
    return plan


# --- export -------------------------------------------------------------------------------


def export_json() -> dict[str, Any]:
    """Everything: the policy and every rule with its metadata."""
    return {
        "format": "cors_gate/1",
        "exported_at": timezone.now().isoformat(),
        "policy": policy_as_dict(),
        "origins": [origin_as_dict(rule) for rule in AllowedOrigin.objects.order_by("pattern")],
    }


def export_cloud_gate() -> tuple[dict[str, Any], list[str]]:
    """The Cloud Gate payload, and what it cannot carry (as warnings)."""
    policy = CorsPolicy.load()
    warnings: list[str] = []
    origins: list[str] = []
    for rule in AllowedOrigin.objects.order_by("pattern"):
        if not rule.enabled or rule.is_expired:
            warnings.append(f"{rule.pattern}: left out (disabled or expired)")
            continue
        if rule.paths:
            warnings.append(f"{rule.pattern}: exported for every path (paths are cors_gate's)")
        origins.append(rule.pattern)
    if policy.mode == CorsPolicy.MODE_REPORT_ONLY:
        warnings.append("mode report-only is exported as cloudGateCorsEnabled false")
    if not policy.allow_credentials:
        warnings.append("allow_credentials is off here; Cloud Gate always sends credentials")
    payload = build_payload(
        enabled=policy.mode == CorsPolicy.MODE_ENFORCE,
        allow_null_origin=policy.allow_null_origin,
        allowed_origins=origins,
        max_age=policy.max_age,
        exposed_headers=list(policy.exposed_headers or []),
    )
    return payload, warnings
