"""--url mode over real HTTP on loopback: every error by name, redirects, bad URLs."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from cors_gate.explain import ExplainError, explain
from cors_gate.explain.browser import error_names
from tests.explain.scenarios import OK_CRED, OK_PREFLIGHT, ORIGIN, SCENARIOS, Scenario
from tests.explain.servers import Script, ScriptedServer, self_signed, serve_tls, unused_port


@pytest.fixture
def server() -> Any:
    with ScriptedServer() as running:
        yield running


def test_scenarios_cover_every_error() -> None:
    assert {s.expected for s in SCENARIOS} == set(error_names())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.expected for s in SCENARIOS])
def test_each_error_over_http(server: ScriptedServer, scenario: Scenario, db: Any) -> None:
    server.scripts["/x"] = scenario.script
    report = explain(
        ORIGIN,
        scenario.method,
        scenario.headers,
        credentials=scenario.credentials,
        url=server.url + "/x",
    ).as_dict()
    browser = report["browser"]
    assert browser["ok"] is False
    assert browser["chrome_error"] == scenario.expected
    assert browser["failed_step"] == scenario.step
    assert browser["firefox_error"].startswith("CORS")
    # The server really got what a browser sends: a preflight only when one is due.
    methods = [r.method for r in server.received]
    assert methods[0] == ("OPTIONS" if scenario.step == "preflight" else scenario.method)
    if scenario.step == "preflight":
        assert len(methods) == 1, "the browser never sends the actual request"
        sent = server.received[0].headers
        assert sent["Origin"] == ORIGIN
        assert sent["Access-Control-Request-Method"] == "PUT"
        assert sent["Access-Control-Request-Headers"] == "x-csrftoken"
        assert "Cookie" not in sent


def test_good_server_passes(server: ScriptedServer, db: Any) -> None:
    server.scripts["/x"] = Script(preflight_headers=OK_PREFLIGHT, actual_headers=OK_CRED)
    report = explain(ORIGIN, "PUT", ["X-CSRFToken: abc"], url=server.url + "/x").as_dict()
    assert report["browser"]["ok"] is True
    assert report["kind"] == "preflight"
    assert [h["method"] for h in report["hops"]] == ["OPTIONS", "PUT"]
    assert report["preflight"]["status"] == 204
    assert report["actual"]["headers"]["Access-Control-Allow-Origin"] == ORIGIN


def test_same_origin_redirect_is_followed_with_the_same_origin(
    server: ScriptedServer, db: Any
) -> None:
    server.scripts["/x"] = Script(actual_status=302, actual_headers=[*OK_CRED, ("Location", "/y")])
    server.scripts["/y"] = Script(actual_headers=OK_CRED)
    report = explain(ORIGIN, "POST", [], url=server.url + "/x").as_dict()
    assert report["browser"]["ok"] is True
    assert [(h["method"], h["url"].rsplit("/", 1)[1]) for h in report["hops"]] == [
        ("POST", "x"),
        ("GET", "y"),  # 302 turns POST into GET
    ]
    assert server.received[1].headers["Origin"] == ORIGIN  # not tainted: same server


def test_307_keeps_the_method(server: ScriptedServer, db: Any) -> None:
    server.scripts["/x"] = Script(actual_status=307, actual_headers=[*OK_CRED, ("Location", "/y")])
    server.scripts["/y"] = Script(actual_headers=OK_CRED)
    report = explain(ORIGIN, "POST", [], url=server.url + "/x").as_dict()
    assert [h["method"] for h in report["hops"]] == ["POST", "POST"]


def test_redirect_without_cors_headers_fails_on_the_redirect(
    server: ScriptedServer, db: Any
) -> None:
    server.scripts["/x"] = Script(actual_status=302, actual_headers=[("Location", "/y")])
    report = explain(ORIGIN, "GET", [], url=server.url + "/x").as_dict()
    assert report["browser"]["chrome_error"] == "MissingAllowOriginHeader"
    assert report["browser"]["failed_step"] == "redirect"
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://127.0.0.1/x"}, "^url: 'ftp://127.0.0.1/x' is not an http\\(s\\) URL$"),
        ({"url": "http://"}, "^url: "),
        ({"url": "http://127.0.0.1:99999/"}, "^url: .*invalid port"),
    ],
)
def test_bad_urls(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ExplainError, match=message):
        explain(ORIGIN, **kwargs)  # type: ignore[arg-type]


def test_unreachable_url_is_predicted_not_refused(db: Any) -> None:
    url = f"http://127.0.0.1:{unused_port()}/x"
    report = explain(ORIGIN, url=url).as_dict()
    chromium, firefox = report["engines"]["chromium"], report["engines"]["firefox"]
    assert (chromium["ok"], chromium["error"], chromium["network_error"]) == (
        False, "net::ERR_CONNECTION_REFUSED", True,
    )  # fmt: skip
    assert (firefox["ok"], firefox["error"]) == (False, "CORSDidNotSucceed")
    assert "connection refused" in chromium["message"]
    assert report["browser"]["chrome_error"] == "net::ERR_CONNECTION_REFUSED"
    out = StringIO()
    call_command("cors_gate_explain", "--origin", ORIGIN, "--url", url, stdout=out)
    assert "BLOCKED: net::ERR_CONNECTION_REFUSED (Firefox: CORSDidNotSucceed)" in out.getvalue()


def test_untrusted_tls_certificate_is_predicted(db: Any, tmp_path: Path) -> None:
    server = ScriptedServer()
    serve_tls(server, *self_signed(tmp_path))
    with server:
        report = explain(ORIGIN, url=server.url + "/x").as_dict()
    assert report["engines"]["chromium"]["error"] == "net::ERR_CERT_AUTHORITY_INVALID"
    assert report["engines"]["firefox"]["error"] == "CORSDidNotSucceed"
    assert "not trusted" in report["browser"]["message"]
    assert server.received == []  # the handshake failed: no request was made


def test_timeout_is_reported(db: Any) -> None:
    import socket

    with socket.socket() as sock:  # accepts connections, never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/x"
        with pytest.raises(ExplainError, match=r"^url: no answer from .* within 0.5 s$"):
            explain(ORIGIN, url=url, timeout=0.5)


def _hops(report: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(h["method"], h["status"]) for h in report["hops"]]


FactoryType = Callable[[], ScriptedServer]
