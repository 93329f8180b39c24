"""Studio-shaped URLs: the platform's own views, then the plugins' URLs.

openedx-platform's cms/urls.py ends with
``urlpatterns.extend(get_plugin_url_patterns(ProjectType.CMS))``; so does this one.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns
from openedx.core.djangoapps.plugins.constants import ProjectType


def heartbeat(request: HttpRequest) -> JsonResponse:
    """Stand-in for the platform's /heartbeat view."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("heartbeat", heartbeat),
]

urlpatterns.extend(get_plugin_url_patterns(ProjectType.CMS))
