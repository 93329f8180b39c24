"""The trivial views every benchmarked request ends in (sync for WSGI, async for ASGI)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"ok": true}', content_type="application/json")


async def ok_async(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns = [path("api/ok/", ok), path("api/ok-async/", ok_async)]
