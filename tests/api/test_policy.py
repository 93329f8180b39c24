"""policy/: GET and PATCH, and the Cloud Gate settings PatchOp sent unchanged (as the Oracle
Cloud Gate CORS documentation gives it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy
from tests.api.conftest import API
from tests.data import cloud_gate_sample_payload, repaired_cloud_gate_sample_payload

pytestmark = pytest.mark.django_db

URL = f"{API}/policy/"
SCIM = "application/scim+json"


def payload(**value: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "cloudGateCorsSettings", "value": value}],
    }


VALID = payload(
    cloudGateCorsEnabled=True,
    cloudGateCorsAllowNullOrigin=True,
    cloudGateCorsAllowedOrigins=["https://app.my-server.com:8080", "https://*.example.com"],
    cloudGateCorsMaxAge=60,
    cloudGateCorsExposedHeaders=["x-custom-header", "x-my-app-header"],
)


def send(client: APIClient, body: str | dict[str, Any], content_type: str = SCIM) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    return client.generic("PATCH", URL, text, content_type=content_type)


def state() -> tuple[Any, ...]:
    policy = CorsPolicy.load()
    rules = sorted(AllowedOrigin.objects.values_list("pattern", "enabled"))
    return (policy.mode, policy.allow_null_origin, policy.max_age, policy.exposed_headers, rules)


def test_get_shows_the_policy(admin_api: APIClient) -> None:
    body = admin_api.get(URL).json()
    assert body["mode"] == "enforce"
    assert body["allow_credentials"] is True
    assert set(body) >= {"max_age", "exposed_headers", "urls_regex", "revision", "updated_at"}


def test_patch_changes_fields_and_records_them(admin_api: APIClient) -> None:
    response = admin_api.patch(URL, {"max_age": 9000, "mode": "report-only"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["max_age"], body["mode"]) == (9000, "report-only")
    assert body["changed"] == {"max_age": [0, 9000], "mode": ["enforce", "report-only"]}
    assert "Chromium caps preflight caching at 7200 s" in body["warnings"][0]
    record = ChangeRecord.objects.get(target="policy")
    assert record.channel == "api"
    assert record.user is not None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"mode": "sometimes"}, "mode", "is not a valid choice"),
        ({"max_age": -1}, "max_age", "greater than or equal to 0"),
        ({"exposed_headers": ["X Bad"]}, "exposed_headers", "'X Bad' is not a valid header name"),
        ({"urls_regex": "^/api/("}, "urls_regex", "is not a valid regular expression"),
        # Matched against every request's path: one crafted URL would hold a worker.
        ({"urls_regex": "^/api/(a+)+$"}, "urls_regex", "can take exponential time"),
        ({"maxAge": 5}, "maxAge", "is not a policy setting"),
    ],
)
def test_patch_refuses_bad_fields(
    admin_api: APIClient, body: dict[str, Any], field: str, message: str
) -> None:
    before = state()
    response = admin_api.patch(URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors and message in errors[field][0], errors
    assert state() == before


def test_credentials_cannot_be_turned_on_next_to_an_any_origin_rule(admin_api: APIClient) -> None:
    admin_api.patch(URL, {"allow_credentials": False}, format="json")
    AllowedOrigin.objects.create(pattern="https://*")
    response = admin_api.patch(URL, {"allow_credentials": True}, format="json")
    assert response.status_code == 400
    assert "https://*" in response.json()["allow_credentials"][0]


# -- Cloud Gate ---------------------------------------------------------------------------


def test_cloud_gate_payload_is_applied_atomically(admin_api: APIClient) -> None:
    AllowedOrigin.objects.create(pattern="https://legacy.example.org")
    AllowedOrigin.objects.create(pattern="https://*.example.com", enabled=False, note="keep me")
    response = send(admin_api, VALID)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["mode"], body["allow_null_origin"], body["max_age"]) == ("enforce", True, 60)
    assert body["exposed_headers"] == ["x-custom-header", "x-my-app-header"]
    assert body["origins"] == {
        "add": ["https://app.my-server.com:8080"],
        "keep": ["https://*.example.com"],
        "remove": ["https://legacy.example.org"],
    }
    assert state()[4] == [("https://*.example.com", True), ("https://app.my-server.com:8080", True)]
    assert AllowedOrigin.objects.get(pattern="https://*.example.com").note == "keep me"
    records = ChangeRecord.objects.filter(channel="api")
    # One record for the policy values, one for the whole allow-list with its counts.
    assert sorted(r.action for r in records) == ["change", "replace"]
    replaced = records.get(action="replace")
    assert replaced.detail["counts"] == {"add": 1, "enable": 1, "keep": 0, "delete": 1}
    assert replaced.detail["delete"][0]["pattern"] == "https://legacy.example.org"
    assert all(r.user is not None for r in records)
    # The browser-visible effect, at once.
    allowed = Client().get("/api/hello/", HTTP_ORIGIN="https://app.my-server.com:8080")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.my-server.com:8080"


def test_plain_json_content_type_works_too(admin_api: APIClient) -> None:
    response = send(admin_api, payload(cloudGateCorsMaxAge=120), "application/json")
    assert response.status_code == 200
    assert CorsPolicy.load().max_age == 120
    assert response.json()["origins"] is None  # the list was not part of the payload


def test_the_documented_sample_is_a_400_pointing_at_the_position(admin_api: APIClient) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    before = state()
    response = send(admin_api, cloud_gate_sample_payload())
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("body: invalid JSON at line 10, column 34 (position ")
    assert "Invalid control character" in detail and "cloudGateCorsMaxAge: 60," in detail
    assert state() == before


def test_the_repaired_documented_sample_is_refused_for_https_any(admin_api: APIClient) -> None:
    before = state()
    repaired = repaired_cloud_gate_sample_payload()
    response = send(admin_api, repaired)
    assert response.status_code == 400
    member = "Operations[0].value.cloudGateCorsAllowedOrigins[1]"
    assert "'https://*:*' allows every origin" in response.json()[member][0]
    assert state() == before


@pytest.mark.parametrize(
    ("value", "member", "message"),
    [
        (
            {"cloudGateCorsAllowedOrigins": ["https://ok.example.com", "https://www.*racle.com"]},
            "Operations[0].value.cloudGateCorsAllowedOrigins[1]",
            "partial-label wildcard",
        ),
        (
            {"cloudGateCorsAllowedOrigins": ["https://ok.example.com", 42]},
            "Operations[0].value.cloudGateCorsAllowedOrigins[1]",
            "must be a string",
        ),
        (
            {"cloudGateCorsEnabled": "yes"},
            "Operations[0].value.cloudGateCorsEnabled",
            "true or false",
        ),
        ({"cloudGateCorsMaxAge": "60"}, "Operations[0].value.cloudGateCorsMaxAge", "whole number"),
        (
            {"cloudGateCorsTimeout": 5},
            "Operations[0].value.cloudGateCorsTimeout",
            "not a Cloud Gate",
        ),
        (
            {"cloudGateCorsExposedHeaders": ["x ok"]},
            "Operations[0].value.cloudGateCorsExposedHeaders",
            "not a valid header name",
        ),
    ],
)
def test_invalid_values_name_the_member_and_apply_nothing(
    admin_api: APIClient, value: dict[str, Any], member: str, message: str
) -> None:
    # A stored rule with no change record of its own (a direct save records one).
    AllowedOrigin.objects.bulk_create([AllowedOrigin(pattern="https://apps.example.com")])
    before = state()
    body = payload(**{"cloudGateCorsMaxAge": 300, "cloudGateCorsAllowNullOrigin": True, **value})
    response = send(admin_api, body)
    assert response.status_code == 400
    assert message in response.json()[member][0]
    assert state() == before
    assert not ChangeRecord.objects.exists()


def test_operations_other_than_replace_are_refused(admin_api: APIClient) -> None:
    body = payload(cloudGateCorsMaxAge=5)
    body["Operations"][0]["op"] = "remove"
    response = send(admin_api, body)
    assert response.status_code == 400
    assert response.json() == {"Operations[0].op": ["'remove' is not supported (only 'replace')"]}


def test_replacing_the_list_needs_rule_permissions(
    make_user: Callable[..., User], client_for: Callable[[User | None], APIClient]
) -> None:
    client = client_for(make_user(perms=["cors_gate.change_corspolicy"]))
    before = state()
    assert send(client, VALID).status_code == 403
    assert state() == before
    assert send(client, payload(cloudGateCorsMaxAge=30)).status_code == 200


def test_get_as_cloud_gate_round_trips(admin_api: APIClient) -> None:
    send(admin_api, VALID)
    exported = admin_api.get(URL + "?as=cloud-gate")
    assert exported.status_code == 200
    AllowedOrigin.objects.all().delete()
    assert send(admin_api, exported.json()).status_code == 200
    assert admin_api.get(URL + "?as=cloud-gate").json() == exported.json()
    assert admin_api.get(URL + "?as=xml").status_code == 400


def test_other_methods_are_405(admin_api: APIClient) -> None:
    assert admin_api.put(URL, {"max_age": 1}, format="json").status_code == 405
    assert admin_api.delete(URL).status_code == 405
    assert CorsPolicy.load().max_age == 0
