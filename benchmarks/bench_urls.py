"""The trivial view every benchmarked request ends in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns = [path("api/ok/", ok)]
