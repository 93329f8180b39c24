"""Stand-in for openedx-platform's cors_csrf middleware (not installable here).

Only the start-up behaviour of the real classes is kept: each steps out of the chain
(MiddlewareNotUsed) unless its feature flag is on, as openedx-platform's
openedx/core/djangoapps/cors_csrf/middleware.py does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from platform_standins import PassThrough


class CorsCSRFMiddleware(PassThrough):
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.ENABLE_CORS_HEADERS:
            raise MiddlewareNotUsed()
        super().__init__(get_response)


class CsrfCrossDomainCookieMiddleware(PassThrough):
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.ENABLE_CROSS_DOMAIN_CSRF_COOKIE:
            raise MiddlewareNotUsed()
        super().__init__(get_response)
