"""Views that misbehave the ways real views do, for the middleware tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def with_own_cors(request: HttpRequest) -> HttpResponse:
    """A view (or another library) that sets CORS headers itself, too generously."""
    response = HttpResponse("own")
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Credentials"] = "false"
    response["Access-Control-Allow-Methods"] = "GET, DELETE"
    response["Access-Control-Allow-Headers"] = "X-Anything"
    response["Access-Control-Max-Age"] = "99999"
    response["Access-Control-Expose-Headers"] = "X-Secret"
    response["Access-Control-Allow-Private-Network"] = "true"
    response["Vary"] = "Cookie, origin"
    response["X-Total-Count"] = "42"
    response["X-Other"] = "1"
    return response


def get_only(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse("get")


def options_with_allow(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Allow"] = "GET, POST, PATCH"
    return response


def options_with_own_methods(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "PATCH"
    response["Access-Control-Allow-Headers"] = "X-Upstream"
    response["Access-Control-Expose-Headers"] = "X-Total-Count"
    return response


def login_redirect(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/login/?next=/api/private/")


def to_idp(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("https://dev-123.okta.com/app/lms/exk1/sso/saml")


urlpatterns = [
    path("api/plain/", plain),
    path("api/own/", with_own_cors),
    path("api/get-only/", get_only),
    path("api/allow/", options_with_allow),
    path("api/upstream/", options_with_own_methods),
    path("api/private/", login_redirect),
    path("user_api/v1/account/login_session/", to_idp),
    path("other/plain/", plain),
    path("other/own/", with_own_cors),
]
