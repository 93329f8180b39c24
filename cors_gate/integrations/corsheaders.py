"""django-cors-headers' `check_request_enabled` signal, answered from the cors_gate policy.

For sites that keep ``corsheaders.middleware.CorsMiddleware``: with
``CORS_GATE_CORSHEADERS_SIGNAL = True`` the app connects `allow_by_policy` at start-up, and
django-cors-headers then also allows every origin the cors_gate rules allow (same snapshot as
the middleware: no database query per request). django-cors-headers still builds the
headers from its own settings; docs/how-to/keep-django-cors-headers.rst says what this
bridge does not do.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cors_gate.policy import current_snapshot

DISPATCH_UID = "cors_gate.integrations.corsheaders"


def allow_by_policy(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """True when cors_gate, enforcing, allows this request's origin on this path.

    django-cors-headers calls it up to twice per request (URL check, then origin check):
    both answers come from the same in-memory snapshot. Report-only and off allow nothing.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if not origin:
        return False
    snapshot = current_snapshot()
    if snapshot.mode != "enforce":
        return False
    return snapshot.decide(origin, request.path_info).allowed


def connect() -> None:
    from corsheaders.signals import check_request_enabled

    check_request_enabled.connect(allow_by_policy, dispatch_uid=DISPATCH_UID)


def disconnect() -> None:
    from corsheaders.signals import check_request_enabled

    check_request_enabled.disconnect(allow_by_policy, dispatch_uid=DISPATCH_UID)
