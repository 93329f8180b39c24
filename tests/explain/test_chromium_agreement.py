"""explain's prediction against Debian's real Chromium: the same names, scenario by scenario.

Each scenario's server answers are served on loopback; a page on another loopback port
calls them with fetch() and the DevTools protocol reports `corsErrorStatus.corsError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cors_gate.explain import explain
from tests.explain.scenarios import ORIGIN, SCENARIOS, Scenario
from tests.explain.servers import Script, ScriptedServer, idp

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (Debian chromium)"),
]
FETCH = """async ([url, method, headers, credentials]) => {
  try { const r = await fetch(url, {method, headers, credentials}); return "ok " + r.status; }
  catch (e) { return "error " + e; }
}"""


class Page:
    """A page served from a loopback origin, watched through the DevTools protocol."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.failures: list[tuple[str, str]] = []  # (url, corsError)
        self.urls: dict[str, str] = {}
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFailed", self._failed)

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _failed(self, event: dict[str, Any]) -> None:
        status = event.get("corsErrorStatus")
        if status:
            self.failures.append((self.urls.get(event["requestId"], ""), status["corsError"]))

    def fetch(self, url: str, method: str, headers: list[str], credentials: str) -> str | None:
        """The corsError Chromium reports for this fetch (None when it succeeds)."""
        self.failures.clear()
        pairs = dict(h.split(": ", 1) for h in headers)
        outcome = self.page.evaluate(FETCH, [url, method, pairs, credentials])
        if outcome.startswith("ok"):
            return None
        for _ in range(50):  # the event can trail the rejected promise
            if self.failures:
                break
            self.page.wait_for_timeout(50)
        return self.failures[-1][1] if self.failures else outcome


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    host = ScriptedServer()
    host.default = Script(actual_headers=[("Content-Type", "text/html")])
    with host, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.goto(host.url + "/")
            yield Page(tab, host.url)
        finally:
            browser.close()


@pytest.fixture
def orm_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls are plain.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _for(origin: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v.replace(ORIGIN, origin)) for n, v in headers]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.expected for s in SCENARIOS])
def test_same_name_as_chromium(orm_ok: None, page: Page, scenario: Scenario, db: Any) -> None:
    script = scenario.script
    target = ScriptedServer()
    target.scripts["/x"] = Script(
        script.preflight_status,
        _for(page.origin, script.preflight_headers),
        script.actual_status,
        _for(page.origin, script.actual_headers),
    )
    with target:
        url = target.url + "/x"
        predicted = explain(
            page.origin, scenario.method, scenario.headers,
            credentials=scenario.credentials, url=url,
        ).as_dict()["browser"]["chrome_error"]  # fmt: skip
        observed = page.fetch(url, scenario.method, scenario.headers, scenario.credentials)
    assert predicted == scenario.expected
    assert observed == predicted


def test_login_redirect_to_idp_in_chromium(
    orm_ok: None, page: Page, rules: Callable[..., None], settings: Any
) -> None:
    from tests.explain.lms import live_lms

    settings.ROOT_URLCONF = "tests.explain.lms"
    rules([page.origin])
    login = "/user_api/v1/account/login_session/"
    headers = ["X-CSRFToken: token", "Content-Type: application/x-www-form-urlencoded"]
    with idp() as okta:
        settings.EXPLAIN_TEST_IDP_URL = okta.url + "/app/edx/exk1abc/sso/saml"
        with live_lms() as lms:
            report = explain(page.origin, "POST", headers, url=lms + login).as_dict()
            observed = page.fetch(lms + login, "POST", headers, "include")
            failed_url = page.failures[-1][0]
    assert report["browser"]["chrome_error"] == observed == "PreflightMissingAllowOriginHeader"
    assert report["browser"]["url"] == failed_url
    assert failed_url.startswith(okta.url)


PREFLIGHT_CASES = [
    ("GET", []),
    ("PUT", []),
    ("patch", []),
    ("POST", ["Content-Type: text/plain;charset=UTF-8"]),
    ("POST", ["Content-Type: application/json"]),
    ("POST", ['Content-Type: text/plain; x="a"']),
    ("GET", ["Accept: application/json, text/*;q=0.5"]),
    ("GET", ["Accept: " + "a" * 129]),
    ("GET", ["Accept-Language: en_US"]),
    ("GET", ["Content-Language: de-CH, en;q=0.5"]),
    ("GET", ["Range: bytes=0-99"]),
    ("GET", ["Range: bytes=-99"]),
    ("GET", ["DPR: 2.0"]),
    ("GET", ["X-Requested-With: XMLHttpRequest"]),
    ("GET", ["Authorization: Bearer t"]),
]


@pytest.mark.parametrize(("method", "headers"), PREFLIGHT_CASES)
def test_preflight_need_agrees_with_chromium(
    orm_ok: None, page: Page, method: str, headers: list[str], db: Any
) -> None:
    from cors_gate.explain.fetch import classify

    target = ScriptedServer()
    allow = [
        ("Access-Control-Allow-Origin", page.origin),
        ("Access-Control-Allow-Methods", "PUT, patch"),
        ("Access-Control-Allow-Headers", "*, Authorization"),
    ]
    target.default = Script(preflight_headers=allow, actual_headers=allow)
    with target:
        page.fetch(target.url + "/x", method, headers, "omit")
        preflighted = [r.method for r in target.received].count("OPTIONS") == 1
    pairs = [(h.split(": ", 1)[0], h.split(": ", 1)[1]) for h in headers]
    assert classify(method, pairs).needs_preflight == preflighted
