"""Open edX plugin settings (LMS and Studio): put CorsGateMiddleware first in MIDDLEWARE.

First, so that every response any other middleware makes (SSO redirects, CSRF failures,
django-cors-headers' own answers, errors) passes through the gate on its way out.
`CORS_GATE_AUTO_MIDDLEWARE = False` leaves MIDDLEWARE alone for sites that place it themselves.

openedx-platform runs the "common" plugin settings from lms/envs/common.py, before
production.py has read the YAML config; an opt-out written there can only be seen by the
"production" phase (cors_gate.settings.production), which then takes back what this phase
inserted. An opt-out made later still (a Tutor settings patch runs after both phases) is
honoured when the middleware loads: see `plugin_middleware_withdrawn`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIDDLEWARE_PATH = "cors_gate.middleware.CorsGateMiddleware"
# Set by plugin_settings when it inserted the middleware (rather than found it placed by
# hand), so that an opt-out only ever removes what the plugin added. Not an operator knob.
INSERTED_SETTING = "CORS_GATE_MIDDLEWARE_INSERTED"


def install_middleware(middleware: list[str] | tuple[str, ...]) -> list[str]:
    """`middleware` with CorsGateMiddleware first (moved there if present); order otherwise kept."""
    return [MIDDLEWARE_PATH, *(m for m in middleware if m != MIDDLEWARE_PATH)]


def plugin_middleware_withdrawn(
    middleware: Sequence[str], auto_middleware: object, inserted: object
) -> bool:
    """Whether the one CorsGateMiddleware entry in `middleware` is the plugin's and the
    operator has since opted out (CORS_GATE_AUTO_MIDDLEWARE = False after the plugin phases).

    A second entry means the operator also placed it by hand: then the gate stays active.
    """
    return not auto_middleware and bool(inserted) and list(middleware).count(MIDDLEWARE_PATH) == 1


def withdraw_middleware(settings: Any) -> None:
    """Take back the entry an earlier phase inserted; an entry placed by hand stays."""
    if not getattr(settings, INSERTED_SETTING, False):
        return
    current = list(getattr(settings, "MIDDLEWARE", ()))
    if MIDDLEWARE_PATH in current:
        current.remove(MIDDLEWARE_PATH)  # the first one: where the plugin put it
    settings.MIDDLEWARE = current
    setattr(settings, INSERTED_SETTING, False)


def plugin_settings(settings: Any) -> None:
    """Called by edx-django-utils' plugin framework with the LMS/CMS settings module."""
    # A live site's front ends are allowed by django-cors-headers today: the first policy
    # starts in report-only, so installing the plugin blocks nothing until an operator
    # has reviewed what was observed and switches to enforce.
    if not hasattr(settings, "CORS_GATE_INITIAL_MODE"):
        settings.CORS_GATE_INITIAL_MODE = "report-only"
    current = getattr(settings, "MIDDLEWARE", None)
    if current is None:
        return  # not a Django settings object we understand: change nothing
    if not getattr(settings, "CORS_GATE_AUTO_MIDDLEWARE", True):
        withdraw_middleware(settings)
        return
    if MIDDLEWARE_PATH not in current:
        setattr(settings, INSERTED_SETTING, True)
    settings.MIDDLEWARE = install_middleware(list(current))
