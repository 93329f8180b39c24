"""The one behaviour every stand-in middleware of this project shares: none.

openedx-platform's middleware modules import the whole platform, so they cannot be
installed here. Each stand-in keeps the real dotted path, so MIDDLEWARE keeps its real
entries in their real order, and passes every request on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PassThrough:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
