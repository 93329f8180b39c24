"""The check_request_enabled receiver, with django-cors-headers' CorsMiddleware doing the work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from cors_gate.integrations import corsheaders as bridge
from cors_gate.models import AllowedOrigin, CorsPolicy


def data(request: HttpRequest) -> HttpResponse:
    return HttpResponse("data")


urlpatterns = [path("api/data/", data), path("other/data/", data)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_corsheaders_signal")]

MFE = "https://apps.example.com"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


@pytest.fixture(autouse=True)
def _corsheaders_only(settings: Any) -> Iterator[None]:
    """django-cors-headers instead of CorsGateMiddleware, with an empty allow-list of its own."""
    settings.MIDDLEWARE = [
        "corsheaders.middleware.CorsMiddleware",
        *[m for m in settings.MIDDLEWARE if m != "cors_gate.middleware.CorsGateMiddleware"],
    ]
    settings.CORS_ALLOWED_ORIGINS = []
    settings.CORS_ALLOWED_ORIGIN_REGEXES = []
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOW_CREDENTIALS = True
    settings.CORS_URLS_REGEX = r"^/api/.*$"
    bridge.connect()
    yield
    bridge.disconnect()


def get(client: Client, origin: str, url: str = "/api/data/") -> Any:
    return client.get(url, HTTP_ORIGIN=origin)


def test_origin_allowed_by_cors_gate_is_allowed_by_corsheaders(client: Client) -> None:
    AllowedOrigin.objects.create(pattern="https://*.example.com")
    response = get(client, MFE)
    assert response[ALLOW_ORIGIN] == MFE
    assert response["Access-Control-Allow-Credentials"] == "true"


def test_other_origins_get_nothing(client: Client) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    assert ALLOW_ORIGIN not in get(client, "https://evil.example.net")
    assert ALLOW_ORIGIN not in get(client, "https://apps.example.com.evil.net")


def test_without_the_receiver_the_rule_means_nothing_to_corsheaders(client: Client) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    bridge.disconnect()
    assert ALLOW_ORIGIN not in get(client, MFE)


def test_preflight_is_answered_by_corsheaders_for_allowed_origins(
    client: Client, settings: Any
) -> None:
    settings.CORS_PREFLIGHT_MAX_AGE = 600
    AllowedOrigin.objects.create(pattern=MFE)
    response = client.options(
        "/api/data/", HTTP_ORIGIN=MFE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT"
    )
    assert response.status_code == 200
    assert response[ALLOW_ORIGIN] == MFE
    assert "PUT" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Max-Age"] == "600"  # corsheaders' setting, not the policy's


def test_rule_paths_and_disabled_rules_are_honoured(client: Client) -> None:
    AllowedOrigin.objects.create(pattern=MFE, paths=["/api/"])
    AllowedOrigin.objects.create(pattern="https://old.example.com", enabled=False)
    assert get(client, MFE)[ALLOW_ORIGIN] == MFE
    # The signal also answers corsheaders' URL check, so a rule's paths decide outside it.
    assert ALLOW_ORIGIN not in get(client, MFE, "/other/data/")
    assert ALLOW_ORIGIN not in get(client, "https://old.example.com")


@pytest.mark.parametrize("mode", ["report-only", "off"])
def test_only_an_enforcing_policy_allows(client: Client, mode: str) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    policy = CorsPolicy.load()
    policy.mode = mode
    policy.save()
    assert ALLOW_ORIGIN not in get(client, MFE)


def test_no_database_query_per_request(client: Client, django_assert_num_queries: Any) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    assert get(client, MFE)[ALLOW_ORIGIN] == MFE  # builds the snapshot
    with django_assert_num_queries(0):
        assert get(client, MFE)[ALLOW_ORIGIN] == MFE
        assert ALLOW_ORIGIN not in get(client, "https://evil.example.net")


def test_ready_connects_only_when_opted_in(client: Client, settings: Any) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    bridge.disconnect()
    config = apps.get_app_config("cors_gate")
    settings.CORS_GATE_CORSHEADERS_SIGNAL = False
    config.ready()
    assert ALLOW_ORIGIN not in get(client, MFE)
    settings.CORS_GATE_CORSHEADERS_SIGNAL = True
    config.ready()
    assert get(client, MFE)[ALLOW_ORIGIN] == MFE
