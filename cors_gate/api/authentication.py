"""Authentication: the host project's REST_FRAMEWORK classes (JWT in Open edX), plus sessions.

Session authentication keeps DRF's CSRF enforcement, through cors_gate's CSRF middleware, so
a front end whose origin is a csrf_trusted rule can call the API with its session cookie.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings

from cors_gate.csrf import CorsGateCsrfViewMiddleware


class _CsrfCheck(CorsGateCsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason  # DRF reports the reason itself


def _no_response(request: HttpRequest) -> HttpResponse:
    return HttpResponse()  # never called: only process_request/process_view run


class CsrfSessionAuthentication(SessionAuthentication):
    """DRF's SessionAuthentication, its CSRF check done by CorsGateCsrfViewMiddleware."""

    def enforce_csrf(self, request: Request) -> None:
        check = _CsrfCheck(_no_response)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


def authenticators() -> list[BaseAuthentication]:
    """The host's classes in their order (SessionAuthentication swapped for ours), and
    session authentication last if the host has none."""
    classes: list[type[BaseAuthentication]] = []
    configured: list[type[BaseAuthentication]] = list(
        api_settings.DEFAULT_AUTHENTICATION_CLASSES  # type: ignore[arg-type]  # classes, loaded
    )
    for cls in configured:
        chosen = CsrfSessionAuthentication if issubclass(cls, SessionAuthentication) else cls
        if chosen not in classes:
            classes.append(chosen)
    if CsrfSessionAuthentication not in classes:
        classes.append(CsrfSessionAuthentication)
    return [cls() for cls in classes]
