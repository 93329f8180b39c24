"""Open edX's cors_csrf middleware and CORS_ALLOW_INSECURE."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY

# openedx-platform's cors_csrf middleware, and the flag that keeps each in the chain.
CORS_CSRF_MIDDLEWARE = {
    "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware": "ENABLE_CORS_HEADERS",
    "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware": (
        "ENABLE_CROSS_DOMAIN_CSRF_COOKIE"
    ),
}


@REGISTRY.rule(
    "csrf.allow-insecure",
    25,
    Severity.WARNING,
    "Open edX's cors_csrf checks accept plain http",
)
def allow_insecure(config: AuditInput) -> Iterator[Problem]:
    settings = config.settings
    if not settings.get("CORS_ALLOW_INSECURE", False):
        return
    active = [
        path.rsplit(".", 1)[-1]
        for path, flag in CORS_CSRF_MIDDLEWARE.items()
        if path in settings.middleware and settings.feature(flag)
    ]
    if not active:
        return  # only the platform's cors_csrf middleware reads it
    anyone = bool(settings.allow_all.value)
    yield Problem(
        Severity.WARNING,
        "the platform's cross-domain CSRF checks accept plain http",
        f"CORS_ALLOW_INSECURE = True: Open edX's {' and '.join(active)} "
        "(openedx/core/djangoapps/cors_csrf) skip their https checks, so plain-http requests "
        "and http:// Referers from "
        + ("any site (CORS_ORIGIN_ALLOW_ALL is on)" if anyone else "CORS_ORIGIN_WHITELIST")
        + " skip Django's CSRF Referer check and get the cross-domain CSRF cookie; the "
        "platform meant it for development and testing only",
        "Set CORS_ALLOW_INSECURE = False (Open edX: EDXAPP_CORS_ALLOW_INSECURE) and serve the "
        "front ends over https.",
        "CORS_ALLOW_INSECURE",
    )
