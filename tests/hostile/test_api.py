"""The REST API, tried as an attacker would: every body is a 2xx or a 4xx naming the field,
a refusal changes nothing, and no stored value can break a list afterwards."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy
from cors_gate.services import POLICY_FIELDS, Actor, update_policy
from tests.hostile.conftest import (
    hostile_text,
    json_values,
    no_tracebacks,
    one_line,
    raw_json,
    state,
)

pytestmark = pytest.mark.django_db

API = "/api/cors_gate/v1"
ORIGINS = f"{API}/origins/"
POLICY = f"{API}/policy/"
EXPLAIN = f"{API}/explain/"
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BROAD = ["https://*.com", "https://*.*", "*://*.*:*", "https://*.*.*", "https://*.co.uk"]


@pytest.fixture
def boss(make_user: Callable[..., User]) -> User:
    return make_user(superuser=True)


@pytest.fixture
def api(boss: User) -> APIClient:
    client = APIClient()
    client.force_login(boss)
    return client


@pytest.fixture
def admin(boss: User) -> Client:
    client = Client()
    client.force_login(boss)
    return client


def send(api: APIClient, method: str, url: str, body: Any) -> Any:
    text = body if isinstance(body, str) else raw_json(body)
    return api.generic(method, url, text, content_type="application/json")


def assert_refused(response: Any, before: tuple[Any, ...]) -> None:
    assert 400 <= response.status_code < 500, response.content[:300]
    assert state() == before
    body = response.json()
    assert isinstance(body, dict) and body
    for messages in body.values():
        for message in messages if isinstance(messages, list) else [messages]:
            assert isinstance(message, str) and one_line(message)


def assert_lists_render(api: APIClient, admin: Client) -> None:
    """Whatever is stored, every list a user opens still answers."""
    assert api.get(ORIGINS).status_code == 200
    assert api.get(POLICY).status_code == 200
    assert admin.get("/admin/cors_gate/allowedorigin/").status_code == 200
    assert admin.get("/admin/cors_gate/changerecord/").status_code == 200
    out = io.StringIO()
    call_command("cors_gate_origins", "list", stdout=out)
    out.getvalue().encode("utf-8")  # what a pipe does with it


origin_bodies = st.fixed_dictionaries(
    {"pattern": st.one_of(hostile_text, json_values)},
    optional={
        "enabled": json_values,
        "note": st.one_of(hostile_text, json_values),
        "paths": st.one_of(st.lists(hostile_text, max_size=3), json_values),
        "expires_at": st.one_of(hostile_text, json_values),
        "csrf_trusted": json_values,
        "id": json_values,
        "colour": json_values,
    },
)


@HYPOTHESIS
@given(body=origin_bodies)
def test_any_origin_body_is_created_whole_or_refused_with_nothing_written(
    api: APIClient, admin: Client, body: dict[str, Any]
) -> None:
    before = state()
    with no_tracebacks():
        response = send(api, "POST", ORIGINS, body)
    if response.status_code == 201:
        assert ChangeRecord.objects.count() == before[2] + 1
        assert_lists_render(api, admin)
        AllowedOrigin.objects.filter(pk=response.json()["id"]).delete()
    else:
        assert_refused(response, before)


policy_bodies = st.dictionaries(
    st.sampled_from([*POLICY_FIELDS, "revision", "updated_at", "colour"]),
    st.one_of(json_values, st.lists(hostile_text, max_size=3)),
    max_size=4,
)


@HYPOTHESIS
@given(body=policy_bodies)
def test_any_policy_patch_is_applied_whole_or_refused_with_nothing_written(
    api: APIClient, admin: Client, body: dict[str, Any]
) -> None:
    before = state()
    with no_tracebacks():
        response = send(api, "PATCH", POLICY, body)
    if response.status_code == 200:
        assert_lists_render(api, admin)
        assert admin.get("/admin/cors_gate/corspolicy/1/change/").status_code == 200
    else:
        assert_refused(response, before)


@HYPOTHESIS
@given(body=json_values)
def test_any_json_document_on_any_write_route_is_answered_not_crashed(
    api: APIClient, body: Any
) -> None:
    for method, url in (("POST", ORIGINS), ("PATCH", POLICY), ("POST", EXPLAIN)):
        before = state()
        with no_tracebacks():
            response = send(api, method, url, raw_json(body))  # a string body is JSON too
        assert response.status_code < 500
        if response.status_code >= 400:
            assert state() == before


# --- the findings, one by one --------------------------------------------------------------


@pytest.mark.parametrize("pattern", BROAD)
def test_wildcards_over_a_public_suffix_are_refused_while_credentials_are_on(
    api: APIClient, pattern: str
) -> None:
    before = state()
    response = send(api, "POST", ORIGINS, {"pattern": pattern})
    assert_refused(response, before)
    assert "the policy sends credentials" in response.json()["pattern"][0]
    # The browser-visible effect: nothing lets evil.com in with cookies.
    hello = Client().get("/api/hello/", HTTP_ORIGIN="https://evil.com")
    assert "Access-Control-Allow-Origin" not in hello


def test_without_credentials_they_save_with_an_audit_warning_and_credentials_stay_off(
    api: APIClient,
) -> None:
    update_policy({"allow_credentials": False}, actor=Actor("command"))
    assert send(api, "POST", ORIGINS, {"pattern": "https://*.co.uk"}).status_code == 201
    from cors_gate.checks import run_checks

    warned = [m for m in run_checks(deploy=True) if m.id == "cors_gate.W006"]
    assert warned and "co.uk" in warned[0].msg
    before = state()
    response = send(api, "PATCH", POLICY, {"allow_credentials": True})
    assert_refused(response, before)
    assert "'https://*.co.uk'" in response.json()["allow_credentials"][0]
    assert CorsPolicy.load().allow_credentials is False


def test_a_narrow_wildcard_is_still_fine_with_credentials(api: APIClient) -> None:
    for pattern in ("https://*.example.com", "https://*.myorg.github.io", "http://*.localhost:*"):
        assert send(api, "POST", ORIGINS, {"pattern": pattern}).status_code == 201, pattern


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pattern": "https://a.example.com", "paths": ["/\ud800"]}, "paths"),
        ({"pattern": "https://a.example.com", "paths": ["/ok/\udcff"]}, "paths"),
        ({"pattern": "https://a.example.com", "note": "x\ud800"}, "note"),
        ({"pattern": "https://a.example.com", "note": "line\nbreak"}, "note"),
        ({"pattern": "https://\ud800.example.com"}, "pattern"),
        ({"pattern": "https://a.example.com", "paths": ["/a"] * 101}, "paths"),
    ],
)
def test_text_that_cannot_be_shown_again_is_refused(
    api: APIClient, admin: Client, body: dict[str, Any], field: str
) -> None:
    before = state()
    response = send(api, "POST", ORIGINS, body)
    assert_refused(response, before)
    assert list(response.json()) == [field]
    assert_lists_render(api, admin)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"max_age": ' + "9" * 5000 + "}",
        '{"max_age": NaN}',
        '{"max_age": Infinity}',
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": '
        + "[" * 40
        + "]" * 40
        + "}",
    ],
    ids=["deep-array", "deep-object", "5000-digits", "nan", "infinity", "deep-patch-op"],
)
def test_hostile_json_is_a_400_with_one_line(api: APIClient, text: str) -> None:
    for method, url in (("PATCH", POLICY), ("POST", ORIGINS), ("POST", EXPLAIN)):
        before = state()
        with no_tracebacks():
            response = send(api, method, url, text)
        assert response.status_code == 400, (url, response.content[:200])
        assert one_line(response.json()["detail"])
        assert state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allow_credentials": "yes"}, "allow_credentials"),
        ({"allow_null_origin": 1}, "allow_null_origin"),
        ({"allow_private_network": "true"}, "allow_private_network"),
        ({"max_age": "600"}, "max_age"),
        ({"max_age": 600.0}, "max_age"),
        ({"max_age": True}, "max_age"),
        ({"exposed_headers": [1, 2]}, "exposed_headers"),
        ({"exposed_headers": "X-A"}, "exposed_headers"),
        ({"mode": 1}, "mode"),
        ({"revision": "0" * 32}, "revision"),
        ({"updated_at": "2030-01-01T00:00:00Z"}, "updated_at"),
        ({"colour": "blue"}, "colour"),
        ({"allowed_headers": [f"X-H{i}" for i in range(10_000)]}, "allowed_headers"),
        ({"allowed_headers": ["X-" + "a" * 3000]}, "allowed_headers"),
        ({"allowed_headers": ["X A"]}, "allowed_headers"),
        ({"allowed_methods": ["GET POST"]}, "allowed_methods"),
        ({"allowed_methods": ["G\u00c9T"]}, "allowed_methods"),
    ],
)
def test_policy_types_are_strict_and_lists_bounded(
    api: APIClient, body: dict[str, Any], field: str
) -> None:
    before = state()
    response = send(api, "PATCH", POLICY, body)
    assert_refused(response, before)
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pattern": "https://a.example.com", "enabled": "yes"}, "enabled"),
        ({"pattern": "https://a.example.com", "enabled": 1}, "enabled"),
        ({"pattern": "https://a.example.com", "csrf_trusted": "false"}, "csrf_trusted"),
        ({"pattern": "https://a.example.com", "note": 5}, "note"),
        ({"pattern": 5}, "pattern"),
        ({"pattern": "https://a.example.com", "expires_at": 2000000000}, "expires_at"),
        ({"pattern": "https://a.example.com", "paths": "/api/"}, "paths"),
        ({"pattern": "https://a.example.com", "colour": "blue"}, "colour"),
        ({"pattern": "https://a.example.com", "id": 7}, "id"),
        ({"pattern": "https://a.example.com", "created_at": "2030-01-01"}, "created_at"),
    ],
)
def test_origin_types_are_strict_and_unknown_members_refused(
    api: APIClient, body: dict[str, Any], field: str
) -> None:
    before = state()
    response = send(api, "POST", ORIGINS, body)
    assert_refused(response, before)
    assert list(response.json()) == [field]


def test_the_same_strictness_on_update(api: APIClient) -> None:
    created = send(api, "POST", ORIGINS, {"pattern": "https://a.example.com"}).json()
    url = f"{ORIGINS}{created['id']}/"
    for body in ({"enabled": "no"}, {"colour": 1}, {"updated_by": "me"}, {"paths": ["/\ud800"]}):
        before = state()
        assert_refused(send(api, "PATCH", url, body), before)
    observed = send(api, "POST", f"{API}/observed/allow/", {"ids": ["1"]})
    assert observed.status_code == 400 and "ids" in observed.json()


def test_explain_takes_headers_as_an_object_or_as_lines(api: APIClient) -> None:
    send(api, "POST", ORIGINS, {"pattern": "https://apps.example.com"})
    common = {"origin": "https://apps.example.com", "method": "PUT", "path": "/api/hello/"}
    as_lines = send(api, "POST", EXPLAIN, {**common, "headers": ["X-Custom: 1"]})
    as_object = send(api, "POST", EXPLAIN, {**common, "headers": {"X-Custom": "1"}})
    assert as_lines.status_code == as_object.status_code == 200
    assert as_lines.json() == as_object.json()
    for bad in ({"X Bad": "1"}, {"X-A": 1}, "X-A: 1", [1]):
        response = send(api, "POST", EXPLAIN, {**common, "headers": bad})
        assert response.status_code == 400 and list(response.json()) == ["headers"], bad
        assert one_line(response.json()["headers"][0])


def test_a_row_stored_before_these_refusals_still_lists_everywhere(
    api: APIClient, admin: Client
) -> None:
    # A JSON column keeps a lone surrogate as a "\ud800" escape: bulk_create (no save(), no
    # validation) writes such a row the way the API did before it refused them.
    AllowedOrigin.objects.bulk_create(
        [AllowedOrigin(pattern="https://legacy.example.com", paths=["/\ud800"])]
    )
    assert_lists_render(api, admin)
    rule = AllowedOrigin.objects.get()
    assert admin.get(f"/admin/cors_gate/allowedorigin/{rule.pk}/change/").status_code == 200
    out = io.StringIO()
    call_command("cors_gate_origins", "list", stdout=out)
    assert "paths=/\\ud800" in out.getvalue()
    assert api.get(ORIGINS).json()["results"][0]["paths"] == ["/\ud800"]
