"""URLs of the test and demo project."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    """A trivial API-like view the tests and the demo call cross-origin."""
    return JsonResponse({"hello": "world", "method": request.method})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/hello/", hello),
    path("api/cors_gate/", include("cors_gate.api.urls")),
    path("", include("social_django.urls", namespace="social")),
]
