"""CorsGateMiddleware against the simple and preflight workflows of Oracle Cloud Gate's CORS
documentation, step by step."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.utils import timezone

from cors_gate.models import AllowedOrigin, CorsPolicy

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.middleware_urls")]

CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Private-Network",
)
MFE = "https://apps.example.com"


def set_policy(**changes: Any) -> CorsPolicy:
    policy = CorsPolicy.load()
    for key, value in changes.items():
        setattr(policy, key, value)
    policy.save()
    return policy


def allow(pattern: str, **fields: Any) -> AllowedOrigin:
    return AllowedOrigin.objects.create(pattern=pattern, **fields)


def get(client: Client, path: str, origin: str | None = None, **headers: str) -> Any:
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    return client.get(path, **headers)


def preflight(
    client: Client,
    path: str,
    origin: str,
    method: str = "PUT",
    headers: str | None = None,
    **extra: str,
) -> Any:
    meta = {"HTTP_ORIGIN": origin, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method, **extra}
    if headers is not None:
        meta["HTTP_ACCESS_CONTROL_REQUEST_HEADERS"] = headers
    return client.options(path, **meta)


def vary(response: Any) -> list[str]:
    return [v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()]


def cors_headers(response: Any) -> dict[str, str]:
    return {h: response[h] for h in CORS_HEADERS if h in response}


# -- step 4.1 / 5.1: Vary ---------------------------------------------------------------------


def test_vary_origin_on_non_cors_responses(client: Client) -> None:
    response = get(client, "/api/plain/")
    assert vary(response) == ["origin"]
    assert cors_headers(response) == {}


def test_vary_is_merged_never_duplicated(client: Client) -> None:
    allow(MFE)
    response = get(client, "/api/own/", MFE)
    assert vary(response) == ["cookie", "origin"]


def test_mode_off_changes_nothing_not_even_vary(client: Client) -> None:
    set_policy(mode="off")
    allow(MFE)
    response = get(client, "/api/own/", MFE)
    assert response["Access-Control-Allow-Origin"] == "*"  # the view's own, untouched
    assert vary(response) == ["cookie", "origin"]  # exactly what the view set
    assert "origin" not in vary(get(client, "/api/plain/"))


# -- the simple workflow ----------------------------------------------------------------------


def test_allowed_origin_gets_origin_and_credentials(client: Client) -> None:
    allow(MFE)
    response = get(client, "/api/plain/", MFE)
    assert response.status_code == 200
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": MFE,
        "Access-Control-Allow-Credentials": "true",
    }


def test_allowed_origin_overwrites_upstream_and_removes_preflight_only_headers(
    client: Client,
) -> None:
    allow(MFE)
    set_policy(exposed_headers=["X-Total-Count", "X-Not-There"])
    response = get(client, "/api/own/", MFE)
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": MFE,  # overwrote "*"
        "Access-Control-Allow-Credentials": "true",  # overwrote "false"
        # intersection of the policy's list with the headers this response carries
        "Access-Control-Expose-Headers": "X-Total-Count",
    }


def test_expose_headers_absent_when_none_of_the_list_is_present(client: Client) -> None:
    allow(MFE)
    set_policy(exposed_headers=["X-Total-Count"])
    response = get(client, "/api/plain/", MFE)
    assert "Access-Control-Expose-Headers" not in response


def test_expose_headers_intersection_is_case_insensitive(client: Client) -> None:
    allow(MFE)
    set_policy(exposed_headers=["x-total-count", "X-OTHER"])
    response = get(client, "/api/own/", MFE)
    assert response["Access-Control-Expose-Headers"] == "x-total-count, X-OTHER"


def test_credentials_off_sends_no_acac_even_if_upstream_did(client: Client) -> None:
    set_policy(allow_credentials=False)
    allow(MFE)
    response = get(client, "/api/own/", MFE)
    assert response["Access-Control-Allow-Origin"] == MFE
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.com",
        "https://apps.example.com.evil.com",
        "https://APPS.example.com",  # non-canonical
        "https://apps.example.com/",
        "https://apps.example.com\n",
        "null",
    ],
)
def test_disallowed_origin_strips_every_cors_header_a_view_set(client: Client, origin: str) -> None:
    allow(MFE)
    response = get(client, "/api/own/", origin)
    assert response.status_code == 200  # the request itself still goes through
    assert cors_headers(response) == {}
    assert "origin" in vary(response)


def test_null_origin_allowed_only_with_the_flag(client: Client) -> None:
    assert cors_headers(get(client, "/api/plain/", "null")) == {}
    set_policy(allow_null_origin=True)
    response = get(client, "/api/plain/", "null")
    assert response["Access-Control-Allow-Origin"] == "null"
    assert response["Access-Control-Allow-Credentials"] == "true"


def test_disabled_rule_does_not_match(client: Client) -> None:
    allow(MFE, enabled=False)
    assert cors_headers(get(client, "/api/plain/", MFE)) == {}


def test_path_scoped_rule(client: Client) -> None:
    allow(MFE, paths=["/api/"])
    assert get(client, "/api/plain/", MFE)["Access-Control-Allow-Origin"] == MFE
    assert cors_headers(get(client, "/other/plain/", MFE)) == {}


def test_path_scoped_rule_falls_back_to_a_broader_rule(client: Client) -> None:
    allow(MFE, paths=["/api/"])
    allow("https://*.example.com")
    response = get(client, "/other/plain/", MFE)
    assert response["Access-Control-Allow-Origin"] == MFE  # matched by the wildcard rule


def test_expired_rule_stops_matching_without_anyone_saving(client: Client) -> None:
    allow(MFE, expires_at=timezone.now() + timedelta(seconds=1.2))
    assert get(client, "/api/plain/", MFE)["Access-Control-Allow-Origin"] == MFE
    time.sleep(1.3)
    assert cors_headers(get(client, "/api/plain/", MFE)) == {}


def test_urls_regex_leaves_other_paths_alone_apart_from_vary(client: Client) -> None:
    allow(MFE)
    set_policy(urls_regex=r"^/api/")
    response = get(client, "/other/own/", MFE)
    assert response["Access-Control-Allow-Origin"] == "*"  # not ours to touch
    assert "origin" in vary(response)
    assert get(client, "/api/plain/", MFE)["Access-Control-Allow-Origin"] == MFE


def test_report_only_changes_nothing_but_vary(client: Client, caplog: Any) -> None:
    set_policy(mode="report-only")
    allow(MFE)
    with caplog.at_level(logging.DEBUG, logger="cors_gate.middleware"):
        allowed = get(client, "/api/plain/", MFE)
        blocked = get(client, "/api/own/", "https://evil.com")
    assert cors_headers(allowed) == {}  # nothing added
    assert blocked["Access-Control-Allow-Origin"] == "*"  # nothing stripped
    assert "origin" in vary(allowed)
    assert "origin" in vary(blocked)
    messages = [r.getMessage() for r in caplog.records]
    assert any("https://evil.com would be blocked (no-rule)" in m for m in messages)
    assert any(f"{MFE} would be allowed (matched)" in m for m in messages)


# -- the preflight workflow -------------------------------------------------------------------


def test_allowed_preflight_is_answered_by_the_middleware(client: Client) -> None:
    allow(MFE)
    # The view would answer OPTIONS with 405; the preflight never reaches it.
    response = preflight(client, "/api/get-only/", MFE, "PUT", "x-csrftoken, content-type")
    assert response.status_code == 200
    assert response.content == b""
    assert cors_headers(response) == {
        "Access-Control-Allow-Origin": MFE,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "PUT",  # mirrored
        "Access-Control-Allow-Headers": "x-csrftoken, content-type",  # mirrored
    }
    assert "origin" in vary(response)


def test_preflight_never_reaches_a_login_redirect(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/private/", MFE, "GET", "authorization")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == MFE


def test_preflight_without_requested_headers_sends_no_allow_headers(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/plain/", MFE, "DELETE")
    assert response["Access-Control-Allow-Methods"] == "DELETE"
    assert "Access-Control-Allow-Headers" not in response


@pytest.mark.parametrize("method", ["<script>", "FOO BAR", "GET\x7f", ""])
def test_a_requested_method_that_is_not_a_token_is_not_mirrored(
    client: Client, method: str
) -> None:
    allow(MFE)
    response = preflight(client, "/api/plain/", MFE, method, "x-csrftoken")
    assert response["Access-Control-Allow-Origin"] == MFE
    assert "Access-Control-Allow-Methods" not in response
    assert response["Access-Control-Allow-Headers"] == "x-csrftoken"


def test_only_requested_header_names_that_are_tokens_are_mirrored(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/plain/", MFE, "PUT", "x-ok,bad name, <b>,content-type")
    assert response["Access-Control-Allow-Headers"] == "x-ok,content-type"
    response = preflight(client, "/api/plain/", MFE, "PUT", "<b>, a b")
    assert "Access-Control-Allow-Headers" not in response
    assert response["Access-Control-Allow-Methods"] == "PUT"


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("X" * 8_200, "content-type"),  # a token, but 8,200 bytes of it
        ("PUT", ",".join(f"x-header-{i}" for i in range(5_000))),  # about 70 KB mirrored
    ],
)
def test_a_preflight_whose_answer_would_pass_8_kb_is_refused(
    client: Client, method: str, headers: str, caplog: Any
) -> None:
    allow(MFE)
    with caplog.at_level(logging.WARNING, logger="cors_gate.middleware"):
        response = preflight(client, "/api/plain/", MFE, method, headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}  # refused: the browser reports the missing header
    assert "origin" in vary(response)
    assert sum(len(k) + len(v) for k, v in response.items()) < 1_000
    assert "its answer would exceed 8192 bytes" in caplog.text
    # Just under the bound is answered.
    response = preflight(client, "/api/plain/", MFE, "PUT", ",".join(["x-h"] * 1_500))
    assert response["Access-Control-Allow-Origin"] == MFE


def test_the_refusal_reason_is_one_explain_can_render() -> None:
    from cors_gate.policy import REASONS, Decision

    decision = Decision(True, False, True, "preflight-too-large", MFE)
    assert "8 KB" in REASONS[decision.reason].summary
    assert "preflight-too-large" in REASONS
    assert "8 KB" in REASONS[decision.reason].detail


def test_fixed_lists_replace_mirroring(client: Client) -> None:
    allow(MFE)
    set_policy(allowed_methods=["GET", "POST", "PUT"], allowed_headers=["X-CSRFToken"])
    response = preflight(client, "/api/plain/", MFE, "DELETE", "x-custom")
    # The browser, not the gate, refuses what the lists do not name.
    assert response["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert response["Access-Control-Allow-Headers"] == "X-CSRFToken"


@pytest.mark.parametrize(("max_age", "expected"), [(0, None), (600, "600"), (86400, "86400")])
def test_max_age(client: Client, max_age: int, expected: str | None) -> None:
    allow(MFE)
    set_policy(max_age=max_age)
    response = preflight(client, "/api/plain/", MFE)
    assert response.get("Access-Control-Max-Age") == expected


def test_preflight_has_no_expose_headers(client: Client) -> None:
    allow(MFE)
    set_policy(exposed_headers=["X-Total-Count"])
    assert "Access-Control-Expose-Headers" not in preflight(client, "/api/own/", MFE)


def test_private_network_only_when_flag_on_and_asked(client: Client) -> None:
    allow(MFE)
    asked = {"HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true"}
    assert "Access-Control-Allow-Private-Network" not in preflight(
        client, "/api/plain/", MFE, **asked
    )
    set_policy(allow_private_network=True)
    assert "Access-Control-Allow-Private-Network" not in preflight(client, "/api/plain/", MFE)
    response = preflight(client, "/api/plain/", MFE, **asked)
    assert response["Access-Control-Allow-Private-Network"] == "true"


def test_disallowed_preflight_gets_200_without_cors_headers(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/own/", "https://evil.com", "PUT", "x-csrftoken")
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "origin" in vary(response)


def test_options_without_request_method_is_not_a_preflight(client: Client) -> None:
    allow(MFE)
    response = client.options("/api/get-only/", HTTP_ORIGIN=MFE)
    assert response.status_code == 405  # reached the view: an ordinary OPTIONS request
    assert response["Access-Control-Allow-Origin"] == MFE


# -- passthrough: preflights reach the view; Cloud Gate's steps 5.1-5.9 complete them ---------


@pytest.fixture
def passthrough(settings: Any) -> None:
    settings.CORS_GATE_PREFLIGHT_PASSTHROUGH = True


@pytest.mark.usefixtures("passthrough")
def test_passthrough_allow_header_feeds_allow_methods(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/allow/", MFE, "PATCH", "x-a")
    assert response["Access-Control-Allow-Methods"] == "GET, POST, PATCH"  # from Allow
    assert response["Access-Control-Allow-Headers"] == "x-a"  # mirrored
    assert response["Access-Control-Allow-Origin"] == MFE


@pytest.mark.usefixtures("passthrough")
def test_passthrough_keeps_upstream_methods_and_headers_but_not_expose(client: Client) -> None:
    allow(MFE)
    set_policy(max_age=60)
    response = preflight(client, "/api/upstream/", MFE, "PATCH", "x-a")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Methods"] == "PATCH"
    assert response["Access-Control-Allow-Headers"] == "X-Upstream"
    assert response["Access-Control-Max-Age"] == "60"
    assert "Access-Control-Expose-Headers" not in response


@pytest.mark.usefixtures("passthrough")
def test_passthrough_without_allow_mirrors_the_requested_method(client: Client) -> None:
    allow(MFE)
    response = preflight(client, "/api/plain/", MFE, "PUT")
    assert response["Access-Control-Allow-Methods"] == "PUT"


@pytest.mark.usefixtures("passthrough")
def test_passthrough_keeps_the_views_status_and_strips_for_disallowed(client: Client) -> None:
    allow(MFE)
    assert preflight(client, "/api/get-only/", MFE).status_code == 405  # the browser will say so
    denied = preflight(client, "/api/own/", "https://evil.com")
    assert cors_headers(denied) == {}


# -- the forum thread's redirect --------------------------------------------------------------


def test_cors_redirect_to_another_origin_logs_the_sso_fix(client: Client, caplog: Any) -> None:
    allow("http://localhost:18000")
    with caplog.at_level(logging.WARNING, logger="cors_gate.middleware"):
        response = client.post(
            "/user_api/v1/account/login_session/",
            HTTP_ORIGIN="http://localhost:18000",
            HTTP_SEC_FETCH_MODE="cors",
        )
    assert response.status_code == 302
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "https://dev-123.okta.com" in warnings[0]
    assert "/auth/login/tpa-saml/?auth_entry=login&idp=<slug>" in warnings[0]


def test_same_origin_or_navigation_redirects_log_nothing(client: Client, caplog: Any) -> None:
    allow("http://localhost:18000")
    with caplog.at_level(logging.WARNING, logger="cors_gate.middleware"):
        get(client, "/api/private/", "http://localhost:18000", HTTP_SEC_FETCH_MODE="cors")
        client.post(
            "/user_api/v1/account/login_session/",
            HTTP_ORIGIN="http://localhost:18000",
            HTTP_SEC_FETCH_MODE="navigate",
        )
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []


# -- async -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_async_stack_applies_the_same_workflow() -> None:
    allow(MFE)
    client = AsyncClient()
    allowed = async_to_sync(client.get)("/api/own/", headers={"Origin": MFE})
    denied = async_to_sync(client.get)("/api/own/", headers={"Origin": "https://evil.com"})
    pre = async_to_sync(client.options)(
        "/api/get-only/",
        headers={"Origin": MFE, "Access-Control-Request-Method": "PUT"},
    )
    assert allowed["Access-Control-Allow-Origin"] == MFE
    assert cors_headers(denied) == {}
    assert pre.status_code == 200
    assert pre["Access-Control-Allow-Methods"] == "PUT"
