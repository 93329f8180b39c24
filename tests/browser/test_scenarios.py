"""Browser scenarios: cors_gate configured as an operator would, Chromium as the judge,
and ``cors_gate_explain`` required to predict exactly what Chromium did (see agreement.py).

Origins: the site under test is ``site.api`` (127.0.0.1, one port); ``site.page`` is the
allowed front end (127.0.0.1, another port: same site, so cookies go along); ``site.other_page``
is ``localhost`` on that port, an origin no rule allows unless a test says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from .agreement import VIEW_MODES, Request, ask_explain, judge
from .conftest import Gate, Site
from .harness import BrowserProbe

pytestmark = pytest.mark.browser

CUSTOM = {"X-CSRFToken": "token-from-cookie"}


def test_allowed_credentialed_get_sends_cookie_and_reads_answer(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    probe.page.context.add_cookies([{"name": "tb_session", "value": "s3", "url": site.api}])
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert '"cookie": "s3"' in verdict.body  # the session cookie went along
    assert verdict.options_count == 0  # a simple request: no preflight


def test_disallowed_origin_is_blocked(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    request = Request(site.other_page, f"{site.api}/tb/echo/", credentials="include")
    verdict, reports = judge(probe, request, expect="MissingAllowOriginHeader", site_url=site.api)
    assert verdict.received("GET")  # the server answered; the browser hid it
    assert reports["policy"]["decision"]["reason"] == "no-rule"


def test_disallowed_origin_preflight_never_reaches_the_view(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(site.other_page, f"{site.api}/tb/echo/", "PUT", headers=CUSTOM)
    verdict, _ = judge(
        probe, request, expect="PreflightMissingAllowOriginHeader", site_url=site.api
    )
    assert verdict.options_count == 1
    assert verdict.received("PUT") == []


def test_custom_header_with_mirrored_allowed_headers(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(
        site.page, f"{site.api}/tb/echo/", "POST", headers=CUSTOM, credentials="include"
    )
    verdict, reports = judge(probe, request, expect="ok", site_url=site.api)
    (preflight,) = verdict.received("OPTIONS")
    assert preflight.request_headers == "x-csrftoken"
    assert reports["url"]["preflight"]["headers"]["Access-Control-Allow-Headers"] == "x-csrftoken"
    assert verdict.received("POST")


def test_custom_header_listed_in_fixed_allowed_headers(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(allowed_headers=["Content-Type", "X-CSRFToken"])
    request = Request(
        site.page, f"{site.api}/tb/echo/", "POST", headers=CUSTOM, credentials="include"
    )
    judge(probe, request, expect="ok", site_url=site.api)


def test_custom_header_missing_from_fixed_allowed_headers(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(allowed_headers=["Content-Type"])
    request = Request(
        site.page,
        f"{site.api}/tb/echo/",
        "POST",
        headers={"X-Tenant-Id": "7"},
        credentials="include",
    )
    verdict, _ = judge(
        probe, request, expect="HeaderDisallowedByPreflightResponse", site_url=site.api
    )
    assert verdict.received("POST") == []


def test_method_not_in_allowed_methods(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    gate.policy(allowed_methods=["GET", "POST"])
    request = Request(site.page, f"{site.api}/tb/echo/", "DELETE", credentials="include")
    verdict, _ = judge(
        probe, request, expect="MethodDisallowedByPreflightResponse", site_url=site.api
    )
    assert verdict.received("DELETE") == []


def test_put_allowed_by_mirrored_methods(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/echo/", "PUT", credentials="include")
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert '"method": "PUT"' in verdict.body


def test_authorization_header_mirrored(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    request = Request(
        site.page,
        f"{site.api}/tb/echo/",
        headers={"Authorization": "Bearer abc"},
        credentials="include",
    )
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert '"authorization": "Bearer abc"' in verdict.body
    assert verdict.received("OPTIONS")[0].request_headers == "authorization"


def test_authorization_header_not_in_fixed_list(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(allowed_headers=["X-CSRFToken", "Content-Type"])
    request = Request(
        site.page,
        f"{site.api}/tb/echo/",
        headers={"Authorization": "Bearer abc"},
        credentials="include",
    )
    judge(probe, request, expect="HeaderDisallowedByPreflightResponse", site_url=site.api)


def test_exposed_header_readable_only_when_configured(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(exposed_headers=["X-Tenant"])
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert verdict.headers.get("x-tenant") == "acme"
    assert "x-request-id" not in verdict.headers  # sent by the view, not exposed


def test_no_exposed_headers_hides_custom_headers(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert "x-tenant" not in verdict.headers
    assert "x-request-id" not in verdict.headers
    assert verdict.headers.get("content-type") == "application/json"  # safelisted: readable


def _twice(probe: BrowserProbe, request: Request) -> tuple[int, int]:
    first = probe.run_fetch(request.page_origin, request.url, request.method, request.headers)
    second = probe.run_fetch(request.page_origin, request.url, request.method, request.headers)
    assert first.ok and second.ok, (first.outcome, second.outcome)
    return first.options_count, second.options_count


# Chromium keeps a preflight this long when Access-Control-Max-Age is absent (Fetch: 5 s).
CHROMIUM_DEFAULT_PREFLIGHT_CACHE_S = 5.0


def _after_chromiums_default_window(probe: BrowserProbe, request: Request) -> int:
    time.sleep(CHROMIUM_DEFAULT_PREFLIGHT_CACHE_S + 0.5)
    later = probe.run_fetch(request.page_origin, request.url, request.method, request.headers)
    assert later.ok, later.outcome
    return later.options_count


def test_max_age_caches_the_preflight(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    gate.policy(max_age=600)
    request = Request(site.page, f"{site.api}/tb/echo/", "PUT", headers=CUSTOM)
    _, reports = judge(probe, request, expect="ok", site_url=site.api)
    assert reports["url"]["preflight"]["headers"]["Access-Control-Max-Age"] == "600"
    assert _twice(probe, request) == (0, 0)  # both served from Chromium's preflight cache
    assert _after_chromiums_default_window(probe, request) == 0  # still cached: 600 s


def test_max_age_zero_sends_no_header_and_the_preflight_is_not_kept(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(max_age=0)
    request = Request(site.page, f"{site.api}/tb/echo/", "PUT", headers=CUSTOM)
    _, reports = judge(probe, request, expect="ok", site_url=site.api)
    # Oracle Cloud Gate CORS documentation, step 5.8: a max age of zero adds no header, so
    # Chromium falls back to its own default window; past it, the next request is preflighted again.
    assert "Access-Control-Max-Age" not in reports["url"]["preflight"]["headers"]
    assert _after_chromiums_default_window(probe, request) == 1


def test_null_origin_refused_when_flag_off(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/echo/", sandboxed=True, credentials="include")
    verdict, reports = judge(probe, request, expect="MissingAllowOriginHeader", site_url=site.api)
    assert verdict.page_origin == "null"
    assert verdict.received("GET")[0].origin == "null"
    assert reports["policy"]["decision"]["reason"] == "null-not-allowed"


def test_null_origin_allowed_when_flag_on(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.policy(allow_null_origin=True)
    request = Request(site.page, f"{site.api}/tb/echo/", sandboxed=True, credentials="include")
    verdict, _ = judge(probe, request, expect="ok", site_url=site.api)
    assert verdict.page_origin == "null"


def test_path_scoped_rule_allows_its_paths_only(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page, paths=["/api/"])
    inside = Request(site.page, f"{site.api}/api/hello/", credentials="include")
    judge(probe, inside, expect="ok", site_url=site.api)
    outside = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    _, reports = judge(probe, outside, expect="MissingAllowOriginHeader", site_url=site.api)
    assert reports["policy"]["decision"]["reason"] == "path-not-allowed"


def test_rule_stops_working_when_it_expires(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    expires = timezone.now() + timedelta(seconds=2)
    gate.allow(site.page, expires_at=expires)
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    judge(probe, request, expect="ok", site_url=site.api)
    time.sleep(max(0.0, (expires - timezone.now()).total_seconds()) + 0.2)
    _, reports = judge(probe, request, expect="MissingAllowOriginHeader", site_url=site.api)
    assert reports["policy"]["decision"]["reason"] == "expired"


def test_disabled_rule_blocks(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow(site.page, enabled=False)
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    _, reports = judge(probe, request, expect="MissingAllowOriginHeader", site_url=site.api)
    assert reports["policy"]["decision"]["reason"] == "disabled"


def test_report_only_changes_nothing_and_records(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    from cors_gate import observe
    from cors_gate.models import ObservedOrigin

    gate.allow(site.page)
    gate.policy(mode="report-only")
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    _, reports = judge(probe, request, expect="MissingAllowOriginHeader", site_url=site.api)
    assert reports["policy"]["decision"]["reason"] == "report-only"
    observe.recorder().flush()
    seen = ObservedOrigin.objects.get(origin=site.page)
    assert seen.would_allow is True
    assert seen.last_path == "/tb/echo/"


def test_view_own_cors_headers_stripped_for_disallowed_origin(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(site.other_page, f"{site.api}/tb/hand-cors/", credentials="include")
    verdict, _ = judge(
        probe, request, expect="MissingAllowOriginHeader", site_url=site.api, modes=VIEW_MODES
    )
    assert verdict.received(
        "GET"
    )  # the view ran and set Access-Control-Allow-Origin; cors_gate removed it


def test_mode_off_leaves_the_view_in_charge(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.policy(mode="off")
    request = Request(site.other_page, f"{site.api}/tb/hand-cors/", credentials="include")
    judge(probe, request, expect="ok", site_url=site.api, modes=VIEW_MODES)


def test_path_outside_urls_regex_is_not_handled(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    gate.policy(urls_regex=r"^/api/")
    request = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    _, reports = judge(
        probe, request, expect="MissingAllowOriginHeader", site_url=site.api, modes=VIEW_MODES
    )
    assert reports["url"]["decision"]["reason"] == "outside-urls-regex"


def test_credentials_off_fails_credentialed_fetch(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.policy(allow_credentials=False)
    gate.allow(site.page)
    with_cookies = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    judge(probe, with_cookies, expect="InvalidAllowCredentials", site_url=site.api)
    without = Request(site.page, f"{site.api}/tb/echo/", credentials="omit")
    judge(probe, without, expect="ok", site_url=site.api)


def test_wildcard_port_rule(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    gate.allow("http://localhost:*")
    request = Request(site.other_page, f"{site.api}/tb/echo/", credentials="include")
    _, reports = judge(probe, request, expect="ok", site_url=site.api)
    assert reports["policy"]["decision"]["rule"] == "http://localhost:*"
    blocked = Request(site.page, f"{site.api}/tb/echo/", credentials="include")
    judge(probe, blocked, expect="MissingAllowOriginHeader", site_url=site.api)


CORSHEADERS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"


@pytest.fixture
def with_corsheaders(use_middleware: Callable[[list[str]], None], settings: object) -> None:
    """django-cors-headers after cors_gate, configured the unsafe Open edX way."""
    settings.CORS_ALLOW_ALL_ORIGINS = True  # type: ignore[attr-defined]
    settings.CORS_ALLOW_CREDENTIALS = True  # type: ignore[attr-defined]
    middleware = list(django_settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.common.CommonMiddleware"), CORSHEADERS_MIDDLEWARE
    )
    use_middleware(middleware)


@pytest.mark.usefixtures("with_corsheaders")
def test_corsheaders_allow_all_cannot_open_a_disallowed_origin(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    simple = Request(site.other_page, f"{site.api}/tb/echo/", credentials="include")
    judge(probe, simple, expect="MissingAllowOriginHeader", site_url=site.api, modes=VIEW_MODES)
    preflighted = Request(site.other_page, f"{site.api}/tb/echo/", "PUT", headers=CUSTOM)
    judge(
        probe,
        preflighted,
        expect="PreflightMissingAllowOriginHeader",
        site_url=site.api,
        modes=VIEW_MODES,
    )


@pytest.mark.usefixtures("with_corsheaders")
def test_corsheaders_and_gate_send_one_allow_origin(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(
        site.page, f"{site.api}/tb/echo/", "PUT", headers=CUSTOM, credentials="include"
    )
    _, reports = judge(probe, request, expect="ok", site_url=site.api, modes=VIEW_MODES)
    assert reports["url"]["actual"]["headers"]["Access-Control-Allow-Origin"] == site.page


def _login_url(site: Site) -> str:
    return f"{site.api}/tb/login_session/?idp={site.idp.url()}/idp/sso"


@pytest.mark.parametrize("api", ["fetch", "xhr"])
def test_login_redirect_to_idp_with_csrf_header(
    probe: BrowserProbe, site: Site, gate: Gate, api: str
) -> None:
    """The forum case (docs/reference/sources.rst): the login form's XHR/fetch is answered
    302 to the IdP, which sends no CORS headers; allowing the front end on the LMS cannot fix it."""
    gate.allow(site.page)
    request = Request(
        site.page,
        _login_url(site),
        "POST",
        headers={**CUSTOM, "Content-Type": "application/x-www-form-urlencoded"},
        credentials="include",
        body="email=a%40b.c&password=x",
        api=api,
    )
    verdict, reports = judge(
        probe,
        request,
        expect="PreflightMissingAllowOriginHeader",
        site_url=site.api,
        modes=("url",),  # the IdP is another server: only real HTTP can follow the redirect
    )
    # Chromium followed the LMS's redirect and preflighted the IdP with Origin: null.
    (idp_preflight,) = verdict.received("OPTIONS", server="idp")
    assert idp_preflight.origin == "null"
    assert reports["url"]["browser"]["url"].startswith(site.idp.url())
    assert "top-level navigation" in reports["url"]["browser"]["fix"]
    # In-process explain cannot call the IdP: it must say so, never claim success.
    in_process = ask_explain(request, "in-process", site.api)["browser"]
    assert in_process["ok"] is False
    assert in_process["chrome_error"] is None
    assert "top-level navigation" in in_process["fix"]


def test_login_redirect_to_idp_without_custom_header(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(
        site.page,
        _login_url(site),
        "POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        credentials="include",
        body="email=a%40b.c&password=x",
    )
    verdict, _ = judge(
        probe, request, expect="MissingAllowOriginHeader", site_url=site.api, modes=("url",)
    )
    (followed,) = verdict.received("GET", server="idp")  # 302 turned the POST into a GET
    assert followed.origin == "null"
    assert verdict.options_count == 0


def test_operator_commands_end_to_end(probe: BrowserProbe, site: Site) -> None:
    """Configured with the management commands, judged by the explain command's JSON."""
    import json
    from io import StringIO

    from django.core.management import call_command

    call_command("cors_gate_origins", "add", site.other_page, "--paths", "/tb/", stdout=StringIO())
    call_command(
        "cors_gate_policy",
        "set",
        "--allowed-methods",
        "GET,POST,PATCH",
        "--exposed-headers",
        "X-Request-Id",
        stdout=StringIO(),
    )
    url = f"{site.api}/tb/echo/"
    for method, headers in (("PATCH", CUSTOM), ("DELETE", {})):
        verdict = probe.run_fetch(site.other_page, url, method, headers, "include")
        firefox = probe.firefox.run_fetch(site.other_page, url, method, headers, "include")
        out = StringIO()
        args = ["--origin", site.other_page, "--method", method, "--url", url]
        for name, value in headers.items():
            args += ["--header", f"{name}: {value}"]
        call_command("cors_gate_explain", *args, "--format", "json", stdout=out)
        report = json.loads(out.getvalue())
        predicted = "ok" if report["browser"]["ok"] else report["browser"]["chrome_error"]
        assert verdict.outcome == predicted, (method, verdict.outcome, predicted)
        in_firefox = report["engines"]["firefox"]
        assert firefox.outcome == ("ok" if in_firefox["ok"] else in_firefox["error"]), method
        if method == "PATCH":
            assert verdict.ok and verdict.headers.get("x-request-id") == "req-42"
        else:
            assert verdict.cors_error == "MethodDisallowedByPreflightResponse"


def test_append_slash_redirect_is_followed(probe: BrowserProbe, site: Site, gate: Gate) -> None:
    """CommonMiddleware answers /tb/echo with 301 to /tb/echo/; the gate allows the 301 too."""
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/echo", credentials="include")
    verdict, reports = judge(probe, request, expect="ok", site_url=site.api, modes=VIEW_MODES)
    assert [r.path for r in verdict.received("GET")] == ["/tb/echo", "/tb/echo/"]
    assert [hop["status"] for hop in reports["url"]["hops"]] == [301, 200]


@pytest.fixture
def passthrough(use_middleware: Callable[..., None]) -> None:
    """Preflights reach the view, and the gate completes its headers (Oracle Cloud Gate CORS
    documentation, steps 5.1-5.9)."""
    use_middleware(list(django_settings.MIDDLEWARE), CORS_GATE_PREFLIGHT_PASSTHROUGH=True)


@pytest.mark.usefixtures("passthrough")
def test_passthrough_methods_come_from_the_views_allow_header(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    url = f"{site.api}/tb/items/"
    post = Request(site.page, url, "POST", headers=CUSTOM, credentials="include")
    verdict, reports = judge(probe, post, expect="ok", site_url=site.api, modes=VIEW_MODES)
    assert verdict.status == 201
    allow_methods = reports["url"]["preflight"]["headers"]["Access-Control-Allow-Methods"]
    assert "PUT" not in allow_methods and "POST" in allow_methods
    put = Request(site.page, url, "PUT", credentials="include")
    judge(
        probe,
        put,
        expect="MethodDisallowedByPreflightResponse",
        site_url=site.api,
        modes=VIEW_MODES,
    )


@pytest.mark.usefixtures("passthrough")
def test_passthrough_preflight_to_a_get_only_view_fails_on_status(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    gate.allow(site.page)
    request = Request(site.page, f"{site.api}/tb/get-only/", headers=CUSTOM)
    verdict, reports = judge(
        probe, request, expect="PreflightInvalidStatus", site_url=site.api, modes=VIEW_MODES
    )
    assert reports["url"]["preflight"]["status"] == 405
    assert verdict.received("GET") == []


def test_vary_origin_keeps_cached_answers_apart(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    """A cacheable answer with Access-Control-Allow-Origin must not be reused for another
    origin: the gate's ``Vary: Origin`` sends the second origin to the server (the harness
    shows the failure without it)."""
    gate.allow(site.page, site.sibling_page)
    for page in (site.page, site.sibling_page):
        request = Request(page, f"{site.api}/tb/cached/?vary=no")
        verdict, _ = judge(probe, request, expect="ok", site_url=site.api, modes=VIEW_MODES)
        assert verdict.received("GET")[0].origin == page
        assert f'"origin_seen": "{page}"' in verdict.body


@pytest.mark.parametrize("allow_null", [False, True])
def test_redirect_to_another_origin_taints_origin_to_null(
    probe: BrowserProbe, site: Site, gate: Gate, allow_null: bool
) -> None:
    """The API redirects to itself under another host name: Chromium follows with
    ``Origin: null``, so only a policy that allows null lets the page read the answer."""
    gate.allow(site.page)
    gate.policy(allow_null_origin=allow_null)
    target = site.django.url("localhost") + "/tb/echo/"
    request = Request(
        site.page, f"{site.api}/tb/bounce/?to={target}", headers=CUSTOM, credentials="include"
    )
    expected = "ok" if allow_null else "PreflightMissingAllowOriginHeader"
    verdict, _ = judge(probe, request, expect=expected, site_url=site.api, modes=("url",))
    assert [r.origin for r in verdict.received("OPTIONS")] == [site.page, "null"]
