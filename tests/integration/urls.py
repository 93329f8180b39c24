"""The test project's URLs plus a view that says which worker answered."""

from __future__ import annotations

import os
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from test_urls import urlpatterns as project_urls


def whoami(request: HttpRequest) -> HttpResponse:
    # The worker's own clock: the order it answered in, whatever the network did.
    return JsonResponse({"pid": os.getpid(), "at": time.time()})


urlpatterns = [path("integration/whoami/", whoami), *project_urls]
