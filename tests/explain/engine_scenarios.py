"""Scripted answers judged by both engines: what Chromium and Firefox each do, measured.

Each case names what the page does, what the server answers, and the outcome each engine
showed when these cases were first run (Chromium 156, Firefox ESR 153): ``ok``, Chromium's
DevTools ``corsError`` or ``net::`` error, Firefox's console key (or ``NetworkError`` when
Firefox fails outside CORS and logs nothing). ``test_engine_agreement.py`` checks the
browsers still do that and that explain predicts it, engine by engine.

URL templates: ``{target}`` is the scripted server, ``{page}`` the page's own origin (its
``/bounce?to=`` answers a same-origin 302), ``{dead}`` a port nobody listens on, ``{tls}``
the scripted server behind a self-signed certificate; ``{port}`` in a header value is the
scripted server's port.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.explain.scenarios import OK_CRED, ORIGIN, SCENARIOS
from tests.explain.servers import Script


@dataclass(frozen=True)
class EngineCase:
    name: str
    chromium: str
    firefox: str
    script: Script = field(default_factory=Script)
    method: str = "GET"
    headers: tuple[str, ...] = ()
    credentials: str = "omit"
    url: str = "{target}/x"
    chromium_warnings: tuple[str, ...] = ()
    firefox_warnings: tuple[str, ...] = ()


# Firefox's console key for each Chromium scenario of scenarios.py, as measured.
FIREFOX_FOR_SCENARIO = {
    "MissingAllowOriginHeader": "CORSMissingAllowOrigin",
    "PreflightMissingAllowOriginHeader": "CORSMissingAllowOrigin",
    "WildcardOriginNotAllowed": "CORSNotSupportingCredentials",
    "PreflightWildcardOriginNotAllowed": "CORSNotSupportingCredentials",
    "MultipleAllowOriginValues": "CORSMultipleAllowOriginNotAllowed",  # two header lines
    "PreflightMultipleAllowOriginValues": "CORSAllowOriginNotMatchingOrigin",  # one line
    "InvalidAllowOriginValue": "CORSAllowOriginNotMatchingOrigin",
    "PreflightInvalidAllowOriginValue": "CORSAllowOriginNotMatchingOrigin",
    "AllowOriginMismatch": "CORSAllowOriginNotMatchingOrigin",
    "PreflightAllowOriginMismatch": "CORSAllowOriginNotMatchingOrigin",
    "InvalidAllowCredentials": "CORSMissingAllowCredentials",
    "PreflightInvalidAllowCredentials": "CORSMissingAllowCredentials",
    "PreflightInvalidStatus": "CORSPreflightDidNotSucceed",
    "PreflightDisallowedRedirect": "CORSExternalRedirectNotAllowed",
    "MethodDisallowedByPreflightResponse": "CORSMethodNotFound",
    "HeaderDisallowedByPreflightResponse": "CORSMissingAllowHeaderFromPreflight",
    "InvalidAllowMethodsPreflightResponse": "CORSInvalidAllowMethod",
    "InvalidAllowHeadersPreflightResponse": "CORSInvalidAllowHeader",
    "RedirectContainsCredentials": "CORSDidNotSucceed",
    "CorsDisabledScheme": "CORSRequestNotHttp",
}

OK_ANY = [("Access-Control-Allow-Origin", ORIGIN)]
# A preflight nobody allows: a request that is preflighted fails, a simple one passes.
NO_PREFLIGHT = Script(preflight_status=403, actual_headers=OK_ANY)
AUTHZ = ("Authorization: Bearer t",)


def _redirect(to: str) -> Script:
    return Script(actual_status=302, actual_headers=[*OK_ANY, ("Location", to)])


CASES: list[EngineCase] = [
    *(
        EngineCase(
            s.expected,
            s.expected,
            FIREFOX_FOR_SCENARIO[s.expected],
            s.script,
            s.method,
            tuple(s.headers),
            s.credentials,
        )
        for s in SCENARIOS
    ),
    # Fetch says "*" never covers Authorization; both engines still allow it, and warn.
    EngineCase(
        "authorization-under-wildcard",
        "ok",
        "ok",
        Script(
            preflight_headers=[*OK_ANY, ("Access-Control-Allow-Headers", "*")],
            actual_headers=OK_ANY,
        ),
        headers=AUTHZ,
        chromium_warnings=("AuthorizationCoveredByWildcard",),
        firefox_warnings=("CORSAllowHeaderFromPreflightDeprecation",),
    ),
    EngineCase(
        "authorization-under-wildcard-credentialed",
        "HeaderDisallowedByPreflightResponse",
        "CORSMissingAllowHeaderFromPreflight",
        Script(
            preflight_headers=[*OK_CRED, ("Access-Control-Allow-Headers", "*")],
            actual_headers=OK_CRED,
        ),
        headers=AUTHZ,
        credentials="include",
    ),
    EngineCase(
        "allow-origin-list-on-one-line",
        "MultipleAllowOriginValues",
        "CORSAllowOriginNotMatchingOrigin",
        Script(actual_headers=[("Access-Control-Allow-Origin", f"{ORIGIN}, https://b.example")]),
    ),
    EngineCase(
        "invalid-allow-headers-and-method-not-allowed",
        "InvalidAllowHeadersPreflightResponse",
        "CORSMethodNotFound",
        Script(
            preflight_headers=[
                *OK_ANY,
                ("Access-Control-Allow-Methods", "GET"),
                ("Access-Control-Allow-Headers", "(x)"),
            ]
        ),
        method="PUT",
        headers=("X-A: 1",),
    ),
    EngineCase(
        "method-case-differs",
        "MethodDisallowedByPreflightResponse",
        "CORSMethodNotFound",
        Script(preflight_headers=[*OK_ANY, ("Access-Control-Allow-Methods", "PATCH")]),
        method="patch",
    ),
    # Redirects the engines refuse before (or outside) CORS.
    EngineCase(
        "redirect-to-data",
        "net::ERR_UNSAFE_REDIRECT",
        "CORSDidNotSucceed",
        _redirect("data:text/plain,hi"),
    ),
    EngineCase(
        "redirect-to-about",
        "net::ERR_UNSAFE_REDIRECT",
        "CORSRequestNotHttp",
        _redirect("about:blank"),
    ),
    *(
        EngineCase(f"redirect-to-{location.split(':')[0]}", chromium, firefox, _redirect(location))
        for location, chromium, firefox in (
            ("file:///etc/hostname", "net::ERR_UNSAFE_REDIRECT", "CORSDidNotSucceed"),
            ("blob:http://127.0.0.1/x", "net::ERR_UNSAFE_REDIRECT", "CORSDidNotSucceed"),
            ("filesystem:http://127.0.0.1/t/x", "net::ERR_UNSAFE_REDIRECT", "CORSRequestNotHttp"),
            ("javascript:void(0)", "CorsDisabledScheme", "CORSDidNotSucceed"),
            ("ws://127.0.0.1:1/x", "CorsDisabledScheme", "CORSDidNotSucceed"),
            ("mailto:ops@example.com", "CorsDisabledScheme", "CORSRequestNotHttp"),
        )
    ),
    EngineCase(
        "same-origin-redirect-to-data",
        "net::ERR_UNSAFE_REDIRECT",
        "NetworkError",
        url="{page}/bounce?to=data:text/plain,hi",
    ),
    EngineCase(
        "same-origin-redirect-to-own-origin-with-user-info",
        "net::ERR_ABORTED",
        "ok",
        url="{page}/bounce?to=http://u:p@{page_host}/runner.html",
        chromium_warnings=("RequestedSubresourceWithEmbeddedCredentials",),
    ),
    EngineCase(
        "same-origin-redirect-to-another-origin-with-user-info",
        "RedirectContainsCredentials",
        "CORSDidNotSucceed",
        Script(actual_headers=OK_ANY),
        url="{page}/bounce?to=http://u:p@127.0.0.1:{port}/x",
    ),
    EngineCase(
        "same-origin-redirect-to-another-origin",
        "ok",
        "ok",
        Script(actual_headers=[("Access-Control-Allow-Origin", "*")]),
        url="{page}/bounce?to=http://127.0.0.1:{port}/x",
    ),
    # Range: a bound each engine's parser refuses makes the request non-simple.
    EngineCase(
        "range-bound-2^63-2",
        "ok",
        "ok",
        NO_PREFLIGHT,
        headers=("Range: bytes=9223372036854775806-",),
    ),
    EngineCase(
        "range-bound-2^63-1",
        "PreflightMissingAllowOriginHeader",
        "ok",
        NO_PREFLIGHT,
        headers=("Range: bytes=9223372036854775807-",),
    ),
    EngineCase(
        "range-end-2^64-1",
        "PreflightMissingAllowOriginHeader",
        "ok",
        NO_PREFLIGHT,
        headers=("Range: bytes=1-18446744073709551615",),
    ),
    EngineCase(
        "range-bound-2^64",
        "PreflightMissingAllowOriginHeader",
        "CORSMissingAllowOrigin",
        NO_PREFLIGHT,
        headers=("Range: bytes=18446744073709551616-",),
    ),
    # A client hint Chromium safelists and Firefox does not.
    EngineCase(
        "client-hint-dpr", "ok", "CORSMissingAllowOrigin", NO_PREFLIGHT, headers=("DPR: 2",)
    ),
    # No answer at all.
    EngineCase(
        "connection-refused", "net::ERR_CONNECTION_REFUSED", "CORSDidNotSucceed", url="{dead}/x"
    ),
    EngineCase(
        "untrusted-certificate",
        "net::ERR_CERT_AUTHORITY_INVALID",
        "CORSDidNotSucceed",
        Script(actual_headers=OK_ANY),
        url="{tls}/x",
    ),
]
