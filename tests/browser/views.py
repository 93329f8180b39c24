"""Test-only views the browser suite calls cross-origin (mounted under /tb/)."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


@csrf_exempt
def echo(request: HttpRequest) -> HttpResponse:
    """An API view with no CORS code, plus two custom headers to test exposure."""
    response = JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "cookie": request.COOKIES.get("tb_session"),
            "authorization": request.headers.get("Authorization"),
            "pid": os.getpid(),  # which gunicorn worker answered
        }
    )
    response["X-Tenant"] = "acme"
    response["X-Request-Id"] = "req-42"
    return response


@csrf_exempt
def hand_cors(request: HttpRequest) -> HttpResponse:
    """A view that does CORS by itself, trusting every origin (the unsafe habit)."""
    origin = request.headers.get("Origin", "")
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
        response["Access-Control-Allow-Methods"] = request.headers.get(
            "Access-Control-Request-Method", "GET"
        )
        response["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", ""
        )
        if "max_age" in request.GET:
            response["Access-Control-Max-Age"] = request.GET["max_age"]
    else:
        response = JsonResponse({"hand": "cors", "method": request.method})
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Credentials"] = "true"
    return response


@csrf_exempt
def cached(request: HttpRequest) -> HttpResponse:
    """A cacheable API answer (browsers keep it 10 minutes); ``?vary=no`` with hand-set CORS
    headers and no ``Vary: Origin``, as a view that does CORS itself often forgets."""
    response = JsonResponse({"origin_seen": request.headers.get("Origin")})
    response["Cache-Control"] = "public, max-age=600"
    if request.GET.get("vary") == "no":
        response["Access-Control-Allow-Origin"] = request.headers.get("Origin", "")
    return response


@csrf_exempt
def bounce(request: HttpRequest) -> HttpResponse:
    """Redirects (302) to ``?to=``: e.g. the same server under another host name."""
    return HttpResponseRedirect(request.GET["to"])


@csrf_exempt
def forbidden_options(request: HttpRequest) -> HttpResponse:
    """Answers every OPTIONS with 403 and no CORS headers (like a WAF or a login wall)."""
    if request.method == "OPTIONS":
        return HttpResponse("forbidden", status=403)
    return JsonResponse({"method": request.method})


@csrf_exempt
def login_session(request: HttpRequest) -> HttpResponse:
    """The LMS endpoint of the forum case (docs/reference/sources.rst): the form's POST is
    answered with 302 to the SSO provider."""
    if request.method == "POST":
        return HttpResponseRedirect(request.GET["idp"])
    return JsonResponse({"login": "form"})


@require_GET
def get_only(request: HttpRequest) -> HttpResponse:
    """Answers OPTIONS (and everything but GET/HEAD) with 405, as many Django views do."""
    return JsonResponse({"method": request.method})


class Items(APIView):
    """A DRF view: its OPTIONS answer carries ``Allow: GET, POST, HEAD, OPTIONS``."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    def get(self, request: Request) -> Response:
        return Response({"items": []})

    def post(self, request: Request) -> Response:
        return Response({"created": True}, status=201)


@csrf_exempt
def raw_redirect(request: HttpRequest) -> HttpResponse:
    """A 302 to ``?to=`` as written (Django's own redirect refuses data: and about:), with
    ``Access-Control-Allow-Origin: *`` so the redirect answer itself passes CORS."""
    response = HttpResponse(status=302)
    response["Location"] = request.GET["to"]
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
def hand_allow_origin(request: HttpRequest) -> HttpResponse:
    """Sends the request's Origin and ``?also=`` as one Access-Control-Allow-Origin line, as
    a proxy that appends its own value to the application's does."""
    response = JsonResponse({"method": request.method})
    origin = request.headers.get("Origin", "")
    response["Access-Control-Allow-Origin"] = f"{origin}, {request.GET['also']}"
    return response


@csrf_exempt
def wildcard_cors(request: HttpRequest) -> HttpResponse:
    """CORS by hand with wildcards everywhere (cors_gate itself refuses '*' as a header
    name): ``Access-Control-Allow-Headers: *`` without credentials."""
    response = HttpResponse(status=204) if request.method == "OPTIONS" else echo(request)
    response["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response["Access-Control-Allow-Methods"] = "*"
        response["Access-Control-Allow-Headers"] = "*"
    return response
