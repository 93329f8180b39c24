"""origins/: CRUD, filters, per-field errors with the engine's messages, recorded authorship."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, ChangeRecord
from tests.api.conftest import API

pytestmark = pytest.mark.django_db

URL = f"{API}/origins/"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def last_record() -> ChangeRecord:
    record = ChangeRecord.objects.order_by("-at", "-id").first()
    assert record is not None
    return record


def test_create_normalises_and_records_the_author(admin_api: APIClient) -> None:
    response = admin_api.post(
        URL,
        {"pattern": "HTTPS://Apps.Example.com:443/", "note": "learner MFE", "paths": ["/api/"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pattern"] == "https://apps.example.com"
    assert (body["enabled"], body["note"], body["paths"]) == (True, "learner MFE", ["/api/"])
    assert body["created_by"] == body["updated_by"] is not None
    record = last_record()
    assert (record.channel, record.action, record.target) == ("api", "add", "origin")
    assert record.user is not None and record.user.get_username() == body["created_by"]


def test_a_new_rule_takes_effect_for_cors_requests(admin_api: APIClient) -> None:
    assert ALLOW_ORIGIN not in Client().get("/api/hello/", HTTP_ORIGIN="https://apps.example.com")
    admin_api.post(URL, {"pattern": "https://apps.example.com"}, format="json")
    response = Client().get("/api/hello/", HTTP_ORIGIN="https://apps.example.com")
    assert response[ALLOW_ORIGIN] == "https://apps.example.com"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"pattern": "https://www.*racle.com"}, "pattern", "host: partial-label wildcard"),
        ({"pattern": "apps.example.com"}, "pattern", "protocol: missing"),
        ({"pattern": "https://apps.example.com/path"}, "pattern", "path: is not allowed"),
        ({"pattern": "https://a.example.com:99999"}, "pattern", "port: 99999 is outside 1-65535"),
        ({"pattern": "null"}, "pattern", "entry: 'null' is not an entry"),
        ({"pattern": "*"}, "pattern", "'*' allows every origin, and the policy sends credentials"),
        ({"pattern": "https://a.example.com", "paths": ["api"]}, "paths", "must be a URL path"),
        (
            {"pattern": "http://a.example.com", "csrf_trusted": True},
            "csrf_trusted",
            "only https origins can be CSRF-trusted",
        ),
        (
            {"pattern": "https://a.example.com", "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
            "is in the past",
        ),
        ({"pattern": "https://a.example.com", "enabled": "perhaps"}, "enabled", "true or false"),
        ({"pattern": "https://a.example.com", "enabled": "yes"}, "enabled", "not a string"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    admin_api: APIClient, body: dict[str, Any], field: str, message: str
) -> None:
    response = admin_api.post(URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert AllowedOrigin.objects.count() == 0
    assert not ChangeRecord.objects.exists()


def test_every_bad_field_is_reported_at_once(admin_api: APIClient) -> None:
    response = admin_api.post(
        URL, {"pattern": "ftp://x.example.com", "paths": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"pattern", "paths"}


def test_a_duplicate_in_another_spelling_is_refused(admin_api: APIClient) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    response = admin_api.post(URL, {"pattern": "https://APPS.example.com"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"pattern": ["'https://apps.example.com' already has a rule"]}


def test_malformed_json_is_a_400_with_its_position(admin_api: APIClient) -> None:
    response = admin_api.generic(
        "POST", URL, '{"pattern": "https://a.example.com",}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("body: invalid JSON at line 1, column 37")


def test_list_filters_by_enabled_and_search(admin_api: APIClient) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com", note="learner MFE")
    AllowedOrigin.objects.create(pattern="https://studio.example.com", enabled=False)
    AllowedOrigin.objects.create(pattern="https://partner.org")

    def patterns(query: str) -> list[str]:
        response = admin_api.get(URL + query)
        assert response.status_code == 200
        return [r["pattern"] for r in response.json()["results"]]

    assert patterns("") == [
        "https://apps.example.com",
        "https://partner.org",
        "https://studio.example.com",
    ]
    assert patterns("?enabled=false") == ["https://studio.example.com"]
    assert patterns("?enabled=true&search=example") == ["https://apps.example.com"]
    assert patterns("?search=MFE") == ["https://apps.example.com"]
    assert patterns("?limit=1&offset=1") == ["https://partner.org"]
    bad = admin_api.get(URL + "?enabled=perhaps")
    assert bad.status_code == 400
    assert bad.json() == {"enabled": ["'perhaps' must be true or false"]}


def test_retrieve_update_and_delete(admin_api: APIClient) -> None:
    rule = AllowedOrigin.objects.create(pattern="https://apps.example.com", note="x")
    detail = f"{URL}{rule.pk}/"
    assert admin_api.get(detail).json()["pattern"] == "https://apps.example.com"

    renamed = admin_api.put(
        detail, {"pattern": "https://learn.example.com", "note": "renamed"}, format="json"
    )
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["pattern"], renamed.json()["note"]) == (
        "https://learn.example.com",
        "renamed",
    )
    assert last_record().detail["pattern"] == [
        "https://apps.example.com",
        "https://learn.example.com",
    ]

    later = (timezone.now() + timedelta(days=30)).isoformat()
    patched = admin_api.patch(detail, {"enabled": False, "expires_at": later}, format="json")
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    assert patched.json()["expires_at"] is not None
    rule.refresh_from_db()
    assert (rule.pattern, rule.note, rule.enabled) == (
        "https://learn.example.com",
        "renamed",
        False,
    )

    gone = admin_api.delete(detail)
    assert gone.status_code == 204
    assert not AllowedOrigin.objects.exists()
    record = last_record()
    assert (record.channel, record.action, record.object_repr) == (
        "api",
        "delete",
        "https://learn.example.com",
    )
    assert admin_api.get(detail).status_code == 404


def test_update_refuses_bad_values_and_changes_nothing(admin_api: APIClient) -> None:
    rule = AllowedOrigin.objects.create(pattern="https://apps.example.com")
    AllowedOrigin.objects.create(pattern="https://studio.example.com")
    detail = f"{URL}{rule.pk}/"
    clash = admin_api.patch(detail, {"pattern": "https://studio.example.com"}, format="json")
    assert clash.status_code == 400
    assert clash.json() == {"pattern": ["'https://studio.example.com' already has a rule"]}
    http_csrf = admin_api.patch(
        detail, {"pattern": "http://apps.example.com", "csrf_trusted": True}, format="json"
    )
    assert http_csrf.status_code == 400
    assert list(http_csrf.json()) == ["csrf_trusted"]
    rule.refresh_from_db()
    assert (rule.pattern, rule.csrf_trusted) == ("https://apps.example.com", False)


def test_disabling_through_the_api_takes_effect(admin_api: APIClient) -> None:
    rule = AllowedOrigin.objects.create(pattern="https://apps.example.com")
    assert Client().get("/api/hello/", HTTP_ORIGIN=rule.pattern)[ALLOW_ORIGIN] == rule.pattern
    admin_api.patch(f"{URL}{rule.pk}/", {"enabled": False}, format="json")
    assert ALLOW_ORIGIN not in Client().get("/api/hello/", HTTP_ORIGIN=rule.pattern)
