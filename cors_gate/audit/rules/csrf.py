"""Django's CSRF checks against the origins CORS allows, and the cookies front ends need."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.http import is_same_domain

from cors_gate.audit import origin_facts, regex_probe
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput, canonical
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY
from cors_gate.csrf import csrf_trust_shape_ok
from cors_gate.origins import parse_request_origin


def _csrf_trusted(origin: str, trusted: Iterable[str]) -> bool:
    """Django's CsrfViewMiddleware._origin_verified, for a cross-origin request."""
    parts = origin_facts.split(origin)
    if parts is None:
        return False
    for entry in trusted:
        if entry == origin:
            return True
        if "*" in entry:
            pattern_parts = origin_facts.split(entry)
            if (
                pattern_parts is not None
                and pattern_parts.scheme == parts.scheme
                and is_same_domain(parts.netloc, pattern_parts.netloc.lstrip("*"))
            ):
                return True
    return False


def _own_origins(config: AuditInput) -> set[str]:
    """The LMS/Studio origins: same-origin requests pass Django's CSRF check anyway."""
    own: set[str] = set()
    for name in ("LMS_ROOT_URL", "CMS_ROOT_URL"):
        value = config.settings.get(name)
        if isinstance(value, str) and (good := canonical(value)):
            own.add(good)
    return own


def _gate_csrf_on(config: AuditInput) -> bool:
    return any(m.startswith("cors_gate.csrf.") for m in config.settings.middleware)


@REGISTRY.rule(
    "csrf.allowed-origin-not-trusted",
    12,
    Severity.WARNING,
    "an allowed origin fails Django's CSRF check",
)
def allowed_not_trusted(config: AuditInput) -> Iterator[Problem]:
    trusted = config.settings.csrf_trusted_origins
    own = _own_origins(config)
    gate_csrf = _gate_csrf_on(config)
    missing: list[str] = []
    for allowed in config.allowed_samples:
        if not allowed.credentials or allowed.sample in own:
            continue
        gate_trusts = gate_csrf and allowed.gate_trusted and csrf_trust_shape_ok(allowed.shown)
        if _csrf_trusted(allowed.sample, trusted) or gate_trusts:
            continue
        missing.append(allowed.shown)
    missing = list(dict.fromkeys(missing))  # each entry once, in first-seen order
    if missing:
        yield Problem(
            Severity.WARNING,
            "allowed front ends cannot POST with cookies",
            f"{', '.join(missing)} may send credentialed requests, but "
            "CSRF_TRUSTED_ORIGINS does not trust them: every POST/PUT/PATCH/DELETE they send "
            "with the session cookie fails Django's CSRF origin check (403)",
            "Add them to CSRF_TRUSTED_ORIGINS (wildcards such as https://*.example.com work), "
            "or mark the cors_gate rule 'CSRF trusted'.",
            "CSRF_TRUSTED_ORIGINS",
        )


@REGISTRY.rule(
    "csrf.trusted-not-allowed",
    13,
    Severity.INFO,
    "a CSRF-trusted origin CORS does not allow",
)
def trusted_not_allowed(config: AuditInput) -> Iterator[Problem]:
    if config.settings.allow_all.value:
        return
    allowed = [a.sample for a in config.allowed_samples]
    patterns = [gate_pattern.pattern for gate_pattern in config.live_patterns]
    own = _own_origins(config)
    orphans: list[str] = []
    for entry in config.settings.csrf_trusted_origins:
        if "*" in entry or entry in own:
            continue
        good = canonical(entry)
        if good is None or good in allowed:
            continue
        if any(regex_probe.accepts_any(r, good) for r in config.settings.origin_regexes.value):
            continue
        request_origin = parse_request_origin(good)
        if request_origin is not None and any(p.matches(request_origin) for p in patterns):
            continue
        orphans.append(entry)
    if orphans:
        yield Problem(
            Severity.INFO,
            "CSRF-trusted origins that CORS does not allow",
            f"{', '.join(orphans)} are in CSRF_TRUSTED_ORIGINS but no CORS allow-list has "
            "them: their forms may POST, but their scripts cannot read any answer",
            "Allow them in CORS too if a front end there calls the API, or drop them from "
            "CSRF_TRUSTED_ORIGINS.",
            "CSRF_TRUSTED_ORIGINS",
        )


def _samesite(value: object) -> str:
    return "(unset, browsers use Lax)" if value in (None, False, "") else str(value)


@REGISTRY.rule(
    "csrf.cookie-samesite",
    14,
    Severity.WARNING,
    "cookie settings that break cross-site front ends",
)
def cookie_samesite(config: AuditInput) -> Iterator[Problem]:
    settings = config.settings
    for prefix in ("SESSION", "CSRF"):
        samesite = settings.get(f"{prefix}_COOKIE_SAMESITE", "Lax")
        secure = bool(settings.get(f"{prefix}_COOKIE_SECURE", False))
        if str(samesite).lower() == "none" and not secure:
            yield Problem(
                Severity.WARNING,  # a lost cookie, not an unsafe answer: no error
                f"the {prefix.lower()} cookie is SameSite=None without Secure",
                f"{prefix}_COOKIE_SAMESITE = 'None' and {prefix}_COOKIE_SECURE = False: "
                "browsers refuse such a cookie, so it is never stored",
                f"Set {prefix}_COOKIE_SECURE = True (and serve the site over https).",
                f"{prefix}_COOKIE_SECURE",
            )
    lms = settings.get("LMS_ROOT_URL")
    lms_site = origin_facts.site_of(lms) if isinstance(lms, str) else None
    if lms_site is None:
        return  # without the site's own URL, same-site and cross-site cannot be told apart
    # Listed front ends only: allow-all's strangers losing their cookies is a relief, not a bug.
    cross = list(
        dict.fromkeys(
            a.shown
            for a in config.allowed_samples
            if a.credentials and origin_facts.site_of(a.sample) != lms_site
        )
    )
    if not cross:
        return
    lax = [
        f"{prefix}_COOKIE_SAMESITE = {_samesite(settings.get(f'{prefix}_COOKIE_SAMESITE', 'Lax'))}"
        for prefix in ("SESSION", "CSRF")
        if str(settings.get(f"{prefix}_COOKIE_SAMESITE", "Lax")).lower() != "none"
    ]
    if lax:
        yield Problem(
            Severity.WARNING,
            "cross-site front ends get no session or CSRF cookie",
            f"{', '.join(cross)} {'is' if len(cross) == 1 else 'are'} on another site than "
            f"{lms}, and {', '.join(lax)}: browsers do not send those cookies with their "
            "fetch calls, so the user looks logged out there and POSTs fail the CSRF check",
            "Serve the front ends from the LMS's own site (apps.<your domain>), or set the "
            "cookies' SameSite to 'None' with Secure = True.",
            "SESSION_COOKIE_SAMESITE",
        )


@REGISTRY.rule(
    "csrf.cross-domain-cookie",
    15,
    Severity.ERROR,
    "Open edX cross-domain CSRF cookie settings",
)
def cross_domain_cookie(config: AuditInput) -> Iterator[Problem]:
    settings = config.settings
    if not settings.feature("ENABLE_CROSS_DOMAIN_CSRF_COOKIE"):
        return
    name = settings.get("CROSS_DOMAIN_CSRF_COOKIE_NAME", "")
    domain = settings.get("CROSS_DOMAIN_CSRF_COOKIE_DOMAIN", "")
    for setting, value, example in (
        ("CROSS_DOMAIN_CSRF_COOKIE_NAME", name, "'example-csrftoken'"),
        ("CROSS_DOMAIN_CSRF_COOKIE_DOMAIN", domain, "'.example.com'"),
    ):
        if not value:
            yield Problem(
                Severity.ERROR,
                f"{setting} is empty",
                f"ENABLE_CROSS_DOMAIN_CSRF_COOKIE is on but {setting} is {value!r}: the "
                "cross-domain CSRF cookie cannot be set (Open edX's "
                "CsrfCrossDomainCookieMiddleware refuses to start), so front ends on other "
                "subdomains have no token to send",
                f"Set {setting} (e.g. {example}).",
                setting,
            )
    if name and name == settings.get("CSRF_COOKIE_NAME", "csrftoken"):
        yield Problem(
            Severity.WARNING,
            "the cross-domain CSRF cookie has the regular CSRF cookie's name",
            f"CROSS_DOMAIN_CSRF_COOKIE_NAME = {name!r} = CSRF_COOKIE_NAME: the two cookies "
            "overwrite each other in the browser",
            "Give the cross-domain cookie its own name, e.g. 'example-csrftoken'.",
            "CROSS_DOMAIN_CSRF_COOKIE_NAME",
        )
    if settings.allow_all.value:
        return
    # openedx-platform's CsrfCrossDomainCookieMiddleware (cors_csrf) sets the cookie only for
    # a Referer whose origin is in CORS_ORIGIN_WHITELIST, whatever cors_gate allows.
    listed = {
        c for e in settings.get("CORS_ORIGIN_WHITELIST", ()) or () if (c := canonical(str(e)))
    }
    missing = [
        gate_pattern.pattern.text
        for gate_pattern in config.live_patterns
        if not gate_pattern.pattern.is_wildcard
        and canonical(gate_pattern.pattern.text) not in listed
    ]
    if missing:
        yield Problem(
            Severity.WARNING,
            "front ends cors_gate allows get no cross-domain CSRF cookie",
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} allowed by cors_gate "
            "but not in CORS_ORIGIN_WHITELIST: Open edX's CsrfCrossDomainCookieMiddleware "
            "(openedx/core/djangoapps/cors_csrf) reads that list, not cors_gate's, to decide "
            "which Referers get the cookie, so their POSTs have no CSRF token to send",
            "Keep these origins in CORS_ORIGIN_WHITELIST (Open edX: EDXAPP_CORS_ORIGIN_WHITELIST) "
            "as long as ENABLE_CROSS_DOMAIN_CSRF_COOKIE is on, even after removing "
            "django-cors-headers' middleware.",
            "CORS_ORIGIN_WHITELIST",
        )
