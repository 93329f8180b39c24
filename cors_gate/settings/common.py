"""Open edX plugin settings (LMS and Studio): put CorsGateMiddleware first in MIDDLEWARE.

First, so that every response any other middleware makes (SSO redirects, CSRF failures,
django-cors-headers' own answers, errors) passes through the gate on its way out.
`CORS_GATE_AUTO_MIDDLEWARE = False` leaves MIDDLEWARE alone for sites that place it themselves.
"""

from __future__ import annotations

from typing import Any

MIDDLEWARE_PATH = "cors_gate.middleware.CorsGateMiddleware"


def install_middleware(middleware: list[str] | tuple[str, ...]) -> list[str]:
    """`middleware` with CorsGateMiddleware first (moved there if present); order otherwise kept."""
    return [MIDDLEWARE_PATH, *(m for m in middleware if m != MIDDLEWARE_PATH)]


def plugin_settings(settings: Any) -> None:
    """Called by edx-django-utils' plugin framework with the LMS/CMS settings module."""
    # A live site's front ends are allowed by django-cors-headers today: the first policy
    # starts in report-only, so installing the plugin blocks nothing until an operator
    # has reviewed what was observed and switches to enforce.
    if not hasattr(settings, "CORS_GATE_INITIAL_MODE"):
        settings.CORS_GATE_INITIAL_MODE = "report-only"
    if not getattr(settings, "CORS_GATE_AUTO_MIDDLEWARE", True):
        return
    current = getattr(settings, "MIDDLEWARE", None)
    if current is None:
        return  # not a Django settings object we understand: change nothing
    settings.MIDDLEWARE = install_middleware(list(current))
