"""CorsGateCsrfViewMiddleware: Django's CSRF protection, plus the origins of csrf_trusted rules.

Real requests through the full middleware stack with Client(enforce_csrf_checks=True): the
token is fetched the way a front end would (cookie from a GET), then sent back on a
credentialed cross-origin POST.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from cors_gate.csrf import csrf_trust_shape_ok
from cors_gate.models import AllowedOrigin, CorsPolicy


@ensure_csrf_cookie
def token(request: HttpRequest) -> HttpResponse:
    return HttpResponse("token set")


def submit(request: HttpRequest) -> HttpResponse:
    """A view that relies on CsrfViewMiddleware (no csrf_exempt)."""
    return HttpResponse(f"accepted {request.method}")


urlpatterns = [path("token/", token), path("submit/", submit)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_csrf")]

MFE = "https://apps.example.com"


@pytest.fixture(autouse=True)
def _cors_gate_csrf(settings: Any) -> None:
    settings.MIDDLEWARE = [
        "cors_gate.csrf.CorsGateCsrfViewMiddleware"
        if m == "django.middleware.csrf.CsrfViewMiddleware"
        else m
        for m in settings.MIDDLEWARE
    ]
    settings.CSRF_TRUSTED_ORIGINS = []


def csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.get("/token/", secure=True)
    assert response.status_code == 200
    return client, client.cookies["csrftoken"].value


def post(client: Client, origin: str | None, csrf_token: str | None) -> Any:
    headers: dict[str, str] = {}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    if csrf_token is not None:
        headers["HTTP_X_CSRFTOKEN"] = csrf_token
    return client.post("/submit/", {"x": "1"}, secure=True, **headers)


def rule(pattern: str, **fields: Any) -> AllowedOrigin:
    return AllowedOrigin.objects.create(pattern=pattern, **fields)


def test_trusted_rule_origin_passes_with_a_valid_token() -> None:
    rule(MFE, csrf_trusted=True)
    client, csrf_token = csrf_client()
    response = post(client, MFE, csrf_token)
    assert response.status_code == 200
    assert response.content == b"accepted POST"


def test_allowed_but_not_trusted_origin_fails_as_before(caplog: pytest.LogCaptureFixture) -> None:
    rule(MFE)  # a CORS rule, not CSRF-trusted
    client, csrf_token = csrf_client()
    response = post(client, MFE, csrf_token)
    assert response.status_code == 403
    assert "Origin checking failed - https://apps.example.com does not match" in caplog.text


def test_trusted_origin_without_a_token_fails_as_before(caplog: pytest.LogCaptureFixture) -> None:
    rule(MFE, csrf_trusted=True)
    client, _ = csrf_client()
    response = post(client, MFE, None)
    assert response.status_code == 403
    assert "Forbidden (CSRF token missing.)" in caplog.text


def test_trusted_origin_with_a_wrong_token_fails(caplog: pytest.LogCaptureFixture) -> None:
    rule(MFE, csrf_trusted=True)
    client, _ = csrf_client()
    response = post(client, MFE, "x" * 64)
    assert response.status_code == 403
    assert "HTTP header incorrect" in caplog.text


def test_same_origin_and_settings_still_work(settings: Any) -> None:
    client, csrf_token = csrf_client()
    assert post(client, "https://testserver", csrf_token).status_code == 200
    settings.CSRF_TRUSTED_ORIGINS = ["https://legacy.example.org"]
    assert post(client, "https://legacy.example.org", csrf_token).status_code == 200
    assert post(client, "https://other.example.org", csrf_token).status_code == 403


def test_wildcard_rule_trusts_one_label_like_its_cors_match() -> None:
    rule("https://*.example.com", csrf_trusted=True)
    client, csrf_token = csrf_client()
    assert post(client, "https://studio.example.com", csrf_token).status_code == 200
    # The CORS rule does not match these, so CSRF does not trust them either.
    assert post(client, "https://a.b.example.com", csrf_token).status_code == 403
    assert post(client, "https://example.com", csrf_token).status_code == 403
    assert post(client, "https://studio.example.com:8443", csrf_token).status_code == 403


def test_rules_under_a_public_suffix_never_earn_csrf_trust() -> None:
    # Such a rule is refused while CORS credentials are on; without them it may be saved,
    # and must still not extend CSRF trust.
    CorsPolicy.objects.update_or_create(pk=1, defaults={"allow_credentials": False})
    rule("https://*.github.io", csrf_trusted=True)
    client, csrf_token = csrf_client()
    assert post(client, "https://attacker.github.io", csrf_token).status_code == 403


def test_http_origins_are_never_trusted() -> None:
    rule("https://apps.example.com", csrf_trusted=True)
    client, csrf_token = csrf_client()
    assert post(client, "http://apps.example.com", csrf_token).status_code == 403


def test_disabled_and_expired_rules_do_not_trust() -> None:
    rule(MFE, csrf_trusted=True, enabled=False)
    rule("https://old.example.com", csrf_trusted=True, expires_at=timezone.now() + timedelta(0, 1))
    AllowedOrigin.objects.filter(pattern="https://old.example.com").update(
        expires_at=timezone.now() - timedelta(seconds=5)
    )
    client, csrf_token = csrf_client()
    assert post(client, MFE, csrf_token).status_code == 403
    assert post(client, "https://old.example.com", csrf_token).status_code == 403


@pytest.mark.parametrize("mode", ["report-only", "off"])
def test_no_trust_unless_the_policy_enforces(mode: str) -> None:
    rule(MFE, csrf_trusted=True)
    policy = CorsPolicy.load()
    policy.mode = mode
    policy.save()
    client, csrf_token = csrf_client()
    assert post(client, MFE, csrf_token).status_code == 403


def test_no_database_query_per_request(django_assert_num_queries: Any) -> None:
    rule(MFE, csrf_trusted=True)
    client, csrf_token = csrf_client()  # builds the snapshot
    with django_assert_num_queries(0):
        assert post(client, MFE, csrf_token).status_code == 200
        assert post(client, "https://evil.example.net", csrf_token).status_code == 403


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("https://apps.example.com", True),
        ("https://apps.example.com:8443", True),
        ("https://*.example.com", True),
        ("https://*.*.example.com", True),
        ("https://*.co.uk", False),
        ("https://*.github.io", False),
        ("https://app.*.example.com", False),
        ("https://*.example.com:*", False),
        ("https://*", False),
        ("*://apps.example.com", False),
        ("http://apps.example.com", False),
    ],
)
def test_which_rule_shapes_may_extend_csrf_trust(pattern: str, ok: bool) -> None:
    assert csrf_trust_shape_ok(pattern) is ok
