"""Each CORS rule: a configuration that triggers it and one that does not.

Where a rule claims something about django-cors-headers, the real CorsMiddleware is asked
too, so the audit's claim and the library's behaviour cannot drift apart.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from cors_gate.audit import regex_probe
from cors_gate.audit.database_view import PolicyRow, RuleRow
from cors_gate.audit.findings import Severity
from cors_gate.audit.rules import RULES, rules_by_id
from tests.audit.helpers import CRED, NOW, corsheaders_acao, corsheaders_allows, run_rule

EVIL = "https://evil.com"


def test_rule_ids_are_unique_and_numbered_once() -> None:
    ids = [r.id for r in RULES]
    numbers = [r.number for r in RULES]
    assert len(set(ids)) == len(ids)
    assert len(set(numbers)) == len(numbers)
    assert all(r.area in ("cors", "csrf") for r in RULES)


# -- allow-all -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        (
            {"CORS_ALLOW_ALL_ORIGINS": True, **CRED},
            ("CORS_ALLOW_ALL_ORIGINS", "CORS_ALLOW_CREDENTIALS"),
        ),
        (
            {"CORS_ORIGIN_ALLOW_ALL": True, "FEATURES": {"ENABLE_CORS_HEADERS": True}},
            ("CORS_ORIGIN_ALLOW_ALL", "ENABLE_CORS_HEADERS"),
        ),
    ],
)
def test_allow_all_with_credentials(settings: dict[str, object], names: tuple[str, str]) -> None:
    [finding] = run_rule("cors.allow-all-credentials", settings)
    assert finding.severity is Severity.ERROR
    assert finding.subject == names[0]
    assert names[1] in finding.detail
    # What it warns about: the real library reflects a hostile origin with credentials.
    assert corsheaders_allows(EVIL, CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True)


def test_allow_all_current_name_wins_over_old_name() -> None:
    settings = {"CORS_ALLOW_ALL_ORIGINS": False, "CORS_ORIGIN_ALLOW_ALL": True, **CRED}
    assert run_rule("cors.allow-all-credentials", settings) == []
    assert not corsheaders_allows(EVIL, **settings)


def test_allow_all_without_credentials_is_the_weaker_rule() -> None:
    assert run_rule("cors.allow-all-credentials", {"CORS_ALLOW_ALL_ORIGINS": True}) == []
    [finding] = run_rule("cors.allow-all", {"CORS_ALLOW_ALL_ORIGINS": True})
    assert finding.severity is Severity.WARNING
    assert corsheaders_acao(EVIL, CORS_ALLOW_ALL_ORIGINS=True) == "*"
    assert run_rule("cors.allow-all", {"CORS_ALLOW_ALL_ORIGINS": True, **CRED}) == []
    assert run_rule("cors.allow-all", {"CORS_ALLOWED_ORIGINS": ["https://apps.example.com"]}) == []


# -- any-origin patterns ---------------------------------------------------------------------


@pytest.mark.parametrize("regex", [r".*", r"^https?://", r"^https://.+$"])
def test_any_origin_regex(regex: str) -> None:
    [finding] = run_rule(
        "cors.any-origin-pattern", {"CORS_ALLOWED_ORIGIN_REGEXES": [regex], **CRED}
    )
    assert finding.severity is Severity.ERROR
    assert "'https://evil.com'" in finding.detail
    assert corsheaders_allows(EVIL, CORS_ALLOWED_ORIGIN_REGEXES=[regex])


def test_any_origin_cors_gate_entry_follows_policy_credentials() -> None:
    settings = {"CORS_GATE_ALLOWED_ORIGINS": ["https://*"]}
    [with_cookies] = run_rule("cors.any-origin-pattern", settings)
    assert with_cookies.severity is Severity.ERROR
    [without] = run_rule(
        "cors.any-origin-pattern", settings, policy=PolicyRow(allow_credentials=False)
    )
    assert without.severity is Severity.WARNING


def test_any_origin_not_triggered_by_anchored_entries() -> None:
    settings = {
        "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://apps\.example\.com\Z"],
        "CORS_GATE_ALLOWED_ORIGINS": ["https://apps.example.com", "https://*.example.com"],
        **CRED,
    }
    assert run_rule("cors.any-origin-pattern", settings) == []


# -- null -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["null", "apps.example.com"])
def test_null_allowed_with_credentials(entry: str) -> None:
    settings = {"CORS_ALLOWED_ORIGINS": [entry], **CRED}
    [finding] = run_rule("cors.null-credentials", settings)
    assert finding.severity is Severity.ERROR
    assert finding.subject == entry
    # django-cors-headers really lets Origin: null in for both entries.
    assert corsheaders_allows("null", **settings)


def test_null_from_regex_and_policy() -> None:
    regex = [r"^(null|https://apps\.example\.com)\Z"]
    [from_regex] = run_rule("cors.null-credentials", {"CORS_ALLOWED_ORIGIN_REGEXES": regex, **CRED})
    assert "accepts 'null'" in from_regex.detail
    [from_policy] = run_rule("cors.null-credentials", policy=PolicyRow(allow_null_origin=True))
    assert from_policy.subject == "CorsPolicy.allow_null_origin"
    assert from_policy.severity is Severity.ERROR


def test_null_not_triggered_by_canonical_entries() -> None:
    settings = {"CORS_ALLOWED_ORIGINS": ["https://apps.example.com"], **CRED}
    assert run_rule("cors.null-credentials", settings) == []
    assert not corsheaders_allows("null", **settings)


# -- http ----------------------------------------------------------------------------------


def test_http_origin_with_credentials() -> None:
    settings = {
        "CORS_ALLOWED_ORIGINS": ["http://apps.example.com", "http://localhost:2000"],
        "CORS_GATE_ALLOWED_ORIGINS": ["http://partner.example.org"],
        **CRED,
    }
    found = {f.subject: f.severity for f in run_rule("cors.http-origin-credentials", settings)}
    assert found == {
        "http://apps.example.com": Severity.ERROR,
        "http://localhost:2000": Severity.WARNING,
        "CORS_GATE_ALLOWED_ORIGINS: http://partner.example.org": Severity.ERROR,
    }


def test_http_origin_without_credentials_or_https_only() -> None:
    assert (
        run_rule("cors.http-origin-credentials", {"CORS_ALLOWED_ORIGINS": ["http://a.example.com"]})
        == []
    )
    settings = {"CORS_ALLOWED_ORIGINS": ["https://apps.example.com"], **CRED}
    assert run_rule("cors.http-origin-credentials", settings) == []


# -- public suffixes and code hosts ------------------------------------------------------------


def test_wildcard_over_public_suffix() -> None:
    settings = {
        "CORS_GATE_ALLOWED_ORIGINS": [
            "https://*.github.io",
            "https://*.s3.amazonaws.com",
            "https://*.com",
            "https://*.example.com",
        ],
        "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://[a-z0-9-]+\.github\.io\Z"],
        **CRED,
    }
    found = run_rule("cors.public-suffix-wildcard", settings)
    subjects = sorted(f.subject for f in found)
    assert subjects == sorted(
        [
            "CORS_GATE_ALLOWED_ORIGINS: https://*.github.io",
            "CORS_GATE_ALLOWED_ORIGINS: https://*.s3.amazonaws.com",
            "CORS_GATE_ALLOWED_ORIGINS: https://*.com",
            r"^https://[a-z0-9-]+\.github\.io\Z",
        ]
    )
    assert all(f.severity is Severity.ERROR for f in found)  # credentials on in both layers


def test_own_names_under_public_suffix_are_fine() -> None:
    settings = {"CORS_GATE_ALLOWED_ORIGINS": ["https://myorg.github.io", "https://*.example.co.uk"]}
    assert run_rule("cors.public-suffix-wildcard", settings) == []


def test_code_hosts() -> None:
    settings = {
        "CORS_ALLOWED_ORIGINS": [
            "https://codepen.io",
            "https://fiddle.jshell.net",
            "https://apps.example.com",
        ],
        "CORS_GATE_ALLOWED_ORIGINS": ["https://stackblitz.com", "https://myorg.github.io"],
        "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://[a-z0-9-]+\.codepen\.io\Z"],
        **CRED,
    }
    found = run_rule("cors.code-host-origin", settings)
    assert sorted(f.subject for f in found) == [
        "CORS_GATE_ALLOWED_ORIGINS: https://stackblitz.com",
        r"^https://[a-z0-9-]+\.codepen\.io\Z",
        "https://codepen.io",
        "https://fiddle.jshell.net",
    ]
    assert all(f.severity is Severity.ERROR for f in found)


def test_no_code_hosts() -> None:
    settings = {"CORS_ALLOWED_ORIGINS": ["https://apps.example.com"], **CRED}
    assert run_rule("cors.code-host-origin", settings) == []


# -- regex probing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regex", "kind", "hostile"),
    [
        (r"^https://apps\.partner\.org(:\d+)?", "prefix", "https://apps.partner.org.evil.com"),
        (
            r"^https://apps\.partner\.org(:\d+)?",
            "userinfo",
            "https://apps.partner.org:443@evil.com",
        ),
        (r"^https://lms.example.com$", "unescaped dot", "https://lmsxexample.com"),
        (r"^https://.*example\.com$", "suffix", "https://evilexample.com"),
        (r"^https?://lms\.example\.com\Z", "other scheme", "http://lms.example.com"),
        (r"^https://lms\.example\.com", "special character", "https://lms.example.com_.evil.com"),
        (r"(?i)^https://lms\.example\.com\Z", "upper case", "https://LMS.EXAMPLE.COM"),
        (r"^https://lms\.example\.com/?\Z", "trailing slash", "https://lms.example.com/"),
    ],
)
def test_regex_accepts_hostile_origin(regex: str, kind: str, hostile: str) -> None:
    settings = {"CORS_ALLOWED_ORIGIN_REGEXES": [regex], **CRED}
    [finding] = run_rule("cors.regex-hostile-origin", settings)
    assert f"{kind}: {hostile!r}" in finding.detail
    assert finding.subject == regex
    # The exact origin the audit names is one django-cors-headers really lets in.
    assert corsheaders_allows(hostile, **settings)


def test_a_dollar_anchored_regex_is_clean_a_browser_sends_no_newline() -> None:
    # `$` matches before a final newline, but no browser can put one in the Origin header.
    for regex in (r"^https://lms\.example\.com$", r"^https://\w+\.example\.com$"):
        settings = {"CORS_ALLOWED_ORIGIN_REGEXES": [regex], **CRED}
        assert run_rule("cors.regex-hostile-origin", settings) == []
        assert regex_probe.analyse(regex).accepted == ()
    assert (
        "https://*.example.com" in regex_probe.analyse(r"^https://\w+\.example\.com$").suggestions
    )


def test_severity_is_the_worst_class_and_capped_without_credentials() -> None:
    regex = r"^https://apps\.partner\.org(:\d+)?"
    [with_cookies] = run_rule(
        "cors.regex-hostile-origin", {"CORS_ALLOWED_ORIGIN_REGEXES": [regex], **CRED}
    )
    assert with_cookies.severity is Severity.ERROR
    assert "https://apps.partner.org:*" in with_cookies.fix
    [without] = run_rule("cors.regex-hostile-origin", {"CORS_ALLOWED_ORIGIN_REGEXES": [regex]})
    assert without.severity is Severity.WARNING


def test_tight_regex_passes_and_the_library_agrees() -> None:
    regex = r"^https://[a-z0-9-]+\.example\.com\Z"
    settings = {"CORS_ALLOWED_ORIGIN_REGEXES": [regex], **CRED}
    assert run_rule("cors.regex-hostile-origin", settings) == []
    for hostile in (
        "https://a.example.com.evil.com",
        "https://evilexample.com",
        "https://a.example.com_.evil.com",
        "https://a.example.com:443@evil.com",
        "http://a.example.com",
        "https://A.EXAMPLE.COM",
        "https://a.example.com/",
    ):
        assert not corsheaders_allows(hostile, **settings), hostile
    assert corsheaders_allows("https://a.example.com", **settings)


@pytest.mark.parametrize(
    ("regex", "pattern", "allowed", "refused"),
    [
        (
            r"^https://\w+\.example\.com$",
            "https://*.example.com",
            "https://lms.example.com",
            "https://lms.example.com.evil.com",
        ),
        (
            r"^https://apps\.partner\.org(:\d+)?",
            "https://apps.partner.org:*",
            "https://apps.partner.org:8443",
            "https://apps.partner.org.evil.com",
        ),
        (
            r"^https://(lms|studio)\.example\.com$",
            "https://studio.example.com",
            "https://studio.example.com",
            "https://lmsxexample.com",
        ),
    ],
)
def test_suggested_pattern_means_what_the_regex_meant(
    regex: str, pattern: str, allowed: str, refused: str
) -> None:
    from cors_gate.origins import parse_pattern, parse_request_origin

    analysis = regex_probe.analyse(regex)
    assert pattern in analysis.suggestions
    grammar = parse_pattern(pattern)
    good, bad = parse_request_origin(allowed), parse_request_origin(refused)
    assert good is not None and grammar.matches(good)
    assert bad is None or not grammar.matches(bad)


def test_partial_label_regex_has_no_cors_gate_equivalent() -> None:
    regex = r"^https://lms-\w+\.example\.com"  # open end: a finding, but no pattern to offer
    [finding] = run_rule("cors.regex-hostile-origin", {"CORS_ALLOWED_ORIGIN_REGEXES": [regex]})
    assert "cors_gate's" not in finding.fix
    assert regex_probe.analyse(regex).suggestions == ()


def test_compiled_regex_objects_are_probed_too() -> None:
    regex = re.compile(r"^https://apps\.partner\.org")
    [finding] = run_rule("cors.regex-hostile-origin", {"CORS_ORIGIN_REGEX_WHITELIST": [regex]})
    assert "CORS_ORIGIN_REGEX_WHITELIST" in finding.detail
    assert "https://apps.partner.org.evil.com" in finding.detail


def test_invalid_regex() -> None:
    [finding] = run_rule(
        "cors.invalid-regex", {"CORS_ALLOWED_ORIGIN_REGEXES": ["(", r"^https://a\.b\Z"]}
    )
    assert finding.subject == "("
    assert finding.severity is Severity.ERROR
    with pytest.raises(re.error):  # what every cross-origin request then hits
        corsheaders_acao(EVIL, CORS_ALLOWED_ORIGIN_REGEXES=["("])
    assert (
        run_rule("cors.invalid-regex", {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://a\.b\Z"]}) == []
    )


def test_invalid_cors_gate_pattern() -> None:
    rows = [RuleRow(pattern="ftp://files.example.com"), RuleRow(pattern="https://ok.example.com")]
    [finding] = run_rule(
        "cors.invalid-pattern",
        {"CORS_GATE_ALLOWED_ORIGINS": ["https://a.example.com/x"]},
        rows=rows,
    )[:1]
    assert "path" in finding.detail
    found = run_rule("cors.invalid-pattern", rows=rows)
    assert [f.subject for f in found] == ["ftp://files.example.com"]
    assert "protocol" in found[0].detail
    assert run_rule("cors.invalid-pattern", rows=rows[1:]) == []


# -- non-canonical exact entries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "severity", "library_allows_front_end"),
    [
        ("apps.example.com", Severity.ERROR, False),
        ("https://Apps.example.com", Severity.ERROR, False),
        ("https://apps.example.com:443", Severity.ERROR, False),
        ("https://apps.example.com/", Severity.WARNING, True),
        ("https://apps.example.com/learning", Severity.WARNING, True),
    ],
)
def test_non_canonical_entries(
    entry: str, severity: Severity, library_allows_front_end: bool
) -> None:
    settings = {"CORS_ALLOWED_ORIGINS": [entry]}
    [finding] = run_rule("cors.non-canonical-origin", settings)
    assert finding.severity is severity
    assert finding.subject == entry
    assert corsheaders_allows("https://apps.example.com", **settings) is library_allows_front_end


def test_regex_without_scheme_never_matches() -> None:
    regex = r"^lms\.example\.com$"
    settings = {"CORS_ALLOWED_ORIGIN_REGEXES": [regex]}
    [finding] = run_rule("cors.non-canonical-origin", settings)
    assert finding.severity is Severity.ERROR
    assert "'lms.example.com'" in finding.detail
    assert not corsheaders_allows("https://lms.example.com", **settings)
    fixed = {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://lms\.example\.com\Z"]}
    assert run_rule("cors.non-canonical-origin", fixed) == []
    assert corsheaders_allows("https://lms.example.com", **fixed)


def test_non_canonical_with_canonical_twin_is_only_dead_weight() -> None:
    settings = {
        "CORS_ALLOWED_ORIGINS": ["https://apps.example.com:443", "https://apps.example.com"]
    }
    [finding] = run_rule("cors.non-canonical-origin", settings)
    assert finding.severity is Severity.WARNING


def test_canonical_entries_pass() -> None:
    settings = {
        "CORS_ALLOWED_ORIGINS": ["https://apps.example.com", "http://localhost:3000", "null"]
    }
    assert run_rule("cors.non-canonical-origin", settings) == []


# -- CSRF --------------------------------------------------------------------------------------

MFES = ["https://apps.example.com", "https://learning.example.com"]


def test_allowed_origin_not_csrf_trusted() -> None:
    settings = {"CORS_ALLOWED_ORIGINS": MFES, "CSRF_TRUSTED_ORIGINS": [MFES[0]], **CRED}
    [finding] = run_rule("csrf.allowed-origin-not-trusted", settings)
    assert "https://learning.example.com" in finding.detail
    assert "https://apps.example.com," not in finding.detail
    assert _django_csrf_trusts("https://apps.example.com", [MFES[0]])
    assert not _django_csrf_trusts("https://learning.example.com", [MFES[0]])


def test_allowed_origins_trusted_by_wildcard_or_no_credentials() -> None:
    trusted = {"CSRF_TRUSTED_ORIGINS": ["https://*.example.com"]}
    assert (
        run_rule(
            "csrf.allowed-origin-not-trusted", {"CORS_ALLOWED_ORIGINS": MFES, **trusted, **CRED}
        )
        == []
    )
    assert _django_csrf_trusts("https://learning.example.com", ["https://*.example.com"])
    assert run_rule("csrf.allowed-origin-not-trusted", {"CORS_ALLOWED_ORIGINS": MFES}) == []


def test_cors_gate_csrf_trusted_rule_counts_when_its_csrf_middleware_runs() -> None:
    rows = [RuleRow(pattern="https://apps.example.com", csrf_trusted=True)]
    assert run_rule("csrf.allowed-origin-not-trusted", rows=rows) != []
    settings = {"MIDDLEWARE": ["cors_gate.csrf.CorsGateCsrfViewMiddleware"]}
    assert run_rule("csrf.allowed-origin-not-trusted", settings, rows=rows) == []


def test_a_csrf_trusted_rule_of_a_shape_the_csrf_middleware_refuses_is_still_reported() -> None:
    # CorsGateCsrfViewMiddleware never extends trust to a '*' after a fixed label.
    rows = [RuleRow(pattern="https://app.*.example.com", csrf_trusted=True)]
    settings = {"MIDDLEWARE": ["cors_gate.csrf.CorsGateCsrfViewMiddleware"]}
    assert run_rule("csrf.allowed-origin-not-trusted", settings, rows=rows) != []


def _django_csrf_trusts(origin: str, trusted: list[str]) -> bool:
    """Django's own origin check for a cross-origin https POST to the LMS."""
    from django.middleware.csrf import CsrfViewMiddleware
    from django.test import RequestFactory, override_settings

    request = RequestFactory().post(
        "/api/x", HTTP_ORIGIN=origin, secure=True, HTTP_HOST="lms.example.com"
    )
    with override_settings(CSRF_TRUSTED_ORIGINS=trusted, ALLOWED_HOSTS=["lms.example.com"]):
        return bool(CsrfViewMiddleware(lambda r: None)._origin_verified(request))  # type: ignore[arg-type]


def test_trusted_but_not_allowed() -> None:
    settings = {
        "CORS_ALLOWED_ORIGINS": MFES,
        "CSRF_TRUSTED_ORIGINS": [*MFES, "https://marketing.example.com", "https://*.example.org"],
        **CRED,
    }
    [finding] = run_rule("csrf.trusted-not-allowed", settings)
    assert finding.severity is Severity.INFO
    assert "https://marketing.example.com" in finding.detail
    assert "example.org" not in finding.detail
    settings["CSRF_TRUSTED_ORIGINS"] = MFES
    assert run_rule("csrf.trusted-not-allowed", settings) == []


def test_samesite_none_without_secure() -> None:
    [finding] = run_rule("csrf.cookie-samesite", {"SESSION_COOKIE_SAMESITE": "None"})
    # openedx-platform's production.py sets SameSite=None: a lost cookie, not an error.
    assert finding.severity is Severity.WARNING
    assert finding.subject == "SESSION_COOKIE_SECURE"
    ok = {"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True}
    assert run_rule("csrf.cookie-samesite", ok) == []


def test_cross_site_front_end_with_lax_cookies() -> None:
    settings = {
        "LMS_ROOT_URL": "https://lms.example.com",
        "CORS_ALLOWED_ORIGINS": ["https://apps.example.com", "https://courses.partner.org"],
        **CRED,
    }
    [finding] = run_rule("csrf.cookie-samesite", settings)
    assert finding.severity is Severity.WARNING
    assert "https://courses.partner.org" in finding.detail
    assert "apps.example.com" not in finding.detail  # same site as the LMS
    settings["CORS_ALLOWED_ORIGINS"] = ["https://apps.example.com"]
    assert run_rule("csrf.cookie-samesite", settings) == []


def test_open_edx_cross_domain_csrf_cookie() -> None:
    feature = {"FEATURES": {"ENABLE_CROSS_DOMAIN_CSRF_COOKIE": True}}
    found = run_rule("csrf.cross-domain-cookie", feature)
    assert sorted(f.subject for f in found) == [
        "CROSS_DOMAIN_CSRF_COOKIE_DOMAIN",
        "CROSS_DOMAIN_CSRF_COOKIE_NAME",
    ]
    same_name = {
        **feature,
        "CROSS_DOMAIN_CSRF_COOKIE_NAME": "csrftoken",
        "CROSS_DOMAIN_CSRF_COOKIE_DOMAIN": ".example.com",
    }
    [clash] = run_rule("csrf.cross-domain-cookie", same_name)
    assert clash.severity is Severity.WARNING
    good = {**same_name, "CROSS_DOMAIN_CSRF_COOKIE_NAME": "example-csrftoken"}
    assert run_rule("csrf.cross-domain-cookie", good) == []
    assert run_rule("csrf.cross-domain-cookie", {}) == []


def test_cross_domain_cookie_needs_the_origins_in_cors_origin_whitelist() -> None:
    """openedx-platform's CsrfCrossDomainCookieMiddleware reads CORS_ORIGIN_WHITELIST only."""
    settings = {
        "ENABLE_CROSS_DOMAIN_CSRF_COOKIE": True,
        "CROSS_DOMAIN_CSRF_COOKIE_NAME": "example-csrftoken",
        "CROSS_DOMAIN_CSRF_COOKIE_DOMAIN": ".example.com",
        "CORS_ORIGIN_WHITELIST": ["https://apps.example.com"],
    }
    rows = [
        RuleRow(pattern="https://apps.example.com"),
        RuleRow(pattern="https://learning.example.com"),
        RuleRow(pattern="https://*.example.com"),  # a wildcard cannot be listed there anyway
    ]
    [finding] = run_rule("csrf.cross-domain-cookie", settings, rows=rows)
    assert finding.severity is Severity.WARNING
    assert finding.detail.startswith("https://learning.example.com is allowed by cors_gate")
    assert "CsrfCrossDomainCookieMiddleware" in finding.detail
    assert (
        run_rule("csrf.cross-domain-cookie", {**settings, "CORS_ORIGIN_ALLOW_ALL": True}, rows=rows)
        == []
    )
    assert (
        run_rule(
            "csrf.cross-domain-cookie",
            {**settings, "ENABLE_CROSS_DOMAIN_CSRF_COOKIE": False},
            rows=rows,
        )
        == []
    )


CORS_CSRF = "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware"
XDOMAIN_COOKIE = "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware"


def test_cors_allow_insecure_matters_where_the_platform_middleware_runs() -> None:
    settings = {
        "CORS_ALLOW_INSECURE": True,
        "ENABLE_CORS_HEADERS": True,
        "MIDDLEWARE": [CORS_CSRF, XDOMAIN_COOKIE],
        "CORS_ORIGIN_WHITELIST": ["https://apps.example.com"],
    }
    [finding] = run_rule("csrf.allow-insecure", settings)
    assert finding.severity is Severity.WARNING
    assert "CorsCSRFMiddleware" in finding.detail
    assert "CsrfCrossDomainCookieMiddleware" not in finding.detail  # its flag is off
    assert "http:// Referers from CORS_ORIGIN_WHITELIST" in finding.detail
    [anyone] = run_rule("csrf.allow-insecure", {**settings, "CORS_ORIGIN_ALLOW_ALL": True})
    assert "any site" in anyone.detail
    # Inert without the platform's middleware, without its flag, or when off.
    assert run_rule("csrf.allow-insecure", {**settings, "MIDDLEWARE": []}) == []
    assert run_rule("csrf.allow-insecure", {**settings, "ENABLE_CORS_HEADERS": False}) == []
    assert run_rule("csrf.allow-insecure", {**settings, "CORS_ALLOW_INSECURE": False}) == []


# -- middleware --------------------------------------------------------------------------------

GATE = "cors_gate.middleware.CorsGateMiddleware"
HEADERS = "corsheaders.middleware.CorsMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"


@pytest.mark.parametrize(
    ("chain", "extra", "culprits"),
    [
        ([COMMON, GATE], {}, [COMMON]),
        ([SECURITY, GATE], {"SECURE_SSL_REDIRECT": True}, [SECURITY]),
        ([SECURITY, HEADERS, COMMON], {"SECURE_SSL_REDIRECT": True}, [SECURITY]),
        ([COMMON, HEADERS], {}, [COMMON]),
        ([SECURITY, GATE, COMMON], {}, []),
        ([GATE, HEADERS, SECURITY, COMMON], {"SECURE_SSL_REDIRECT": True}, []),
    ],
)
def test_middleware_order(chain: list[str], extra: dict[str, object], culprits: list[str]) -> None:
    found = run_rule("cors.middleware-order", {"MIDDLEWARE": chain, **extra})
    assert [
        f.detail.split(" before ")[0].removeprefix("MIDDLEWARE lists ") for f in found
    ] == culprits
    # A redirect without CORS headers, not an unsafe answer: never an error.
    assert all(f.severity is Severity.WARNING for f in found)


# openedx-platform's stock order (lms/envs/common.py), with the plugin's gate first.
STOCK = [GATE, COMMON, "django.middleware.csrf.CsrfViewMiddleware", HEADERS]


@pytest.mark.parametrize(
    ("policy", "database", "warned"),
    [
        (PolicyRow(mode="enforce"), True, False),  # the gate overwrites corsheaders' headers
        (PolicyRow(mode="report-only"), True, True),  # corsheaders' answers stand
        (PolicyRow(mode="off"), True, True),
        (PolicyRow(mode="enforce"), False, True),  # tables unreadable: mode unknown
    ],
)
def test_corsheaders_position_matters_only_while_the_gate_does_not_enforce(
    policy: PolicyRow, database: bool, warned: bool
) -> None:
    found = run_rule(
        "cors.middleware-order", {"MIDDLEWARE": STOCK}, policy=policy, database=database
    )
    assert [f.subject for f in found] == ([HEADERS] if warned else [])
    if warned:
        assert "Switch cors_gate's policy to 'enforce'" in found[0].fix


def test_corsheaders_position_without_the_gate_names_the_move() -> None:
    [finding] = run_rule("cors.middleware-order", {"MIDDLEWARE": STOCK[1:]})
    assert finding.severity is Severity.WARNING
    assert finding.fix.startswith(f"Move {HEADERS} above {COMMON}")


def test_middleware_missing() -> None:
    settings = {"INSTALLED_APPS": ["cors_gate"], "MIDDLEWARE": [SECURITY, COMMON]}
    [finding] = run_rule("cors.middleware-missing", settings)
    assert finding.severity is Severity.WARNING
    assert run_rule("cors.middleware-missing", {**settings, "MIDDLEWARE": [GATE, COMMON]}) == []
    via_signal = {**settings, "MIDDLEWARE": [HEADERS], "CORS_GATE_CORSHEADERS_SIGNAL": True}
    assert run_rule("cors.middleware-missing", via_signal) == []


def test_two_cors_middlewares_corsheaders_first() -> None:
    settings = {
        "MIDDLEWARE": [HEADERS, GATE, COMMON],
        "CORS_ALLOWED_ORIGINS": ["https://apps.example.com", "https://old.example.com"],
    }
    rows = [RuleRow(pattern="https://apps.example.com"), RuleRow(pattern="https://new.example.com")]
    [finding] = run_rule("cors.two-cors-middlewares", settings, rows=rows)
    assert finding.severity is Severity.ERROR  # new.example.com's preflights never reach us
    assert "CorsMiddleware comes first" in finding.detail
    assert "Only django-cors-headers allows: https://old.example.com" in finding.detail
    assert "only cors_gate allows: https://new.example.com" in finding.detail
    assert "preflights refused although cors_gate lists them: https://new.example.com" in (
        finding.detail
    )


def test_two_cors_middlewares_gate_first_enforcing_drops_the_other_list() -> None:
    settings = {"MIDDLEWARE": [GATE, HEADERS], "CORS_ALLOWED_ORIGINS": ["https://old.example.com"]}
    [finding] = run_rule("cors.two-cors-middlewares", settings)
    assert finding.severity is Severity.ERROR
    assert "refused although django-cors-headers lists them: https://old.example.com" in (
        finding.detail
    )
    [report_only] = run_rule(
        "cors.two-cors-middlewares", settings, policy=PolicyRow(mode="report-only")
    )
    assert report_only.severity is Severity.WARNING
    assert "django-cors-headers decides" in report_only.detail


def test_two_cors_middlewares_same_list_or_one_middleware() -> None:
    settings = {"MIDDLEWARE": [GATE, HEADERS], "CORS_ALLOWED_ORIGINS": ["https://apps.example.com"]}
    rows = [RuleRow(pattern="https://apps.example.com")]
    [same] = run_rule("cors.two-cors-middlewares", settings, rows=rows)
    assert same.severity is Severity.INFO
    assert (
        run_rule("cors.two-cors-middlewares", {**settings, "MIDDLEWARE": [GATE]}, rows=rows) == []
    )


# -- policy values and rules ------------------------------------------------------------------


def test_max_age() -> None:
    [finding] = run_rule("cors.max-age", policy=PolicyRow(max_age=86400))
    assert finding.subject == "CorsPolicy.max_age"
    [setting] = run_rule("cors.max-age", {"CORS_PREFLIGHT_MAX_AGE": 10000})
    assert setting.subject == "CORS_PREFLIGHT_MAX_AGE"
    assert (
        run_rule("cors.max-age", {"CORS_PREFLIGHT_MAX_AGE": 7200}, policy=PolicyRow(max_age=7200))
        == []
    )


def test_report_only_and_off() -> None:
    [finding] = run_rule("cors.report-only", policy=PolicyRow(mode="report-only"))
    assert finding.severity is Severity.WARNING
    assert run_rule("cors.report-only", policy=PolicyRow(mode="enforce")) == []
    assert run_rule("cors.report-only", database=False) == []
    off = PolicyRow(mode="off")
    [finding] = run_rule("cors.policy-off", {"MIDDLEWARE": [GATE]}, policy=off)
    assert finding.subject == "CorsPolicy.mode"
    assert run_rule("cors.policy-off", {"MIDDLEWARE": [GATE]}) == []


def test_expired_and_soon_expiring_rules() -> None:
    rows = [
        RuleRow(
            pattern="https://old.example.com",
            expires_at=NOW - datetime.timedelta(hours=1),
            note="spring course",
        ),
        RuleRow(pattern="https://soon.example.com", expires_at=NOW + datetime.timedelta(days=3)),
        RuleRow(pattern="https://later.example.com", expires_at=NOW + datetime.timedelta(days=30)),
        RuleRow(
            pattern="https://gone.example.com",
            enabled=False,
            expires_at=NOW - datetime.timedelta(days=1),
        ),
    ]
    found = {f.subject: f.title for f in run_rule("cors.expired-rule", rows=rows)}
    assert found == {
        "https://old.example.com": "an allowed origin has expired",
        "https://soon.example.com": "an allowed origin expires soon",
    }


def test_disabled_rules() -> None:
    rows = [
        RuleRow(pattern="https://a.example.com", enabled=False),
        RuleRow(pattern="https://b.example.com"),
    ]
    [finding] = run_rule("cors.disabled-rule", rows=rows)
    assert finding.subject == "https://a.example.com"
    assert finding.severity is Severity.INFO
    assert run_rule("cors.disabled-rule", rows=rows[1:]) == []


def test_urls_regex_misses_api_paths() -> None:
    [finding] = run_rule("cors.urls-regex-misses-api", policy=PolicyRow(urls_regex=r"^/api/"))
    for path in ("/oauth2/access_token", "/login_refresh", "/csrf/api/v1/token", "/user_api/"):
        assert path in finding.detail
    assert "/api/user/v1/me" not in finding.detail
    [theirs] = run_rule("cors.urls-regex-misses-api", {"CORS_URLS_REGEX": r"^/api/.*$"})
    assert theirs.subject == "CORS_URLS_REGEX"


def test_urls_regex_covering_api_paths_passes() -> None:
    wide = r"^/(api|oauth2|user_api|csrf/api|login_refresh)"
    assert run_rule("cors.urls-regex-misses-api", policy=PolicyRow(urls_regex=wide)) == []
    assert run_rule("cors.urls-regex-misses-api", policy=PolicyRow(urls_regex=r"^.*$")) == []
    assert run_rule("cors.urls-regex-misses-api", {"CORS_URLS_REGEX": r"^.*$"}) == []


def test_every_rule_has_a_triggering_test_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [r.id for r in RULES if f'"{r.id}"' not in source]
    assert missing == []


def test_rules_registry_lookup() -> None:
    assert rules_by_id()["cors.allow-all-credentials"].number == 1


def test_clean_configuration_passes_every_rule() -> None:
    from cors_gate.audit.report import run
    from tests.audit.helpers import audit_input

    settings = {
        "CORS_ALLOWED_ORIGINS": ["https://apps.example.com"],
        "CSRF_TRUSTED_ORIGINS": ["https://apps.example.com"],
        "CORS_GATE_ALLOWED_ORIGINS": ["https://apps.example.com"],
        "LMS_ROOT_URL": "https://lms.example.com",
        "MIDDLEWARE": [GATE, SECURITY, COMMON],
        "INSTALLED_APPS": ["cors_gate"],
        **CRED,
    }
    report = run(audit_input(settings))
    assert report.findings == []
    assert sorted(report.passed) == sorted(r.id for r in RULES)
    assert report.summary_line() == f"0 errors, 0 warnings, {len(RULES)} passed"
