"""The compiled matcher: hostile origins, most-specific wins, agreement with a naive matcher."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_gate.matcher import Matcher, Rule
from cors_gate.origins import OriginError, parse_pattern, parse_request_origin


def build(*entries: str) -> Matcher[str]:
    return Matcher(
        Rule(id=i, pattern=parse_pattern(e), data=e) for i, e in enumerate(entries, start=1)
    )


def match(matcher: Matcher[str], origin: str) -> str | None:
    parsed = parse_request_origin(origin)
    if parsed is None:
        return None
    rule = matcher.match(parsed)
    return None if rule is None else rule.pattern.text


ALLOW_LIST = build("https://lms.example.com", "https://*.example.com", "https://apps.partner.org:*")

# The classes public CORS scanners (Corsy, CORScanner, PortSwigger's labs) try, against the
# allow-list above.
HOSTILE = [
    "https://evil.com",  # reflection of any origin
    "https://lms.example.com.evil.com",  # prefix
    "https://evilexample.com",  # suffix
    "https://lmsxexample.com",  # unescaped dot
    "https://xample.com",  # substring
    "https://example.com",  # the parent domain itself (one label short)
    "null",
    "http://lms.example.com",  # scheme downgrade
    "http://a.example.com",
    "https://lms.example.com_",
    "https://lms.example.com`",
    "https://lms.example.com{",
    "https://lms.example.com%60",
    "https://lms.example.com!",
    "https://lms.example.com~",
    "https://lms_.example.com",
    "https://lms.example.com@evil.com",  # userinfo confusion
    "https://apps.partner.org:8443@evil.com",
    "https://evil.com/.example.com",  # path tricks
    "https://evil.com#.example.com",
    "https://evil.com?.example.com",
    "https://lms.example.com\n",  # Python's $ matches before a final newline
    "https://lms.example.com\r\n",
    "https://a.example.com\x00",
    "https://LMS.example.com",  # non-canonical forms
    "https://lms.example.com:443",
    "https://lms.example.com/",
    "https://lms.example.com.",
    "https://lms.example.com, https://evil.com",  # several origins in one header
    "https://lms.example.com https://evil.com",
    "https://codepen.io",  # third-party code hosts
    "https://jsfiddle.net",
    "https://bucket.s3.amazonaws.com",
    "https://attacker.github.io",
    "https://" + "a." * 250 + "example.com",  # very long
    "https://" + "x" * 10_000,
    "https://apps.partner.org.evil.com",
    "https://apps.partner.org.evil.com:8443",
    "http://apps.partner.org:8443",
    "https://a.b.example.com",  # a * is one label, not several
    "https://lms.example.com:8443",  # no port given = default port only
    "",
    " ",
]


@pytest.mark.parametrize("origin", HOSTILE)
def test_hostile_origins_are_denied_and_never_raise(origin: str) -> None:
    assert match(ALLOW_LIST, origin) is None


@pytest.mark.parametrize(
    ("origin", "rule"),
    [
        ("https://lms.example.com", "https://lms.example.com"),  # exact beats the wildcard
        ("https://studio.example.com", "https://*.example.com"),
        ("https://apps.partner.org", "https://apps.partner.org:*"),  # :* includes the default
        ("https://apps.partner.org:8443", "https://apps.partner.org:*"),
    ],
)
def test_allowed_origins_match_the_expected_rule(origin: str, rule: str) -> None:
    assert match(ALLOW_LIST, origin) == rule


def test_most_specific_rule_wins() -> None:
    m = build(
        "*",
        "https://*",
        "https://*.*.example.com",
        "https://*.b.example.com:*",
        "https://*.b.example.com",
        "*://a.b.example.com",
        "https://a.b.example.com",
    )
    assert match(m, "https://a.b.example.com") == "https://a.b.example.com"  # exact
    assert match(m, "http://a.b.example.com") == "*://a.b.example.com"  # no * label
    assert match(m, "https://z.b.example.com") == "https://*.b.example.com"  # explicit port
    assert match(m, "https://z.b.example.com:8443") == "https://*.b.example.com:*"
    assert match(m, "https://z.y.example.com") == "https://*.*.example.com"  # fewer * labels
    assert match(m, "https://other.org") == "https://*"
    assert match(m, "http://other.org:81") == "*"


def test_lowest_id_breaks_ties() -> None:
    m = Matcher(
        [
            Rule(id=7, pattern=parse_pattern("https://*.example.com"), data="seven"),
            Rule(id=3, pattern=parse_pattern("https://*.example.com"), data="three"),
        ]
    )
    origin = parse_request_origin("https://a.example.com")
    assert origin is not None
    rule = m.match(origin)
    assert rule is not None and rule.data == "three"


def test_accept_filter_falls_through_to_the_next_rule() -> None:
    m = build("https://lms.example.com", "https://*.example.com")
    origin = parse_request_origin("https://lms.example.com")
    assert origin is not None
    rule = m.match(origin, accept=lambda r: r.pattern.is_wildcard)
    assert rule is not None and rule.pattern.text == "https://*.example.com"
    assert m.match(origin, accept=lambda r: False) is None


def test_ip_literals_are_matched_exactly_never_by_wildcard_labels() -> None:
    m = build("http://*.*.*.*:*", "http://127.0.0.1:8000", "http://[::1]:*")
    assert match(m, "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert match(m, "http://10.0.0.1:8000") is None
    assert match(m, "http://[::1]:9000") == "http://[::1]:*"
    assert match(m, "http://a.b.c.d:5") == "http://*.*.*.*:*"


def test_scheme_wildcard_and_ports() -> None:
    m = build("*://www.acme.com", "*://api.acme.com:8080")
    assert match(m, "http://www.acme.com") == "*://www.acme.com"
    assert match(m, "https://www.acme.com") == "*://www.acme.com"
    assert match(m, "https://www.acme.com:8443") is None
    assert match(m, "http://www.acme.com:443") is None  # 443 is not http's default
    assert match(m, "http://api.acme.com:8080") == "*://api.acme.com:8080"
    assert match(m, "https://api.acme.com:8080") == "*://api.acme.com:8080"


def test_empty_matcher_matches_nothing() -> None:
    m = build()
    assert len(m) == 0
    assert match(m, "https://a.com") is None


# -- the indexed matcher agrees with the naive one ------------------------------------------

_labels = st.sampled_from(["a", "b", "example", "com", "org", "xn--bcher-kva", "lms", "*"])
_scheme = st.sampled_from(["http", "https", "*"])
_port = st.sampled_from(["", ":*", ":8080", ":443", ":80", ":18000"])


@st.composite
def entries(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 30)) == 0:
        return "*"
    if draw(st.integers(0, 15)) == 0:
        host = "*"
    else:
        host = ".".join(draw(st.lists(_labels, min_size=1, max_size=4)))
    return f"{draw(_scheme)}://{host}{draw(_port)}"


@st.composite
def origins(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    labels = [lbl for lbl in draw(st.lists(_labels, min_size=1, max_size=4)) if lbl != "*"]
    host = ".".join(labels or ["a"])
    port = draw(st.sampled_from(["", ":8080", ":443", ":80", ":18000"]))
    return f"{scheme}://{host}{port}"


def valid_rules(raw: list[str]) -> list[Rule[str]]:
    """The generated entries the grammar accepts, as rules numbered by position."""
    rules: list[Rule[str]] = []
    for i, entry in enumerate(raw, start=1):
        try:
            rules.append(Rule(id=i, pattern=parse_pattern(entry), data=entry))
        except OriginError:
            continue
    return rules


@settings(max_examples=300, deadline=None)
@given(st.lists(entries(), max_size=25), st.lists(origins(), min_size=1, max_size=10))
def test_indexed_matcher_agrees_with_naive_reference(raw: list[str], probes: list[str]) -> None:
    rules = valid_rules(raw)
    matcher = Matcher(rules)
    for probe in probes:
        origin = parse_request_origin(probe)
        if origin is None:
            continue
        naive = sorted((r for r in rules if r.pattern.matches(origin)), key=Rule.sort_key)
        got = matcher.match(origin)
        assert (got.id if got else None) == (naive[0].id if naive else None), probe
        # Every matching rule, in order of specificity: refusing the k most specific ones
        # through `accept` yields the next, and a refusal of all was offered each of them.
        for k in range(len(naive) + 1):
            refused = {r.id for r in naive[:k]}
            offered: list[int] = []

            def accept(
                rule: Rule[str], refused: set[int] = refused, seen: list[int] = offered
            ) -> bool:
                seen.append(rule.id)
                return rule.id not in refused

            got = matcher.match(origin, accept)
            assert (got.id if got else None) == (naive[k].id if k < len(naive) else None), probe
        assert sorted(offered) == sorted(r.id for r in naive), probe


# -- matching on the Origin text (the middleware's path for origin-only policies) -----------

TEXT_LIST = build(
    "https://lms.example.com", "https://*.example.com", "http://*.partner.net:8443", "http://[::1]"
)


def by_text(matcher: Matcher[str], origin: str) -> str | None:
    assert matcher.text_matchable
    rule = matcher.match_text(origin)
    return None if rule is None else rule.pattern.text


@pytest.mark.parametrize("origin", HOSTILE)
def test_hostile_origins_find_no_rule_by_text(origin: str) -> None:
    assert by_text(TEXT_LIST, origin) is None
    assert by_text(TEXT_LIST, origin.replace("example.com", "partner.net:8443")) == match(
        TEXT_LIST, origin.replace("example.com", "partner.net:8443")
    )


@pytest.mark.parametrize(
    ("origin", "rule"),
    [
        ("https://lms.example.com", "https://lms.example.com"),  # exact beats the wildcard
        ("https://studio.example.com", "https://*.example.com"),
        ("https://x--y.example.com", "https://*.example.com"),
        ("http://apps.partner.net:8443", "http://*.partner.net:8443"),
        ("http://[::1]", "http://[::1]"),
        ("https://-a.example.com", None),  # not a DNS label
        ("https://" + "a" * 64 + ".example.com", None),  # a label is at most 63 characters
        ("https://" + "a" * 63 + ".example.com", "https://*.example.com"),
        ("http://apps.partner.net", None),  # the rule's port only
        ("http://apps.partner.net:08443", None),
        ("https://a.example.com:443", None),  # browsers never send the default port
        ("https://a.b.example.com", None),
        ("https://https://a.example.com", None),
        ("https://.example.com", None),
        ("https://a..example.com", None),
    ],
)
def test_text_matching_finds_the_expected_rule(origin: str, rule: str | None) -> None:
    assert by_text(TEXT_LIST, origin) == rule
    assert match(TEXT_LIST, origin) == rule


def test_text_matching_tells_the_schemes_of_one_rest_apart() -> None:
    m = build("https://*.example.com", "http://*.example.com", "http://*.example.com:8080")
    assert by_text(m, "https://a.example.com") == "https://*.example.com"
    assert by_text(m, "http://a.example.com") == "http://*.example.com"
    assert by_text(m, "http://a.example.com:8080") == "http://*.example.com:8080"
    assert by_text(m, "https://a.example.com:8080") is None
    assert by_text(m, "ftp://a.example.com") is None
    assert by_text(m, "xhttps://a.example.com") is None


def test_text_matching_keeps_the_host_within_253_characters() -> None:
    rest = ".".join(["b" * 62] * 3) + ".example.com"  # 198 characters
    m = build(f"https://*.{rest}")
    fits, too_long = "a" * (253 - 1 - len(rest)), "a" * (254 - 1 - len(rest))
    assert by_text(m, f"https://{fits}.{rest}") == f"https://*.{rest}"
    assert match(m, f"https://{fits}.{rest}") == f"https://*.{rest}"
    assert by_text(m, f"https://{too_long}.{rest}") is None
    assert match(m, f"https://{too_long}.{rest}") is None


def test_other_wildcard_shapes_are_left_to_the_trie() -> None:
    assert not build("https://app.*.example.com").text_matchable
    assert not build("https://*.example.com:*").text_matchable
    assert not build("*://*.example.com").text_matchable
    assert not build("https://*").text_matchable
    assert build("https://a.example.com", "http://*.b.org:8080").text_matchable


_text_labels = st.sampled_from(["a", "b", "example", "com", "lms", "x-1", "*", "A", "-", "9a"])


@st.composite
def text_entries(draw: st.DrawFn) -> str:
    """The shapes match_text handles: exact, and one leading `*` label before a DNS rest."""
    labels = [lbl for lbl in draw(st.lists(_text_labels, min_size=1, max_size=4)) if lbl != "*"]
    labels = labels or ["a"]
    if draw(st.booleans()):
        labels = ["*", *labels]
    port = draw(st.sampled_from(["", ":8080", ":443", ":80", ":18000"]))
    return f"{draw(st.sampled_from(['http', 'https']))}://{'.'.join(labels)}{port}"


@st.composite
def raw_origins(draw: st.DrawFn) -> str:
    """What a client may send: canonical origins and near misses."""
    origin = draw(origins())
    return draw(
        st.sampled_from(
            [
                origin,
                origin.upper(),
                origin + "/",
                origin + ".",
                origin + "\n",
                origin.replace("://", "://x.", 1),
                origin.replace("://", ":/", 1),
                origin + ":443",
                "null",
            ]
        )
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(text_entries(), max_size=20), st.lists(raw_origins(), min_size=1, max_size=10))
def test_text_matching_agrees_with_parse_then_match(raw: list[str], probes: list[str]) -> None:
    matcher = Matcher(valid_rules(raw))
    assert matcher.text_matchable
    for probe in probes:
        origin = parse_request_origin(probe)
        want = None if origin is None else matcher.match(origin)
        got = matcher.match_text(probe)
        assert (got.id if got else None) == (want.id if want else None), probe
