"""Where the CORS middlewares sit in MIDDLEWARE, and whether they decide anything."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit import regex_probe
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput, canonical
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY
from cors_gate.audit.settings_view import CORSHEADERS_MIDDLEWARE
from cors_gate.settings.common import MIDDLEWARE_PATH as CORS_GATE_MIDDLEWARE

# Middleware that can answer a request before a CORS middleware placed after it runs, so
# the answer (a redirect, a 403) carries no CORS headers. Value: why, and the setting that
# must be on for it to happen (None: always).
EARLY_ANSWERS: dict[str, tuple[str, str | None]] = {
    "django.middleware.security.SecurityMiddleware": (
        "its SECURE_SSL_REDIRECT answers http requests with a 301, and a redirected preflight "
        "fails (PreflightDisallowedRedirect)",
        "SECURE_SSL_REDIRECT",
    ),
    "django.middleware.common.CommonMiddleware": (
        "its APPEND_SLASH/PREPEND_WWW redirects leave without CORS headers",
        None,
    ),
    "django.middleware.locale.LocaleMiddleware": (
        "its language-prefix redirects leave without CORS headers",
        None,
    ),
    "django.contrib.redirects.middleware.RedirectFallbackMiddleware": (
        "its redirects leave without CORS headers",
        None,
    ),
    "common.djangoapps.student.middleware.UserStandingMiddleware": (
        "it answers disabled accounts with a 403 of its own",
        None,
    ),
    "openedx.core.djangoapps.embargo.middleware.EmbargoMiddleware": (
        "it redirects embargoed requests",
        None,
    ),
}


def _gate_decides_before(config: AuditInput, cors: str) -> bool:
    """Whether CorsGateMiddleware runs ahead of `cors` and enforces: then it overwrites or
    strips whatever `cors` answered, and `cors`'s place in MIDDLEWARE changes nothing."""
    chain = config.settings.middleware
    if CORS_GATE_MIDDLEWARE not in chain or cors not in chain:
        return False
    ahead = chain.index(CORS_GATE_MIDDLEWARE) < chain.index(cors)
    return ahead and config.database is not None and config.policy.mode == "enforce"


# A deploy check, and a warning: the platform's stock MIDDLEWARE lists CommonMiddleware and
# CsrfViewMiddleware before django-cors-headers, and an error here would stop `migrate`
# (Tutor's init job) on every stock LMS and Studio. What it costs is a CORS error in place
# of a redirect or a 403, not an unsafe answer.
@REGISTRY.rule(
    "cors.middleware-order",
    16,
    Severity.WARNING,
    "CORS middleware placed after early answers",
)
def middleware_order(config: AuditInput) -> Iterator[Problem]:
    chain = config.settings.middleware
    for cors in (CORS_GATE_MIDDLEWARE, CORSHEADERS_MIDDLEWARE):
        if cors not in chain:
            continue
        if cors == CORSHEADERS_MIDDLEWARE and _gate_decides_before(config, cors):
            continue
        position = chain.index(cors)
        for earlier in chain[:position]:
            known = EARLY_ANSWERS.get(earlier)
            if known is None:
                continue
            why, needs = known
            if needs is not None and not config.settings.get(needs, False):
                continue
            fix = f"Move {cors} above {earlier} (first in MIDDLEWARE is safest)."
            if cors == CORSHEADERS_MIDDLEWARE and config.settings.cors_gate_active:
                fix = (
                    f"Switch cors_gate's policy to 'enforce' once its allow-list is complete "
                    f"(CorsGateMiddleware comes first and then decides alone), or move {cors} "
                    f"above {earlier}."
                )
            yield Problem(
                Severity.WARNING,
                f"{cors.rsplit('.', 1)[-1]} comes after {earlier.rsplit('.', 1)[-1]}",
                f"MIDDLEWARE lists {earlier} before {cors}: {why}, so the browser reports a "
                "CORS error instead of the real answer",
                fix,
                cors,
            )


@REGISTRY.rule(
    "cors.middleware-missing",
    17,
    Severity.WARNING,
    "cors_gate installed but its middleware is not active",
)
def middleware_missing(config: AuditInput) -> Iterator[Problem]:
    settings = config.settings
    if not {"cors_gate", "cors_gate.apps.CorsGateConfig"}.intersection(settings.installed_apps):
        return
    if settings.cors_gate_active:
        return
    via_signal = settings.corsheaders_active and bool(
        settings.get("CORS_GATE_CORSHEADERS_SIGNAL", False)
    )
    if via_signal:
        return
    yield Problem(
        Severity.WARNING,
        "cors_gate's allow-list decides nothing",
        f"cors_gate is installed but {CORS_GATE_MIDDLEWARE} is not in MIDDLEWARE (and "
        "CORS_GATE_CORSHEADERS_SIGNAL is off): the origins managed in the admin have no effect",
        f"Add {CORS_GATE_MIDDLEWARE} at the top of MIDDLEWARE (Open edX: leave "
        "CORS_GATE_AUTO_MIDDLEWARE on), or turn CORS_GATE_CORSHEADERS_SIGNAL on.",
        "MIDDLEWARE",
    )


@REGISTRY.rule(
    "cors.two-cors-middlewares",
    18,
    Severity.ERROR,
    "cors_gate and django-cors-headers both active",
)
def two_cors_middlewares(config: AuditInput) -> Iterator[Problem]:
    settings = config.settings
    if not (settings.cors_gate_active and settings.corsheaders_active):
        return
    theirs = {c for e in settings.allowed_origins.value if (c := canonical(str(e)))}
    theirs |= {regex_probe.regex_text(r) for r in settings.origin_regexes.value}
    if settings.allow_all.value:
        theirs.add("*")
    mine = {gate_pattern.pattern.text for gate_pattern in config.live_patterns}
    if theirs == mine:
        yield Problem(
            Severity.INFO,
            "two CORS middlewares with the same origins",
            "cors_gate and django-cors-headers both run and allow the same origins today",
            f"Remove {CORSHEADERS_MIDDLEWARE} from MIDDLEWARE (or turn "
            "CORS_GATE_CORSHEADERS_SIGNAL on and keep only one list).",
            "MIDDLEWARE",
        )
        return

    def shown(origins: set[str]) -> str:
        return ", ".join("any origin (allow-all)" if o == "*" else o for o in sorted(origins))

    only_theirs, only_mine = theirs - mine, mine - theirs
    chain = settings.middleware
    mode = config.policy.mode
    lost: set[str] = set()
    if chain.index(CORS_GATE_MIDDLEWARE) < chain.index(CORSHEADERS_MIDDLEWARE):
        if mode == "enforce":
            decides = (
                "CorsGateMiddleware comes first and enforces: it answers preflights itself and "
                "replaces or strips django-cors-headers' headers on every other response, so "
                "cors_gate alone decides"
            )
            lost = only_theirs
            consequence = f"refused although django-cors-headers lists them: {shown(lost)}"
        else:
            decides = f"cors_gate's policy is {mode!r}, so django-cors-headers decides"
            consequence = f"allowed although cors_gate does not list them: {shown(only_theirs)}"
    else:
        decides = (
            "CorsMiddleware comes first: it answers every preflight itself, so cors_gate "
            "never sees them"
        )
        lost = only_mine if mode == "enforce" else set()
        consequence = f"preflights refused although cors_gate lists them: {shown(only_mine)}"
    yield Problem(
        Severity.ERROR if lost else Severity.WARNING,
        "two CORS middlewares with different origin lists",
        f"{decides}. Only django-cors-headers allows: {shown(only_theirs) or 'nothing'}; "
        f"only cors_gate allows: {shown(only_mine) or 'nothing'}"
        + (f". Front ends {consequence}" if lost or mode != "enforce" else ""),
        "Keep one list: add the origins to cors_gate (cors_gate_origins add …), then remove "
        f"{CORSHEADERS_MIDDLEWARE} from MIDDLEWARE.",
        "MIDDLEWARE",
    )
