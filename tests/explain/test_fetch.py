"""Fetch-standard classification: which requests a browser preflights, and why."""

from __future__ import annotations

import pytest

from cors_gate.explain.fetch import RequestInputError, classify, normalize_method


def codes(method: str, headers: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    return [(r.code, r.header) for r in classify(method, headers).reasons]


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "get", "post", "head"])
def test_safelisted_methods_are_simple(method: str) -> None:
    result = classify(method, [])
    assert result.kind == "simple"
    assert result.method == method.upper()


@pytest.mark.parametrize(
    "method", ["PUT", "DELETE", "PATCH", "OPTIONS", "put", "patch", "PROPFIND"]
)
def test_other_methods_need_a_preflight(method: str) -> None:
    result = classify(method, [])
    assert result.kind == "preflight"
    assert [r.code for r in result.reasons] == ["method-not-safelisted"]


def test_fetch_uppercases_only_the_six_standard_methods() -> None:
    assert normalize_method("delete") == "DELETE"
    assert normalize_method("patch") == "patch"  # sent and compared as written
    assert normalize_method("Patch") == "Patch"


@pytest.mark.parametrize("method", ["CONNECT", "trace", "TRACK"])
def test_forbidden_methods_are_refused(method: str) -> None:
    with pytest.raises(RequestInputError, match=r"method: .* forbidden"):
        classify(method, [])


@pytest.mark.parametrize("method", ["", "GE T", "GET/", "PO(ST"])
def test_bad_method_tokens_are_refused(method: str) -> None:
    with pytest.raises(RequestInputError, match=r"^method: .* not an HTTP token$"):
        classify(method, [])


def test_not_cors_when_same_origin() -> None:
    result = classify("PUT", [("X-CSRFToken", "abc")], cross_origin=False)
    assert result.kind == "not-cors"
    assert result.reasons == ()


def test_custom_header_names_the_header() -> None:
    result = classify("POST", [("X-CSRFToken", "abc"), ("Accept", "application/json")])
    assert result.kind == "preflight"
    assert codes("POST", [("X-CSRFToken", "abc")]) == [("header-not-safelisted", "x-csrftoken")]
    assert result.unsafe_header_names == ("x-csrftoken",)


def test_authorization_is_not_safelisted() -> None:
    assert codes("GET", [("Authorization", "Bearer x")]) == [
        ("header-not-safelisted", "authorization")
    ]


@pytest.mark.parametrize(
    "value",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=something",
        "text/plain",
        "TEXT/PLAIN; charset=utf-8",
        "  text/plain  ",
    ],
)
def test_safelisted_content_types(value: str) -> None:
    assert classify("POST", [("Content-Type", value)]).kind == "simple"


@pytest.mark.parametrize(
    "value", ["application/json", "text/html", "application/xml", "text", "text/plain/x"]
)
def test_other_content_type_essences_need_a_preflight(value: str) -> None:
    assert codes("POST", [("Content-Type", value)]) == [("content-type-essence", "content-type")]


@pytest.mark.parametrize(
    "char", ['"', "(", ")", ":", "<", ">", "?", "@", "[", "\\", "]", "{", "}", "\x7f", "\x01"]
)
def test_unsafe_bytes_in_content_type(char: str) -> None:
    value = f"text/plain; x=a{char}b"
    assert codes("POST", [("Content-Type", value)]) == [("unsafe-byte", "content-type")]


def test_unsafe_bytes_in_accept() -> None:
    assert classify("GET", [("Accept", "application/json, text/*;q=0.8")]).kind == "simple"
    assert codes("GET", [("Accept", "text/html; a=(b)")]) == [("unsafe-byte", "accept")]


def test_tab_is_not_an_unsafe_byte() -> None:
    assert classify("GET", [("Accept", "a/b,\tc/d")]).kind == "simple"


@pytest.mark.parametrize("name", ["Accept-Language", "Content-Language"])
def test_language_values(name: str) -> None:
    assert classify("GET", [(name, "en-US, fr;q=0.5, *")]).kind == "simple"
    assert codes("GET", [(name, "en_US")]) == [("language-charset", name.lower())]
    assert codes("GET", [(name, "de/ch")]) == [("language-charset", name.lower())]


@pytest.mark.parametrize("value", ["bytes=0-", "bytes=0-499", "bytes=10-10"])
def test_simple_ranges(value: str) -> None:
    assert classify("GET", [("Range", value)]).kind == "simple"


@pytest.mark.parametrize(
    "value", ["bytes=-500", "bytes=0-1,5-9", "bytes=5-1", "bytes = 0-1", "items=0-1", "bytes=a-"]
)
def test_other_ranges_need_a_preflight(value: str) -> None:
    assert codes("GET", [("Range", value)]) == [("range-form", "range")]


def test_value_limit_is_128_bytes() -> None:
    assert classify("GET", [("Accept", "a" * 128)]).kind == "simple"
    result = classify("GET", [("Accept", "a" * 129)])
    assert [(r.code, r.header) for r in result.reasons] == [("value-too-long", "accept")]
    assert "129 bytes" in result.reasons[0].message


# With repeats combined, the five Fetch names reach 640 bytes at most; the 1024-byte total
# bites when Chromium's safelisted client hints add theirs.
FULL = [
    ("Accept", "a" * 128),
    ("Accept-Language", "b" * 128),
    ("Content-Language", "c" * 128),
    ("DPR", "1" * 128),
    ("Width", "2" * 128),
    ("Viewport-Width", "3" * 128),
    ("RTT", "4" * 128),
    ("Downlink", "5" * 128),
]


def test_total_limit_counts_exactly_1024() -> None:
    assert classify("GET", FULL).kind == "simple"  # 8 x 128 = 1024: not above the limit


def test_total_limit_makes_every_safelisted_header_unsafe() -> None:
    result = classify("GET", [*FULL, ("ECT", "4g")])  # 1026 bytes
    assert result.kind == "preflight"
    assert {r.code for r in result.reasons} == {"total-too-long"}
    assert len(result.unsafe_header_names) == 9
    assert "1026 bytes" in result.reasons[0].message


def test_forbidden_headers_are_dropped_not_preflighted() -> None:
    result = classify("GET", [("Cookie", "a=b"), ("Sec-Fetch-Mode", "cors"), ("Proxy-X", "1")])
    assert result.kind == "simple"
    assert result.headers == ()
    assert len(result.notes) == 3


def test_chromium_client_hints_are_noted_not_preflighted() -> None:
    result = classify("GET", [("DPR", "2.0")])
    assert result.kind == "simple"
    assert any("Chromium" in n for n in result.notes)
    assert classify("GET", [("DPR", "two")]).kind == "preflight"


def test_unsafe_names_are_sorted_and_unique() -> None:
    result = classify(
        "PUT", [("X-B", "1"), ("x-a", "2"), ("X-B", "3"), ("Content-Type", "application/json")]
    )
    assert result.unsafe_header_names == ("content-type", "x-a", "x-b")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("", "x", "^header: a header has no name$"),
        ("X Y", "x", "not a valid header name"),
        ("X-Y", "a\nb", "CR, LF or NUL"),
        ("X-Y", "caf\u20ac", "above U\\+00FF"),
    ],
)
def test_bad_headers_are_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(RequestInputError, match=message):
        classify("GET", [(name, value)])


def test_repeated_headers_are_combined_before_the_checks() -> None:
    result = classify("POST", [("Content-Type", "text/plain"), ("content-type", "text/plain")])
    assert result.headers == (("content-type", "text/plain, text/plain"),)
    assert [r.code for r in result.reasons] == ["content-type-essence"]
