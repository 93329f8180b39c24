"""cors_gate's own Django settings, with their defaults.

Read at call time so that `override_settings` in tests and settings changes at start-up
are both honoured. The request path reads them once per snapshot build, never per request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings

# django-cors-headers' settings under their current name and the name before 3.5; its conf
# reads the current name when it is set at all, and only otherwise the old one.
CORSHEADERS_ALLOWED_ORIGINS = ("CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST")
CORSHEADERS_ORIGIN_REGEXES = ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST")
CORSHEADERS_ALLOW_ALL = ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL")


def _get(name: str, default: object) -> object:
    return getattr(settings, name, default)


def setting_list(value: object) -> list[Any]:
    """A list setting as a list: None is empty, one text (or compiled regex) is one entry,
    any other iterable its items, anything else one entry (for the caller to refuse)."""
    if value is None:
        return []
    if isinstance(value, str | re.Pattern):
        return [value]
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        return [value]


def first_set(names: Sequence[str], default: object = None) -> tuple[str, object]:
    """The first of `names` that is set, and its value, the way django-cors-headers' conf
    falls back from a setting's current name to its old one (so a list under the old name
    is ignored whenever the current name is set, even to an empty list)."""
    for name in names:
        if hasattr(settings, name):
            return name, getattr(settings, name)
    return names[0], default


def refresh_seconds() -> float:
    """How often each process checks whether the policy changed (CORS_GATE_REFRESH_SECONDS)."""
    value = _get("CORS_GATE_REFRESH_SECONDS", 1)
    return float(value) if isinstance(value, int | float) else 1.0


def pinned_origins() -> Sequence[str]:
    """Allow-list entries pinned in settings (CORS_GATE_ALLOWED_ORIGINS)."""
    return tuple(setting_list(_get("CORS_GATE_ALLOWED_ORIGINS", ())))


def preflight_passthrough() -> bool:
    """Let preflights reach the view and complete headers after it (Oracle Cloud Gate CORS
    documentation, steps 5.1-5.9)."""
    return bool(_get("CORS_GATE_PREFLIGHT_PASSTHROUGH", False))


def record_observations() -> bool:
    """Record what the middleware sees in enforce mode too (report-only always records)."""
    return bool(_get("CORS_GATE_RECORD_OBSERVATIONS", True))


def own_origin_max_length() -> int | None:
    """The longest Origin that can be the site's own: "https://", the longest ALLOWED_HOSTS
    entry, the trailing dot Django accepts after it, and a port (Django accepts no other
    host); None when an entry admits any host ("*", or ".example.com" for its subdomains),
    as Django's DEBUG default ".localhost" does."""
    hosts = settings.ALLOWED_HOSTS
    if not hosts and settings.DEBUG:
        return None
    longest = 0
    for host in setting_list(hosts):
        if not isinstance(host, str) or host == "*" or host.startswith("."):
            return None
        longest = max(longest, len(host))
    return len("https://") + longest + len(".:65535")


def observed_max_rows() -> int:
    """How many ObservedOrigin rows to keep (CORS_GATE_OBSERVED_MAX_ROWS, default 10,000);
    the least recently seen go first."""
    value = _get("CORS_GATE_OBSERVED_MAX_ROWS", 10_000)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 10_000
    )


def plugin_middleware_withdrawn() -> bool:
    """The plugin inserted the middleware, and CORS_GATE_AUTO_MIDDLEWARE was turned off
    after it did (e.g. in a Tutor settings patch): the middleware then steps out."""
    from cors_gate.settings.common import INSERTED_SETTING, plugin_middleware_withdrawn

    middleware = _get("MIDDLEWARE", ())
    return plugin_middleware_withdrawn(
        middleware if isinstance(middleware, list | tuple) else (),
        bool(_get("CORS_GATE_AUTO_MIDDLEWARE", True)),
        _get(INSERTED_SETTING, False),
    )


def site_url() -> str:
    """The URL this site is served at, as configured (CORS_GATE_SITE_URL; "" when unset):
    what the explain feature's in-process and URL modes call this site."""
    value = _get("CORS_GATE_SITE_URL", "")
    return str(value).rstrip("/") if value else ""


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
