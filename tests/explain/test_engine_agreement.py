"""explain judged by two engines: Debian's Chromium and Firefox ESR run every case of
engine_scenarios.py from a page on loopback, and explain (--url) must predict what each
one did: the outcome, whether a preflight was sent, and the deprecation warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from cors_gate.explain import explain
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, BrowserProbe
from tests.browser.servers import PageServer, RequestLog
from tests.explain.engine_scenarios import CASES, EngineCase
from tests.explain.scenarios import ORIGIN
from tests.explain.servers import Script, ScriptedServer, self_signed, serve_tls, unused_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages(firefox: Any) -> Iterator[PageServer]:
    server = PageServer("pages", RequestLog())
    server.start()
    yield server
    firefox.forget()  # closes its connections to the page server before it stops
    server.stop()


@pytest.fixture(scope="module")
def chromium_probe(pages: PageServer) -> Iterator[BrowserProbe]:
    import os

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install the Debian package 'chromium'")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop; plain ORM calls
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            yield BrowserProbe(context.new_page(), pages.httpd.log)
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def predicted(report: dict[str, Any], engine: str) -> str:
    """explain's outcome for one engine, in the vocabulary the harnesses report."""
    verdict = report["engines"][engine]
    if verdict["ok"]:
        return "ok"
    return verdict["error"] or f"no prediction ({verdict['message']})"


def _script_for(script: Script, origin: str) -> Script:
    def swap(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(n, v.replace(ORIGIN, origin)) for n, v in headers]

    return Script(
        script.preflight_status,
        swap(script.preflight_headers),
        script.actual_status,
        swap(script.actual_headers),
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_engine_as_explain_predicts(
    case: EngineCase,
    pages: PageServer,
    chromium_probe: BrowserProbe,
    firefox: Any,
    tmp_path: Path,
    db: Any,
) -> None:
    origin = pages.url()
    target = ScriptedServer()
    target.scripts["/x"] = _script_for(case.script, origin)
    if "{tls}" in case.url:
        serve_tls(target, *self_signed(tmp_path))
    with ExitStack() as stack:
        stack.enter_context(target)
        url = (
            case.url.replace("{target}", target.url)
            .replace("{tls}", target.url)
            .replace("{dead}", f"http://127.0.0.1:{unused_port()}")
            .replace("{page}", origin)
            .replace("{page_host}", origin.removeprefix("http://"))
            .replace("{port}", str(target.port))
        )
        headers = dict(h.split(": ", 1) for h in case.headers)
        report = explain(
            origin, case.method, list(case.headers), case.credentials, url=url
        ).as_dict()
        seen: dict[str, tuple[str, bool, tuple[str, ...]]] = {}
        for engine in ("chromium", "firefox"):
            before = len(target.received)
            if engine == "chromium":
                verdict = chromium_probe.run_fetch(
                    origin, url, case.method, headers, case.credentials
                )
            else:
                firefox.forget()
                verdict = firefox.run_fetch(origin, url, case.method, headers, case.credentials)
            options = [r.method for r in target.received[before:]].count("OPTIONS")
            seen[engine] = (verdict.outcome, options > 0, tuple(verdict.warnings))

    expected = {
        "chromium": (case.chromium, case.chromium_warnings),
        "firefox": (case.firefox, case.firefox_warnings),
    }
    for engine, (outcome, preflighted, warnings) in seen.items():
        # The browsers still do what they did when the case was written ...
        assert (outcome, warnings) == expected[engine], f"{engine} changed: {seen[engine]}"
        # ... and explain predicts it, engine by engine.
        verdict = report["engines"][engine]
        assert predicted(report, engine) == outcome, (engine, verdict)
        assert (verdict["kind"] == "preflight") == preflighted, (engine, verdict["kind"])
        assert tuple(verdict["warnings"]) == warnings, engine
    # The compatible `browser` object is Chromium's, with Firefox's name beside it.
    browser = report["browser"]
    assert (browser["ok"], browser["chrome_error"]) == (
        report["engines"]["chromium"]["ok"],
        report["engines"]["chromium"]["error"],
    )
    assert browser["firefox_error"] == report["engines"]["firefox"]["error"]


def test_a_fix_that_works_in_both_is_offered_when_only_one_fails(
    pages: PageServer, db: Any
) -> None:
    """Works in Firefox, fails in Chromium: the text says which, and the fix is given."""
    from cors_gate.explain.render import render_text

    own = pages.url().removeprefix("http://")
    explanation = explain(pages.url(), url=f"{pages.url()}/bounce?to=http://u:p@{own}/runner.html")
    text = render_text(explanation)
    assert re.search(r"^Chromium: BLOCKED: net::ERR_ABORTED", text, re.M), text
    assert re.search(r"^Firefox:  OK\.", text, re.M), text
    assert "Redirect to a URL without user:password@." in text
