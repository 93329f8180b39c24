"""Where Chromium and Firefox part ways, on the project itself: each scenario runs in both
browsers and explain must predict each engine's verdict (see agreement.py).

Each class here was once predicted wrong for one engine: Authorization under a ``*``
Allow-Headers, a redirect with user info or to data:, a Range bound only one engine's
parser takes, a list in one Access-Control-Allow-Origin line, a server that is down.
"""

from __future__ import annotations

import pytest

from tests.explain.servers import unused_port

from .agreement import VIEW_MODES, Request, judge, run_firefox
from .conftest import Gate, Site
from .harness import BrowserProbe

pytestmark = pytest.mark.browser

AUTHORIZATION = {"Authorization": "Bearer abc"}


def test_authorization_under_a_wildcard_passes_with_a_deprecation_warning(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    """The Fetch standard says '*' never covers Authorization; both engines still let it
    through when the request carries no credentials, and warn."""
    gate.policy(mode="off")  # the view's wildcards reach the browser
    request = Request(site.page, f"{site.api}/tb/wildcard-cors/", headers=AUTHORIZATION)
    verdict, reports = judge(
        probe, request, expect="ok", expect_firefox="ok", site_url=site.api, modes=VIEW_MODES
    )
    assert '"authorization": "Bearer abc"' in verdict.body
    assert "AuthorizationCoveredByWildcard" in verdict.warnings
    firefox, _ = run_firefox(probe, request)
    assert "CORSAllowHeaderFromPreflightDeprecation" in firefox.warnings
    assert "List Authorization explicitly" in reports["url"]["browser"]["fix"]


def test_redirect_with_user_info_to_another_origin(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    target = site.django.url("localhost").replace("http://", "http://u:p@") + "/tb/echo/"
    request = Request(site.page, f"{site.api}/tb/bounce/?to={target}", credentials="include")
    verdict, _ = judge(
        probe,
        request,
        expect="RedirectContainsCredentials",
        expect_firefox="CORSDidNotSucceed",
        site_url=site.api,
        modes=VIEW_MODES,
    )
    assert [r.path for r in verdict.received("GET")] == ["/tb/bounce/"]


def test_same_origin_redirect_to_user_info_fails_in_chromium_only(
    probe: BrowserProbe, site: Site
) -> None:
    own = site.page.removeprefix("http://")
    request = Request(site.page, f"{site.page}/bounce?to=http://u:p@{own}/runner.html")
    verdict, reports = judge(
        probe,
        request,
        expect="net::ERR_ABORTED",
        expect_firefox="ok",
        site_url=site.api,
        modes=("url",),
    )
    assert "RequestedSubresourceWithEmbeddedCredentials" in verdict.warnings
    firefox = reports["url"]["engines"]["firefox"]
    assert firefox["ok"] and reports["url"]["kind"] == "not-cors"


@pytest.mark.parametrize(
    ("location", "firefox_error"),
    [("data:text/plain,hi", "CORSDidNotSucceed"), ("about:blank", "CORSRequestNotHttp")],
)
def test_redirect_to_data_or_about(
    probe: BrowserProbe, site: Site, gate: Gate, location: str, firefox_error: str
) -> None:
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/raw-redirect/?to={location}")
    judge(
        probe,
        request,
        expect="net::ERR_UNSAFE_REDIRECT",
        expect_firefox=firefox_error,
        site_url=site.api,
        modes=VIEW_MODES,
    )


@pytest.mark.parametrize(
    ("bound", "chromium_preflights", "firefox_preflights"),
    [
        ("9223372036854775806", False, False),
        ("9223372036854775807", True, False),  # 2^63-1: above Chromium's parser
        ("18446744073709551616", True, True),  # 2^64: above Firefox's too
    ],
)
def test_range_bound_decides_the_preflight_per_engine(
    probe: BrowserProbe,
    site: Site,
    gate: Gate,
    bound: str,
    chromium_preflights: bool,
    firefox_preflights: bool,
) -> None:
    """An allowed origin: the request passes in both engines, but only the engine whose
    parser refuses the bound sends a preflight (judge() checks explain says which)."""
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/echo/", headers={"Range": f"bytes={bound}-"})
    verdict, reports = judge(probe, request, expect="ok", expect_firefox="ok", site_url=site.api)
    assert bool(verdict.received("OPTIONS")) is chromium_preflights
    engines = reports["policy"]["engines"]
    assert (engines["firefox"]["kind"] == "preflight") is firefox_preflights


def test_client_hint_is_preflighted_in_firefox_only(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(allowed_headers=["X-CSRFToken"])  # DPR is not listed
    request = Request(site.page, f"{site.api}/tb/echo/", headers={"DPR": "2"})
    judge(
        probe,
        request,
        expect="ok",
        expect_firefox="CORSMissingAllowHeaderFromPreflight",
        site_url=site.api,
    )


def test_allow_origin_list_on_one_line(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.policy(mode="off")  # the view's own header reaches the browser
    request = Request(site.page, f"{site.api}/tb/hand-allow-origin/?also=https://b.example")
    judge(
        probe,
        request,
        expect="MultipleAllowOriginValues",
        expect_firefox="CORSAllowOriginNotMatchingOrigin",
        site_url=site.api,
        modes=VIEW_MODES,
    )


def test_server_down_is_a_network_error_in_both(probe: BrowserProbe, site: Site) -> None:
    request = Request(site.page, f"http://127.0.0.1:{unused_port()}/api/")
    _, reports = judge(
        probe,
        request,
        expect="net::ERR_CONNECTION_REFUSED",
        expect_firefox="CORSDidNotSucceed",
        site_url=site.api,
        modes=("url",),
    )
    assert reports["url"]["engines"]["chromium"]["network_error"] is True
