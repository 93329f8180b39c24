"""One scripted server answer per Chromium CORS error a server can cause.

Shared by the --url tests here and usable by the real-Chromium suite: each scenario says
what the page does (method, headers, credentials) and what the server answers, and which
name DevTools should show. `{port}` in a header value is the scripted server's port.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.explain.servers import Script

ORIGIN = "https://apps.example.com"
OK_CRED = [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Credentials", "true")]
OK_PREFLIGHT = [
    *OK_CRED,
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Allow-Headers", "X-CSRFToken"),
]


@dataclass(frozen=True)
class Scenario:
    expected: str  # Chromium's Network.CorsError name
    script: Script
    method: str = "PUT"
    headers: list[str] = field(default_factory=lambda: ["X-CSRFToken: abc"])
    credentials: str = "include"
    step: str = "preflight"


def _simple(expected: str, headers: list[tuple[str, str]], step: str = "actual") -> Scenario:
    status = 302 if step == "redirect" else 200
    script = Script(actual_status=status, actual_headers=headers)
    return Scenario(expected, script, "GET", [], "include", step)


def _pre(expected: str, headers: list[tuple[str, str]], status: int = 204) -> Scenario:
    return Scenario(expected, Script(preflight_status=status, preflight_headers=headers))


SCENARIOS: list[Scenario] = [
    _simple("MissingAllowOriginHeader", []),
    _pre("PreflightMissingAllowOriginHeader", [], status=403),
    _simple("WildcardOriginNotAllowed", [("Access-Control-Allow-Origin", "*")]),
    _pre("PreflightWildcardOriginNotAllowed", [("Access-Control-Allow-Origin", "*")]),
    _simple(
        "MultipleAllowOriginValues",
        [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Origin", ORIGIN)],
    ),
    _pre(
        "PreflightMultipleAllowOriginValues",
        [("Access-Control-Allow-Origin", f"{ORIGIN}, https://other.example.com")],
    ),
    _simple("InvalidAllowOriginValue", [("Access-Control-Allow-Origin", "apps.example.com")]),
    _pre("PreflightInvalidAllowOriginValue", [("Access-Control-Allow-Origin", "https://")]),
    _simple("AllowOriginMismatch", [("Access-Control-Allow-Origin", ORIGIN + "/")]),
    _pre("PreflightAllowOriginMismatch", [("Access-Control-Allow-Origin", "https://example.com")]),
    _simple("InvalidAllowCredentials", [("Access-Control-Allow-Origin", ORIGIN)]),
    _pre(
        "PreflightInvalidAllowCredentials",
        [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Credentials", "yes")],
    ),
    _pre("PreflightInvalidStatus", OK_PREFLIGHT, status=401),
    _pre("PreflightDisallowedRedirect", [*OK_PREFLIGHT, ("Location", "/login/")], status=302),
    _pre(
        "MethodDisallowedByPreflightResponse",
        [*OK_CRED, ("Access-Control-Allow-Methods", "GET, POST, *")],
    ),
    _pre(
        "HeaderDisallowedByPreflightResponse",
        [*OK_CRED, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*")],
    ),
    _pre(
        "InvalidAllowMethodsPreflightResponse",
        [*OK_CRED, ("Access-Control-Allow-Methods", "PUT;"), ("Access-Control-Allow-Headers", "*")],
    ),
    _pre(
        "InvalidAllowHeadersPreflightResponse",
        [
            *OK_CRED,
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Allow-Headers", "X-CSRFToken, (x)"),
        ],
    ),
    _simple(
        "RedirectContainsCredentials",
        [*OK_CRED, ("Location", "http://user:secret@127.0.0.1:{port}/next")],
        step="redirect",
    ),
    # Chromium may report net::ERR_UNSAFE_REDIRECT for this one (see docs/concepts/engines.rst).
    _simple(
        "CorsDisabledScheme",
        [*OK_CRED, ("Location", "ftp://127.0.0.1/file")],
        step="redirect",
    ),
]
