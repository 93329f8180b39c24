"""A stand-in LMS for the doctor scenarios: the endpoints the shipped journeys call.

Every view answers like the LMS endpoint of the same path would for an anonymous learner
(JSON, a 401 for the JWT refresh), with no CORS code of its own, so the CORS headers are
cors_gate's. The login POST is answered 302 to the SSO provider (``DOCTOR_IDP_URL``), as in
the Open edX forum thread "Cross-Origin Resource Sharing error: Preflight Missing Allow
Origin Header". CSRF is exempt here so that the views, not Django's
CSRF check, decide the answer (a 403 would carry the same CORS headers).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from test_urls import urlpatterns as project_urlpatterns


@csrf_exempt
def login_refresh(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"error": "no refresh token"}, status=401)


@csrf_exempt
def csrf_token(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"csrfToken": "stand-in-token"})


@csrf_exempt
def account(request: HttpRequest, username: str) -> HttpResponse:
    return JsonResponse({"username": username})


@csrf_exempt
def login_session(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return HttpResponseRedirect(settings.DOCTOR_IDP_URL)
    return JsonResponse({"login": "form"})


@csrf_exempt
def course_api(request: HttpRequest, course_id: str = "") -> HttpResponse:
    return JsonResponse({"course": course_id or request.GET.get("course_id", "")})


urlpatterns = [
    path("login_refresh", login_refresh),
    path("csrf/api/v1/token", csrf_token),
    path("api/user/v1/accounts/<str:username>", account),
    path("api/user/v2/account/login_session/", login_session),
    path("api/courseware/course/<path:course_id>", course_api),
    path("api/courses/v2/blocks/", course_api),
    path("api/learning_sequences/v1/course_outline/<path:course_id>", course_api),
    path("api/agreements/v1/integrity_signature/<path:course_id>", course_api),
    *project_urlpatterns,
]
