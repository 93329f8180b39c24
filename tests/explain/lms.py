"""An LMS-like Django site for the explain tests: URL conf, a login wall, a live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def login_session(request: HttpRequest) -> HttpResponse:
    """Like edx-platform's login_session with a SAML provider: 302 to the IdP."""
    return HttpResponseRedirect(settings.EXPLAIN_TEST_IDP_URL)


def hello(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"hello": "world"})


def login_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<form>log in</form>")


urlpatterns = [
    path("user_api/v1/account/login_session/", login_session),
    path("api/hello/", hello),
    path("login/", login_page),
]


class LoginWall:
    """Sends every anonymous request to /login/ (as many sites' auth middleware does)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith("/login/"):
            return redirect_to_login(request.get_full_path(), "/login/")
        return self.get_response(request)


@contextmanager
def live_lms() -> Iterator[str]:
    """This project served on 127.0.0.1 in a thread sharing the test database."""
    shared: dict[str, Any] = {}
    for conn in connections.all():
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            shared[conn.alias] = conn
            conn.inc_thread_sharing()
    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        # A browser's keep-alive connection can outlive terminate() in a daemon request
        # thread that closes its database connection last; the sharing stays allowed until
        # the test database goes away, so that late close does not raise.
        thread.terminate()
