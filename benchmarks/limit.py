"""The physical limit of a Django CORS middleware: write an allowed origin's headers, decide
nothing.

Every request with an Origin gets `Access-Control-Allow-Origin`, `-Credentials` and
`Vary: Origin` (through Django's own `patch_vary_headers`), whatever the origin. No real
middleware can do less for an allowed origin, so cors_gate's overhead is reported as a
multiple of this one's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers


def _write(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
    patch_vary_headers(response, ("Origin",))
    return response


class HeaderWritingLimitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return _write(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return _write(request, await get_response(request))
