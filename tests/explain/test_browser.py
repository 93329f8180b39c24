"""Chromium's CORS checks: each error a server can cause comes from some answer, by name."""

from __future__ import annotations

import pytest

from cors_gate.explain.browser import (
    FIREFOX_NAMES,
    Answer,
    CorsFailure,
    check_preflight,
    check_redirect_location,
    check_response,
    error_names,
)

ORIGIN = "https://apps.example.com"
URL = "https://lms.example.com/api/x/"
GOOD_CRED = [
    ("Access-Control-Allow-Origin", ORIGIN),
    ("Access-Control-Allow-Credentials", "true"),
]


def preflight(
    status: int = 204,
    headers: list[tuple[str, str]] | None = None,
    *,
    credentials: bool = True,
    method: str = "PUT",
    unsafe: tuple[str, ...] = ("x-csrftoken",),
) -> CorsFailure | None:
    answer = Answer.build(URL, status, headers or [])
    return check_preflight(
        answer, origin=ORIGIN, credentials=credentials, method=method, unsafe_headers=unsafe
    )


def actual(
    headers: list[tuple[str, str]], *, status: int = 200, credentials: bool = True
) -> CorsFailure | None:
    return check_response(
        Answer.build(URL, status, headers), origin=ORIGIN, credentials=credentials
    )


def name(failure: CorsFailure | None) -> str | None:
    return failure.chrome_error if failure else None


ALLOW_ALL = [
    *GOOD_CRED,
    ("Access-Control-Allow-Methods", "PUT"),
    ("Access-Control-Allow-Headers", "X-CSRFToken"),
]

# (expected Chromium name, how to produce it)
CASES: list[tuple[str, object]] = [
    ("MissingAllowOriginHeader", lambda: actual([])),
    ("PreflightMissingAllowOriginHeader", lambda: preflight(204, [])),
    ("WildcardOriginNotAllowed", lambda: actual([("Access-Control-Allow-Origin", "*")])),
    (
        "PreflightWildcardOriginNotAllowed",
        lambda: preflight(204, [("Access-Control-Allow-Origin", "*")]),
    ),
    (
        "MultipleAllowOriginValues",
        lambda: actual(
            [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Origin", ORIGIN)]
        ),
    ),
    (
        "PreflightMultipleAllowOriginValues",
        lambda: preflight(
            204, [("Access-Control-Allow-Origin", f"{ORIGIN} https://b.example.com")]
        ),
    ),
    (
        "InvalidAllowOriginValue",
        lambda: actual([("Access-Control-Allow-Origin", "apps.example.com")]),
    ),
    (
        "PreflightInvalidAllowOriginValue",
        lambda: preflight(204, [("Access-Control-Allow-Origin", "https://")]),
    ),
    ("AllowOriginMismatch", lambda: actual([("Access-Control-Allow-Origin", ORIGIN + "/")])),
    (
        "PreflightAllowOriginMismatch",
        lambda: preflight(204, [("Access-Control-Allow-Origin", "https://APPS.example.com")]),
    ),
    ("InvalidAllowCredentials", lambda: actual([("Access-Control-Allow-Origin", ORIGIN)])),
    (
        "PreflightInvalidAllowCredentials",
        lambda: preflight(
            204,
            [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Credentials", "True")],
        ),
    ),
    ("PreflightInvalidStatus", lambda: preflight(403, ALLOW_ALL)),
    (
        "PreflightDisallowedRedirect",
        lambda: preflight(302, [*ALLOW_ALL, ("Location", "https://lms.example.com/login/")]),
    ),
    (
        "MethodDisallowedByPreflightResponse",
        lambda: preflight(204, [*GOOD_CRED, ("Access-Control-Allow-Headers", "x-csrftoken")]),
    ),
    (
        "HeaderDisallowedByPreflightResponse",
        lambda: preflight(204, [*GOOD_CRED, ("Access-Control-Allow-Methods", "PUT")]),
    ),
    (
        "InvalidAllowMethodsPreflightResponse",
        lambda: preflight(204, [*GOOD_CRED, ("Access-Control-Allow-Methods", "PUT; DELETE")]),
    ),
    (
        "InvalidAllowHeadersPreflightResponse",
        lambda: preflight(
            204,
            [
                *GOOD_CRED,
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-csrftoken, a b"),
            ],
        ),
    ),
    (
        "RedirectContainsCredentials",
        lambda: check_redirect_location(
            "https://user:pw@idp.example.net/sso", current_url=URL, origin=ORIGIN, tainted=False
        ),
    ),
    (
        "CorsDisabledScheme",
        lambda: check_redirect_location(
            "ftp://files.example.com/x", current_url=URL, origin=ORIGIN, tainted=False
        ),
    ),
]


@pytest.mark.parametrize(("expected", "produce"), CASES, ids=[c[0] for c in CASES])
def test_each_server_causable_error(expected: str, produce: object) -> None:
    failure = produce()  # type: ignore[operator]
    assert isinstance(failure, CorsFailure)
    assert failure.chrome_error == expected
    assert failure.firefox_error.startswith("CORS")
    assert failure.message and failure.fix


def test_every_known_error_is_covered_by_a_case() -> None:
    assert {c[0] for c in CASES} == set(error_names())


def test_good_answers_pass() -> None:
    assert preflight(204, ALLOW_ALL) is None
    assert preflight(200, ALLOW_ALL) is None
    assert actual(GOOD_CRED) is None
    assert actual([("Access-Control-Allow-Origin", "*")], credentials=False) is None


def test_access_is_checked_before_status() -> None:
    # A 403 without Access-Control-Allow-Origin reads as a missing header, not as a bad status.
    assert name(preflight(403, [])) == "PreflightMissingAllowOriginHeader"
    assert name(actual([], status=500)) == "MissingAllowOriginHeader"


def test_redirect_is_checked_before_everything_on_a_preflight() -> None:
    assert name(preflight(301, [("Location", "/x/")])) == "PreflightDisallowedRedirect"
    # A 3xx without Location is not a redirect: it is a bad status.
    assert name(preflight(304, ALLOW_ALL)) == "PreflightInvalidStatus"


def test_credentials_header_is_checked_only_for_credentialed_requests() -> None:
    assert actual([("Access-Control-Allow-Origin", ORIGIN)], credentials=False) is None
    assert name(actual([*GOOD_CRED[:1], ("Access-Control-Allow-Credentials", "TRUE")])) == (
        "InvalidAllowCredentials"
    )


def test_null_acao_is_a_mismatch_unless_origin_is_null() -> None:
    assert name(actual([("Access-Control-Allow-Origin", "null")], credentials=False)) == (
        "AllowOriginMismatch"
    )
    answer = Answer.build(URL, 200, [("Access-Control-Allow-Origin", "null")])
    assert check_response(answer, origin="null", credentials=False) is None


def test_wildcard_methods_and_headers_only_without_credentials() -> None:
    star = [
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "*"),
        ("Access-Control-Allow-Headers", "*"),
    ]
    assert name(preflight(204, star)) == "MethodDisallowedByPreflightResponse"
    star[2] = ("Access-Control-Allow-Methods", "PUT")
    assert name(preflight(204, star)) == "HeaderDisallowedByPreflightResponse"
    no_cred = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "*"),
        ("Access-Control-Allow-Headers", "*"),
    ]
    assert preflight(204, no_cred, credentials=False) is None


def test_wildcard_covers_authorization_with_a_deprecation_warning() -> None:
    """Fetch says '*' never covers Authorization; Chromium 156 and Firefox 153 still let it
    through without credentials, each with its own deprecation warning."""
    headers = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "PUT"),
        ("Access-Control-Allow-Headers", "*"),
    ]
    for engine, warning in (
        ("chromium", "AuthorizationCoveredByWildcard"),
        ("firefox", "CORSAllowHeaderFromPreflightDeprecation"),
    ):
        warnings: list[str] = []
        answer = Answer.build(URL, 204, headers)
        failure = check_preflight(
            answer,
            origin=ORIGIN,
            credentials=False,
            method="PUT",
            unsafe_headers=("authorization", "x-a"),
            engine=engine,
            warnings=warnings,
        )
        assert failure is None
        assert warnings == [warning]
    listed = [*headers[:2], ("Access-Control-Allow-Headers", "*, Authorization")]
    warnings = []
    answer = Answer.build(URL, 204, listed)
    assert (
        check_preflight(
            answer,
            origin=ORIGIN,
            credentials=False,
            method="PUT",
            unsafe_headers=("authorization",),
            warnings=warnings,
        )
        is None
    )
    assert warnings == []  # listed by name: no warning


def test_firefox_reads_one_allow_origin_line_with_a_list_as_a_mismatch() -> None:
    one_line = [("Access-Control-Allow-Origin", f"{ORIGIN}, https://b.example.com")]
    two_lines = [("Access-Control-Allow-Origin", ORIGIN)] * 2
    for headers, chromium, firefox in (
        (one_line, "MultipleAllowOriginValues", "CORSAllowOriginNotMatchingOrigin"),
        (two_lines, "MultipleAllowOriginValues", "CORSMultipleAllowOriginNotAllowed"),
    ):
        answer = Answer.build(URL, 200, headers)
        seen = {
            engine: check_response(answer, origin=ORIGIN, credentials=False, engine=engine)
            for engine in ("chromium", "firefox")
        }
        assert seen["chromium"] is not None and seen["chromium"].error == chromium
        assert seen["firefox"] is not None and seen["firefox"].error == firefox


def test_firefox_checks_the_method_before_parsing_allow_headers() -> None:
    headers = [
        *GOOD_CRED,
        ("Access-Control-Allow-Methods", "GET"),
        ("Access-Control-Allow-Headers", "(x)"),
    ]
    answer = Answer.build(URL, 204, headers)
    kwargs = {"origin": ORIGIN, "credentials": True, "method": "PUT", "unsafe_headers": ["x-a"]}
    chromium = check_preflight(answer, **kwargs)  # type: ignore[arg-type]
    firefox = check_preflight(answer, engine="firefox", **kwargs)  # type: ignore[arg-type]
    assert chromium is not None and chromium.error == "InvalidAllowHeadersPreflightResponse"
    assert firefox is not None and firefox.error == "CORSMethodNotFound"


@pytest.mark.parametrize(
    ("location", "same_origin_start", "chromium", "firefox"),
    [
        ("data:text/plain,hi", False, "net::ERR_UNSAFE_REDIRECT", "CORSDidNotSucceed"),
        ("data:text/plain,hi", True, "net::ERR_UNSAFE_REDIRECT", "NetworkError"),
        ("about:blank", False, "net::ERR_UNSAFE_REDIRECT", "CORSRequestNotHttp"),
        ("ftp://files.example.com/x", False, "CorsDisabledScheme", "CORSRequestNotHttp"),
        ("https://u:p@idp.example.net/", False, "RedirectContainsCredentials", "CORSDidNotSucceed"),
        ("https://u:p@idp.example.net/", True, "RedirectContainsCredentials", "CORSDidNotSucceed"),
        # Back to the page's own origin, never in CORS mode: Chromium blocks the URL
        # outside CORS, Firefox follows it.
        (f"{ORIGIN}/x", True, None, None),
        ("https://u:p@apps.example.com/x", True, "net::ERR_ABORTED", None),
    ],
)
def test_redirect_locations_per_engine(
    location: str, same_origin_start: bool, chromium: str | None, firefox: str | None
) -> None:
    current = f"{ORIGIN}/start" if same_origin_start else URL
    seen = {
        engine: check_redirect_location(
            location,
            current_url=current,
            origin=ORIGIN,
            tainted=False,
            cors_flag=not same_origin_start,
            engine=engine,
        )
        for engine in ("chromium", "firefox")
    }
    assert (seen["chromium"].error if seen["chromium"] else None) == chromium
    assert (seen["firefox"].error if seen["firefox"] else None) == firefox


def test_methods_compare_case_sensitively_headers_do_not() -> None:
    headers = [
        *GOOD_CRED,
        ("Access-Control-Allow-Methods", "PATCH"),
        ("Access-Control-Allow-Headers", "X-CSRFTOKEN"),
    ]
    assert name(preflight(204, headers, method="patch")) == "MethodDisallowedByPreflightResponse"
    assert preflight(204, headers, method="PATCH") is None


def test_safelisted_methods_need_no_listing() -> None:
    headers = [*GOOD_CRED, ("Access-Control-Allow-Headers", "x-csrftoken")]
    assert preflight(204, headers, method="POST") is None


def test_empty_list_items_are_ignored() -> None:
    headers = [
        *GOOD_CRED,
        ("Access-Control-Allow-Methods", "PUT,,"),
        ("Access-Control-Allow-Headers", " , x-csrftoken"),
    ]
    assert preflight(204, headers) is None


def test_redirect_answer_is_a_redirect_step() -> None:
    answer = Answer.build(URL, 302, [("Location", "https://idp.example.net/sso")])
    failure = check_response(answer, origin=ORIGIN, credentials=True)
    assert failure is not None
    assert (failure.chrome_error, failure.step) == ("MissingAllowOriginHeader", "redirect")


def test_plain_redirect_location_passes() -> None:
    assert (
        check_redirect_location(
            "https://idp.example.net/sso", current_url=URL, origin=ORIGIN, tainted=True
        )
        is None
    )


def test_firefox_names() -> None:
    assert FIREFOX_NAMES["MissingAllowOriginHeader"] == "CORSMissingAllowOrigin"
    failure = preflight(204, [])
    assert failure is not None and failure.firefox_error == "CORSMissingAllowOrigin"
    failure = preflight(204, [*GOOD_CRED, ("Access-Control-Allow-Methods", "PUT")])
    assert failure is not None and failure.firefox_error == "CORSMissingAllowHeaderFromPreflight"
    # The console key, not MDN's page name (CORSMIssingAllowCredentials).
    failure = actual([("Access-Control-Allow-Origin", ORIGIN)])
    assert failure is not None and failure.firefox_error == "CORSMissingAllowCredentials"
