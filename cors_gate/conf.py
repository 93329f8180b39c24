"""cors_gate's own Django settings, with their defaults.

Read at call time so that `override_settings` in tests and settings changes at start-up
are both honoured. The request path reads them once per snapshot build, never per request.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings


def _get(name: str, default: object) -> object:
    return getattr(settings, name, default)


def refresh_seconds() -> float:
    """How often each process checks whether the policy changed (CORS_GATE_REFRESH_SECONDS)."""
    value = _get("CORS_GATE_REFRESH_SECONDS", 1)
    return float(value) if isinstance(value, int | float) else 1.0


def pinned_origins() -> Sequence[str]:
    """Allow-list entries pinned in settings (CORS_GATE_ALLOWED_ORIGINS)."""
    value = _get("CORS_GATE_ALLOWED_ORIGINS", ())
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list | tuple) else ()


def preflight_passthrough() -> bool:
    """Let preflights reach the view and complete headers after it (seed steps 5.1-5.9)."""
    return bool(_get("CORS_GATE_PREFLIGHT_PASSTHROUGH", False))


def record_observations() -> bool:
    """Record what the middleware sees in enforce mode too (report-only always records)."""
    return bool(_get("CORS_GATE_RECORD_OBSERVATIONS", True))


def observed_max_rows() -> int:
    """How many ObservedOrigin rows to keep (CORS_GATE_OBSERVED_MAX_ROWS, default 10,000);
    the least recently seen go first."""
    value = _get("CORS_GATE_OBSERVED_MAX_ROWS", 10_000)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 10_000
    )


def auto_middleware() -> bool:
    """Whether the Open edX plugin settings insert CorsGateMiddleware automatically."""
    return bool(_get("CORS_GATE_AUTO_MIDDLEWARE", True))


def plugin_middleware_withdrawn() -> bool:
    """The plugin inserted the middleware, and CORS_GATE_AUTO_MIDDLEWARE was turned off
    after it did (e.g. in a Tutor settings patch): the middleware then steps out."""
    from cors_gate.settings.common import INSERTED_SETTING, plugin_middleware_withdrawn

    middleware = _get("MIDDLEWARE", ())
    return plugin_middleware_withdrawn(
        middleware if isinstance(middleware, list | tuple) else (),
        auto_middleware(),
        _get(INSERTED_SETTING, False),
    )


def cache_alias() -> str:
    """The Django cache that carries the policy version between processes."""
    value = _get("CORS_GATE_CACHE", "default")
    return value if isinstance(value, str) else "default"


def corsheaders_signal() -> bool:
    """Opt-in receiver for django-cors-headers' check_request_enabled signal."""
    return bool(_get("CORS_GATE_CORSHEADERS_SIGNAL", False))


def initial_mode() -> str:
    """The mode a new policy row starts in (CORS_GATE_INITIAL_MODE, default "enforce").

    The Open edX plugin sets "report-only", so installing it on a live site that serves
    front ends through django-cors-headers blocks nothing until an operator switches."""
    value = _get("CORS_GATE_INITIAL_MODE", "enforce")
    return (
        value
        if isinstance(value, str) and value in ("enforce", "report-only", "off")
        else "enforce"
    )
