"""Policy values: preflight max age, mode, expired and disabled rules, the urls regex."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY, row_subject
from cors_gate.audit.settings_view import CORSHEADERS_DEFAULT_URLS_REGEX
from cors_gate.browser_limits import CHROMIUM_MAX_AGE_CAP, FIREFOX_MAX_AGE_CAP

EXPIRY_WARNING_DAYS = 7

# Paths Open edX front ends (MFEs) call with credentials; a urls regex must cover them.
FRONT_END_API_PATHS = (
    "/api/user/v1/me",
    "/oauth2/access_token",
    "/login_refresh",
    "/csrf/api/v1/token",
    "/user_api/v1/account/login_session/",
)


@REGISTRY.rule(
    "cors.max-age",
    19,
    Severity.WARNING,
    "preflight max age above Chromium's cap",
)
def max_age(config: AuditInput) -> Iterator[Problem]:
    found: list[tuple[str, int]] = []
    if config.gate_on and (config.policy.max_age or 0) > CHROMIUM_MAX_AGE_CAP:
        found.append(("CorsPolicy.max_age", int(config.policy.max_age or 0)))
    value = config.settings.get("CORS_PREFLIGHT_MAX_AGE")
    if isinstance(value, int) and value > CHROMIUM_MAX_AGE_CAP:
        found.append(("CORS_PREFLIGHT_MAX_AGE", value))
    for where, seconds in found:
        yield Problem(
            Severity.WARNING,
            f"the preflight max age is above {CHROMIUM_MAX_AGE_CAP} s",
            f"{where} = {seconds}: Chromium caps preflight caching at {CHROMIUM_MAX_AGE_CAP} s, "
            f"Firefox keeps it up to {FIREFOX_MAX_AGE_CAP} s, so a method or header you "
            f"withdraw stays usable there for {seconds} s",
            f"Use {CHROMIUM_MAX_AGE_CAP} or less.",
            where,
        )


@REGISTRY.rule(
    "cors.report-only",
    20,
    Severity.WARNING,
    "the policy is still in report-only mode",
)
def report_only(config: AuditInput) -> Iterator[Problem]:
    if config.database is not None and config.policy.mode == "report-only":
        yield Problem(
            Severity.WARNING,
            "cors_gate is in report-only mode",
            "CorsPolicy.mode = 'report-only': decisions are recorded but nothing is enforced; "
            "the observed-origins list shows what enforcing would refuse",
            "Review the observed origins, then set the mode to 'enforce'.",
            "CorsPolicy.mode",
        )


@REGISTRY.rule(
    "cors.policy-off",
    21,
    Severity.WARNING,
    "the policy is off",
)
def policy_off(config: AuditInput) -> Iterator[Problem]:
    if (
        config.database is not None
        and config.policy.mode == "off"
        and config.settings.cors_gate_active
    ):
        yield Problem(
            Severity.WARNING,
            "cors_gate is switched off",
            "CorsPolicy.mode = 'off' while CorsGateMiddleware is in MIDDLEWARE: no origin is "
            "allowed by cors_gate, so its front ends fail",
            "Set the mode to 'enforce' (or 'report-only' while migrating).",
            "CorsPolicy.mode",
        )


@REGISTRY.rule(
    "cors.expired-rule",
    22,
    Severity.WARNING,
    "expired or soon-expiring rules",
)
def expired_rule(config: AuditInput) -> Iterator[Problem]:
    soon = config.now + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    for row in config.rows:
        if not row.enabled or row.expires_at is None:
            continue
        when = row.expires_at.isoformat(timespec="minutes")
        if row.expires_at <= config.now:
            yield Problem(
                Severity.WARNING,
                "an allowed origin has expired",
                f"{row.pattern!r} expired at {when}: requests from it are refused"
                + (f" (note: {row.note})" if row.note else ""),
                "Delete the rule, or give it a new expiry date if the front end still needs it.",
                row_subject(row),
            )
        elif row.expires_at <= soon:
            days = max((row.expires_at - config.now).days, 0)
            yield Problem(
                Severity.WARNING,
                "an allowed origin expires soon",
                f"{row.pattern!r} expires at {when} (in {days} day{'s' if days != 1 else ''})",
                "Extend the expiry date if the front end still needs it.",
                row_subject(row),
            )


@REGISTRY.rule(
    "cors.disabled-rule",
    23,
    Severity.INFO,
    "disabled rules",
)
def disabled_rule(config: AuditInput) -> Iterator[Problem]:
    for row in config.rows:
        if not row.enabled:
            yield Problem(
                Severity.INFO,
                "an allowed origin is disabled",
                f"{row.pattern!r} is disabled and allows nothing"
                + (f" (note: {row.note})" if row.note else ""),
                "Delete it if it is not coming back.",
                row_subject(row),
            )


def _missed_paths(regex: str) -> list[str] | None:
    try:
        compiled = re.compile(regex)
    except re.error:
        return None
    return [p for p in FRONT_END_API_PATHS if compiled.match(p) is None]


@REGISTRY.rule(
    "cors.urls-regex-misses-api",
    24,
    Severity.ERROR,
    "urls regex misses front-end API paths",
)
def urls_regex(config: AuditInput) -> Iterator[Problem]:
    candidates: list[tuple[str, str]] = []
    if config.database is not None and config.gate_on and config.policy.urls_regex:
        candidates.append(("CorsPolicy.urls_regex", config.policy.urls_regex))
    theirs = config.settings.corsheaders_urls_regex
    if config.settings.has("CORS_URLS_REGEX") and theirs != CORSHEADERS_DEFAULT_URLS_REGEX:
        candidates.append(("CORS_URLS_REGEX", theirs))
    for where, regex in candidates:
        missed = _missed_paths(regex)
        if missed is None:
            yield Problem(
                Severity.ERROR,
                "the urls regex does not compile",
                f"{where} = {regex!r} is not a regular expression",
                "Fix it, e.g. r'^/(api|oauth2|user_api|csrf/api|login_refresh)'.",
                where,
            )
        elif missed:
            yield Problem(
                Severity.WARNING,
                "the urls regex leaves front-end API paths without CORS",
                f"{where} = {regex!r} does not match {', '.join(missed)} (re.match on the path): "
                "front ends calling them get no CORS headers",
                "Widen it, e.g. r'^/(api|oauth2|user_api|csrf/api|login_refresh)', or use r'^.*$'.",
                where,
            )
