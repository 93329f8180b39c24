"""The harness proves itself against views that set CORS headers by hand (no cors_gate).

If these fail, the scenarios' verdicts mean nothing: the harness must see Chromium's
success, its corsError names, readable headers, preflights and the null origin.
"""

from __future__ import annotations

import pytest

from .conftest import Site
from .harness import BrowserProbe

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("without_cors_gate")]


def test_no_allow_origin_is_missing_allow_origin_header(probe: BrowserProbe, site: Site) -> None:
    verdict = probe.run_fetch(site.page, f"{site.api}/tb/echo/")
    assert not verdict.ok
    assert verdict.cors_error == "MissingAllowOriginHeader"
    assert verdict.options_count == 0
    # The server did answer: CORS is the browser hiding the response, not a failed request.
    assert [r.path for r in verdict.received("GET")] == ["/tb/echo/"]


def test_view_with_own_headers_succeeds_and_page_reads_body(
    probe: BrowserProbe, site: Site
) -> None:
    verdict = probe.run_fetch(site.other_page, f"{site.api}/tb/hand-cors/", credentials="include")
    assert verdict.ok, verdict
    assert verdict.status == 200
    assert '"hand": "cors"' in verdict.body
    assert verdict.received("GET")[0].origin == site.other_page


def test_preflight_to_403_options_is_preflight_missing_allow_origin(
    probe: BrowserProbe, site: Site
) -> None:
    verdict = probe.run_fetch(
        site.page, f"{site.api}/tb/forbidden-options/", "PUT", headers={"X-Custom": "1"}
    )
    assert verdict.cors_error == "PreflightMissingAllowOriginHeader"
    assert verdict.options_count == 1
    (preflight,) = verdict.received("OPTIONS")
    assert preflight.request_method == "PUT"
    assert preflight.request_headers == "x-custom"
    assert verdict.received("PUT") == []  # the real request was never sent


def test_preflight_answered_by_hand_lets_put_through(probe: BrowserProbe, site: Site) -> None:
    verdict = probe.run_fetch(
        site.page, f"{site.api}/tb/hand-cors/", "PUT", headers={"X-Custom": "1"}
    )
    assert verdict.ok, verdict
    assert verdict.options_count == 1
    assert '"method": "PUT"' in verdict.body


def test_sandboxed_iframe_sends_null_origin_and_errors_are_seen(
    probe: BrowserProbe, site: Site
) -> None:
    verdict = probe.run_fetch(site.page, f"{site.api}/tb/echo/", sandboxed=True)
    assert verdict.page_origin == "null"
    assert verdict.received("GET")[0].origin == "null"
    assert verdict.cors_error == "MissingAllowOriginHeader"


def test_xhr_is_judged_like_fetch(probe: BrowserProbe, site: Site) -> None:
    verdict = probe.run_fetch(site.page, f"{site.api}/tb/echo/", api="xhr")
    assert not verdict.ok
    assert verdict.cors_error == "MissingAllowOriginHeader"


@pytest.mark.parametrize(
    ("query", "preflights"),
    [
        ("?max_age=0", [1, 1, 1]),  # 0: Chromium must not cache the preflight
        ("?max_age=600", [1, 0, 0]),
        ("", [1, 0, 0]),  # no header: Chromium caches for its default 5 seconds
    ],
)
def test_preflight_cache_follows_max_age(
    probe: BrowserProbe, site: Site, query: str, preflights: list[int]
) -> None:
    url = f"{site.api}/tb/hand-cors/{query}"
    counts = [
        probe.run_fetch(site.page, url, "PUT", {"X-Custom": "1"}).options_count for _ in "abc"
    ]
    assert counts == preflights


def test_cached_answer_without_vary_is_served_to_another_origin(
    probe: BrowserProbe, site: Site
) -> None:
    """The control for the gate's Vary scenario: a cacheable answer whose
    Access-Control-Allow-Origin names the first origin, without ``Vary: Origin``, is reused
    by Chromium for the second origin."""
    url = f"{site.api}/tb/cached/?vary=no"
    first = probe.run_fetch(site.page, url)
    second = probe.run_fetch(site.sibling_page, url)
    assert first.ok
    assert second.cors_error == "AllowOriginMismatch"
    assert second.requests == ()  # served from Chromium's HTTP cache, not the server
