"""explain/ over the API, and authentication: session with CSRF, and the host's classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin
from tests.api.conftest import ALL_PERMS, API

pytestmark = pytest.mark.django_db

EXPLAIN = f"{API}/explain/"
ORIGINS = f"{API}/origins/"
MFE = "https://apps.example.com"


def test_explain_answers_the_explain_json(admin_api: APIClient) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    response = admin_api.post(
        EXPLAIN,
        {"origin": MFE, "method": "PUT", "headers": ["X-CSRFToken: abc"], "path": "/api/hello/"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "preflight"
    assert body["decision"]["allowed"] is True and body["decision"]["rule"] == MFE
    assert body["request"]["mode"] == "policy"


def test_explain_denied_origin(admin_api: APIClient) -> None:
    body = admin_api.post(
        EXPLAIN, {"origin": "https://evil.example.net", "path": "/api/hello/"}, format="json"
    ).json()
    assert body["decision"]["allowed"] is False
    assert body["decision"]["reason"] == "no-rule"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"origin": MFE, "url": "http://127.0.0.1:9/"}, "url"),
        ({"origin": MFE, "in_process": True}, "in_process"),
        ({"origin": MFE, "credentials": "same-origin"}, "credentials"),
        ({"origin": MFE, "headers": ["no colon here"]}, "header 'no colon here'"),
        ({"origin": MFE, "path": "api/hello/"}, "path"),
        ({"method": "GET"}, "origin"),
        ({"origin": MFE, "colour": "blue"}, "colour"),
    ],
)
def test_explain_bad_input_is_a_400_naming_the_field(
    admin_api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = admin_api.post(EXPLAIN, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


# -- authentication ---------------------------------------------------------------------------


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user(perms=ALL_PERMS)


def csrf_session(user: User) -> tuple[APIClient, str]:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/admin/login/")  # the login form sets the CSRF cookie, as for a real user
    client.force_login(user)
    return client, client.cookies["csrftoken"].value


def test_session_writes_need_the_csrf_token(staff: User) -> None:
    client, token = csrf_session(staff)
    assert client.get(ORIGINS).status_code == 200  # safe methods need no token
    refused = client.post(ORIGINS, {"pattern": MFE}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed: CSRF token missing")
    accepted = client.post(ORIGINS, {"pattern": MFE}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_cross_origin_session_writes_follow_csrf_trusted_rules(staff: User) -> None:
    AllowedOrigin.objects.create(pattern="https://admin-mfe.example.com", csrf_trusted=True)
    AllowedOrigin.objects.create(pattern="https://apps.example.com")  # CORS only
    client, token = csrf_session(staff)

    def post(origin: str, pattern: str) -> Any:
        return client.post(
            ORIGINS,
            {"pattern": pattern},
            format="json",
            secure=True,
            HTTP_ORIGIN=origin,
            HTTP_X_CSRFTOKEN=token,
        )

    assert post("https://admin-mfe.example.com", "https://one.example.com").status_code == 201
    refused = post("https://apps.example.com", "https://two.example.com")
    assert refused.status_code == 403
    assert "Origin checking failed" in refused.json()["detail"]


def test_host_authentication_classes_are_used(
    settings: Any, make_user: Callable[..., User]
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"]
    }
    user = make_user(perms=ALL_PERMS)
    user.set_password("s3cret")
    user.save()
    client = APIClient()
    anonymous = client.get(ORIGINS)
    assert anonymous.status_code == 401  # the host's class answers first: a challenge
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    client.credentials(HTTP_AUTHORIZATION=_basic(user.get_username(), "s3cret"))
    assert client.get(ORIGINS).status_code == 200
    # Sessions still work next to the host's classes.
    session = APIClient()
    session.force_login(user)
    assert session.get(ORIGINS).status_code == 200


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
