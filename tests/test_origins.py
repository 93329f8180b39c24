"""The origin-pattern grammar (the "Allowed CORS values" of Oracle Cloud Gate's CORS
documentation, made exact) and Origin parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_gate.origins import (
    OriginError,
    RequestOrigin,
    parse_pattern,
    parse_request_origin,
)

# Every example the "Allowed CORS values" section of Oracle Cloud Gate's CORS documentation
# gives, with its verdict.
CLOUD_GATE_VALID = [
    ("*", "*"),  # Match everything
    ("https://www.acme.com", "https://www.acme.com"),  # Exact match
    ("https://www.acme.com:4443", "https://www.acme.com:4443"),
    ("https://www.google.com:*", "https://www.google.com:*"),  # Exact host/protocol, any port
    ("*://www.acme.com", "*://www.acme.com"),  # Exact host/port, any protocol
    ("*://www.acme.com:8080", "*://www.acme.com:8080"),
    ("https://*.oraclecloud.com", "https://*.oraclecloud.com"),  # Subdomain, no port
    ("https://*", "https://*"),  # Any domain, exact protocol, no port
    ("https://www.*.com", "https://www.*.com"),  # "www.*.com is valid"
    ("https://app.my-server.com:8080", "https://app.my-server.com:8080"),  # sample payload
    ("https://*:*", "https://*:*"),  # sample payload
]
CLOUD_GATE_INVALID = [
    ("https://www.*racle.com", "host", "partial-label wildcard"),  # "www.*racle.com isn't"
    ("https://-acme.com", "host", "starts or ends with '-'"),  # a DOMAIN can't start with '-'
    ("https://acme-.com", "host", "starts or ends with '-'"),  # ... or end with '-'
    ("https://www.acme.com:0", "port", "outside 1-65535"),  # PORT_VALUE in 1-65535
    ("https://www.acme.com:65536", "port", "outside 1-65535"),
    ("https://www.acme.com:80a", "port", "not a number"),  # numerical characters
    ("ftp://www.acme.com", "protocol", "not one of"),  # PROTOCOL: * | http | https
]


@pytest.mark.parametrize(("entry", "canonical"), CLOUD_GATE_VALID)
def test_cloud_gate_valid_examples_are_accepted(entry: str, canonical: str) -> None:
    assert parse_pattern(entry).text == canonical


@pytest.mark.parametrize(("entry", "part", "reason"), CLOUD_GATE_INVALID)
def test_cloud_gate_invalid_examples_are_refused_naming_the_part(
    entry: str, part: str, reason: str
) -> None:
    with pytest.raises(OriginError) as info:
        parse_pattern(entry)
    assert info.value.part == part
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [
        ("HTTPS://WWW.Acme.COM", "https://www.acme.com"),  # lower case
        ("https://www.acme.com/", "https://www.acme.com"),  # one trailing slash dropped
        ("https://www.acme.com:443", "https://www.acme.com"),  # default port dropped
        ("http://www.acme.com:80", "http://www.acme.com"),
        ("http://www.acme.com:443", "http://www.acme.com:443"),  # not http's default
        ("*://www.acme.com:443", "*://www.acme.com:443"),  # * has no single default
        ("https://bücher.example.com", "https://xn--bcher-kva.example.com"),  # IDN
        ("https://*.bücher.de:*", "https://*.xn--bcher-kva.de:*"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:18000", "http://127.0.0.1:18000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[0:0:0:0:0:0:0:1]:8000", "http://[::1]:8000"),  # IPv6 compressed
        ("https://*.*.example.com", "https://*.*.example.com"),
        ("*://*:*", "*"),  # same set of origins as "*"
    ],
)
def test_normalisation(entry: str, canonical: str) -> None:
    assert parse_pattern(entry).text == canonical


@pytest.mark.parametrize(
    ("entry", "part"),
    [
        ("", "entry"),
        ("null", "entry"),  # a policy flag, not an entry
        ("www.acme.com", "protocol"),
        ("https://", "host"),
        ("https://acme.com/path", "path"),
        ("https://acme.com//", "path"),  # only a single trailing slash is dropped
        ("https://acme.com?x=1", "query"),
        ("https://acme.com#frag", "fragment"),
        ("https://user@acme.com", "user info"),
        ("https://lms.example.com@evil.com", "user info"),
        ("https://lms_.example.com", "host"),
        ("https://a..b.com", "host"),
        ("https://acme.com.", "host"),
        ("https://" + "a" * 64 + ".com", "host"),  # label over 63
        ("https://" + ".".join(["a" * 60] * 5), "host"),  # host over 253
        ("https://1.2.*.4", "host"),  # no wildcards inside IP literals
        ("https://[::*]", "host"),
        ("https://[::1", "host"),
        ("https://999.1.1.1", "host"),
        ("https://1.2.3", "host"),  # browsers read it as IPv4, not a name
        ("https://a.com:", "port"),
        ("https://a.com:08080", "port"),
        ("https://a.com:*:*", "host"),
        ("https://a b.com", "entry"),
        ("https://a.com\n", "entry"),
        ("https://a.com,https://b.com", "entry"),
        ("https://ex%61mple.com", "host"),
        ("https://*a.com", "host"),
        ("https://a*.com", "host"),
        ("https://xn--zz.com", "host"),  # invalid punycode
        ("https://" + "x" * 600, "entry"),
    ],
)
def test_refusals_name_the_part(entry: str, part: str) -> None:
    with pytest.raises(OriginError) as info:
        parse_pattern(entry)
    assert info.value.part == part, str(info.value)
    assert str(info.value).startswith(f"{part}: ")


def test_non_text_entry_is_refused() -> None:
    with pytest.raises(OriginError):
        parse_pattern(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://lms.example.com", RequestOrigin("https", "lms.example.com", None)),
        ("http://localhost:18000", RequestOrigin("http", "localhost", 18000)),
        ("http://[::1]:8000", RequestOrigin("http", "[::1]", 8000)),
        (
            "https://xn--bcher-kva.example.com",
            RequestOrigin("https", "xn--bcher-kva.example.com", None),
        ),
        ("http://127.0.0.1:8000", RequestOrigin("http", "127.0.0.1", 8000)),
    ],
)
def test_canonical_request_origins_parse(value: str, expected: RequestOrigin) -> None:
    parsed = parse_request_origin(value)
    assert parsed == expected
    assert parsed is not None and parsed.serialized == value


@pytest.mark.parametrize(
    "value",
    [
        "null",
        "",
        "https://LMS.example.com",  # upper case
        "https://lms.example.com/",  # trailing slash
        "https://lms.example.com:443",  # default port
        "http://lms.example.com:80",
        "https://lms.example.com.",  # trailing dot
        "https://lms.example.com\n",
        " https://lms.example.com",
        "https://lms.example.com, https://evil.com",
        "https://lms.example.com https://evil.com",
        "https://bücher.example.com",  # not punycode
        "https://lms.example.com@evil.com",
        "https://lms.example.com/path",
        "https://a.com:0",
        "https://a.com:65536",
        "https://a.com:099",
        "ftp://a.com",
        "https://[0:0:0:0:0:0:0:1]",  # not compressed
        "https://999.0.0.1",
        "https://-a.com",
        "https://" + "a" * 600 + ".com",
        "file://",
        "https://",
    ],
)
def test_non_canonical_request_origins_never_match(value: str) -> None:
    assert parse_request_origin(value) is None


@pytest.mark.parametrize("value", [None, 42, b"https://a.com", ["https://a.com"]])
def test_non_text_request_origin_is_none(value: object) -> None:
    assert parse_request_origin(value) is None


# -- properties -----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_entry_parses_or_is_refused_with_origin_error(text: str) -> None:
    try:
        pattern = parse_pattern(text)
    except OriginError:
        return
    # Whatever parses is canonical: parsing its text gives the same pattern.
    assert parse_pattern(pattern.text) == pattern


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_origin_never_raises(text: str) -> None:
    parsed = parse_request_origin(text)
    if parsed is not None:
        assert parsed.serialized == text


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_host = (
    st.lists(_label, min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda h: not h.split(".")[-1].isdigit())
)
_port = st.one_of(st.none(), st.integers(1, 65535))


@st.composite
def canonical_origins(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(_host)
    port = draw(_port)
    if port is None or port == {"http": 80, "https": 443}[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@settings(max_examples=300, deadline=None)
@given(canonical_origins())
def test_canonical_origins_round_trip(origin: str) -> None:
    parsed = parse_request_origin(origin)
    assert parsed is not None
    assert parsed.serialized == origin
    # The same text is also a valid exact pattern that matches exactly that origin.
    pattern = parse_pattern(origin)
    assert pattern.text == origin
    assert pattern.matches(parsed)
