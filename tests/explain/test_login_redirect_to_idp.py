"""The case of the Open edX forum thread "Cross-Origin Resource Sharing error: Preflight
Missing Allow Origin Header", over real HTTP: the LMS login answers 302 to an IdP that
sends no CORS headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cors_gate.explain import explain
from tests.explain.lms import live_lms
from tests.explain.servers import idp

ORIGIN = "https://apps.example.com"
LOGIN = "/user_api/v1/account/login_session/"
SSO_FIX = (
    "start SSO with a top-level navigation to /auth/login/tpa-saml/?auth_entry=login&idp=<slug>, "
    "or return the redirect URL as JSON for the page to follow"
)


@pytest.fixture
def lms(rules: Callable[..., None], settings: Any) -> Any:
    settings.ROOT_URLCONF = "tests.explain.lms"
    rules([ORIGIN])
    with idp() as okta:
        settings.EXPLAIN_TEST_IDP_URL = okta.url + "/app/edx/exk1abc/sso/saml?SAMLRequest=abc"
        with live_lms() as url:
            yield url, okta


def test_credentialed_post_with_csrf_header_fails_on_the_idp(lms: Any) -> None:
    lms_url, okta = lms
    report = explain(
        ORIGIN,
        "POST",
        ["X-CSRFToken: token", "Content-Type: application/x-www-form-urlencoded"],
        credentials="include",
        url=lms_url + LOGIN,
    ).as_dict()
    browser = report["browser"]
    assert browser["chrome_error"] == "PreflightMissingAllowOriginHeader"
    assert browser["firefox_error"] == "CORSMissingAllowOrigin"
    assert browser["failed_step"] == "preflight"
    assert browser["url"].startswith(okta.url + "/app/edx/")  # the IdP's URL, not the LMS's
    assert browser["fix"] == SSO_FIX
    assert "allow-list" in browser["message"]
    # Not the LMS allow-list's fault: the LMS allowed the origin and answered with CORS.
    assert report["decision"]["allowed"] is True
    assert report["preflight"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert report["actual"]["status"] == 302
    assert report["actual"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert [(h["method"], h["url"].split("/")[2], h["status"]) for h in report["hops"]] == [
        ("OPTIONS", lms_url.split("/")[2], 200),
        ("POST", lms_url.split("/")[2], 302),
        ("OPTIONS", okta.url.split("/")[2], 200),
    ]
    # What the IdP really received: a preflight from a tainted (null) origin for a GET.
    (received,) = okta.received
    assert received.method == "OPTIONS"
    assert received.headers["Origin"] == "null"
    assert received.headers["Access-Control-Request-Method"] == "GET"
    assert received.headers["Access-Control-Request-Headers"] == "x-csrftoken"


def test_without_custom_header_the_get_to_the_idp_fails(lms: Any) -> None:
    lms_url, okta = lms
    report = explain(
        ORIGIN,
        "POST",
        ["Content-Type: application/x-www-form-urlencoded"],
        url=lms_url + LOGIN,
    ).as_dict()
    assert report["kind"] == "simple"
    browser = report["browser"]
    assert browser["chrome_error"] == "MissingAllowOriginHeader"
    assert browser["url"].startswith(okta.url)
    assert browser["fix"] == SSO_FIX
    (received,) = okta.received
    assert (received.method, received.headers["Origin"]) == ("GET", "null")
    assert "Content-Type" not in received.headers  # dropped with the method change


def test_origin_not_allowed_is_blamed_on_the_allow_list(lms: Any) -> None:
    lms_url, okta = lms
    report = explain(
        "https://evil.example.net",
        "POST",
        ["X-CSRFToken: token"],
        url=lms_url + LOGIN,
    ).as_dict()
    assert report["browser"]["chrome_error"] == "PreflightMissingAllowOriginHeader"
    assert report["browser"]["url"].startswith(lms_url)
    assert "no allowed-origin rule matches" in report["browser"]["fix"]
    assert okta.received == []
