"""--in-process: the whole middleware stack and URL conf, through Django's test client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cors_gate.explain import ExplainError, explain

ORIGIN = "https://apps.example.com"
STACK = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tests.explain.lms.LoginWall",
]
GATE = "cors_gate.middleware.CorsGateMiddleware"


@pytest.fixture
def site(rules: Callable[..., None], settings: Any) -> Any:
    settings.ROOT_URLCONF = "tests.explain.lms"
    rules([ORIGIN])
    return settings


def test_misplaced_middleware_login_redirect_on_options_is_caught(site: Any) -> None:
    site.MIDDLEWARE = [*STACK, GATE]  # cors_gate after the login wall: too late
    report = explain(
        ORIGIN, "GET", ["X-CSRFToken: t"], path="/api/hello/", in_process=True
    ).as_dict()
    browser = report["browser"]
    assert browser["chrome_error"] == "PreflightDisallowedRedirect"
    assert browser["firefox_error"] == "CORSExternalRedirectNotAllowed"
    assert report["preflight"]["status"] == 302
    assert report["preflight"]["headers"]["Location"].startswith("/login/")
    assert "before the ones that redirect" in browser["fix"]
    # Policy mode cannot see the login wall: it judges cors_gate alone.
    assert explain(ORIGIN, "GET", ["X-CSRFToken: t"], path="/api/hello/").as_dict()["browser"]["ok"]


def test_gate_first_answers_the_preflight_and_the_redirect_is_followed(site: Any) -> None:
    site.MIDDLEWARE = [GATE, *STACK]
    report = explain(
        ORIGIN, "GET", ["X-CSRFToken: t"], path="/api/hello/", in_process=True
    ).as_dict()
    assert report["preflight"]["status"] == 200
    assert report["actual"]["status"] == 302
    steps = [
        (h["method"], h["url"].split("lms.example.com")[1], h["status"]) for h in report["hops"]
    ]
    assert steps == [
        ("OPTIONS", "/api/hello/", 200),
        ("GET", "/api/hello/", 302),
        ("OPTIONS", "/login/?next=/api/hello/", 200),
        ("GET", "/login/?next=/api/hello/", 200),
    ]
    assert report["browser"]["ok"] is True


def test_view_reached_with_cors_headers(site: Any) -> None:
    site.MIDDLEWARE = [GATE, *STACK[:-1]]
    report = explain(ORIGIN, "GET", [], path="/api/hello/", in_process=True).as_dict()
    assert report["kind"] == "simple"
    assert report["actual"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert report["browser"]["ok"] is True


def test_csrf_rejection_is_what_the_browser_gets(site: Any) -> None:
    site.MIDDLEWARE = [GATE, *STACK[:-1]]
    report = explain(ORIGIN, "POST", [], path="/api/hello/", in_process=True).as_dict()
    # CsrfViewMiddleware refuses the cookieless POST; cors_gate still lets the page read it.
    assert report["actual"]["status"] == 403
    assert report["browser"]["ok"] is True
    assert "status 403" in report["browser"]["message"]


def test_host_outside_allowed_hosts_is_one_line(site: Any) -> None:
    site.CORS_GATE_SITE_URL = "https://elsewhere.example.org"
    with pytest.raises(ExplainError, match=r"^site: elsewhere.example.org is not in ALLOWED_HOSTS"):
        explain(ORIGIN, path="/api/hello/", in_process=True)


def test_url_and_in_process_are_exclusive(site: Any) -> None:
    with pytest.raises(ExplainError, match=r"^url: --in-process"):
        explain(ORIGIN, url="http://127.0.0.1:1/", in_process=True)


def test_redirect_to_another_site_ends_the_walk_with_the_sso_fix(site: Any) -> None:
    site.MIDDLEWARE = [GATE, *STACK[:-1]]
    site.EXPLAIN_TEST_IDP_URL = "https://idp.example.net/app/sso/saml"
    report = explain(
        ORIGIN, "POST", ["X-CSRFToken: t"], path="/user_api/v1/account/login_session/",
        in_process=True,
    ).as_dict()  # fmt: skip
    browser = report["browser"]
    assert browser["ok"] is False
    assert browser["chrome_error"] is None  # the IdP's answer is unknown in-process
    assert browser["url"] == "https://idp.example.net/app/sso/saml"
    assert "Origin: null" in browser["message"]
    assert browser["fix"].startswith("start SSO with a top-level navigation")
    assert [h["status"] for h in report["hops"]] == [200, 302, None]
