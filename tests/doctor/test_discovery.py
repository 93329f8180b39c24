"""Front ends found in Open edX settings, the allow-list and observed origins, with sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cors_gate.doctor import DoctorError, run_doctor
from cors_gate.doctor.discovery import discover, parse_origin_option
from cors_gate.doctor.journeys import load
from cors_gate.models import ObservedOrigin
from cors_gate.origins import parse_request_origin

from .conftest import SITE


def _found(**kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    result = discover(load(), site_origin=SITE, **kwargs)
    return {f.origin: f for f in result.frontends}, result.skipped


def test_open_edx_settings_name_the_front_ends(site: str, settings: Any) -> None:
    settings.LEARNING_MICROFRONTEND_URL = "https://apps.example.com/learning"
    settings.AUTHN_MICROFRONTEND_URL = "https://authn.example.com"
    settings.ACCOUNT_MICROFRONTEND_URL = "https://apps.example.com/account/"
    settings.MFE_CONFIG = {
        "LMS_BASE_URL": SITE,  # the site itself: not a front end, and not listed as one
        "ORDER_HISTORY_URL": "https://orders.example.com/orders",
    }
    settings.MFE_CONFIG_OVERRIDES = {"authn": {"BASE_URL": "https://login.example.com"}}
    settings.LOGIN_REDIRECT_WHITELIST = ["partner.example.org", "lms.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://apps.example.com", "https://*.example.net"]
    settings.CORS_ORIGIN_WHITELIST = ["mobile.example.com"]
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://\w+\.example\.com$"]
    found, skipped = _found()
    assert found["https://apps.example.com"].kinds == ["mfe", "learning"]
    assert found["https://apps.example.com"].sources == [
        "ACCOUNT_MICROFRONTEND_URL",
        "LEARNING_MICROFRONTEND_URL",
        "CSRF_TRUSTED_ORIGINS",
    ]
    assert found["https://authn.example.com"].kind == "authn"
    assert found["https://login.example.com"].kind == "authn"
    assert found["https://login.example.com"].sources == [
        "MFE_CONFIG_OVERRIDES['authn']['BASE_URL']"
    ]
    assert found["https://orders.example.com"].sources == ["MFE_CONFIG['ORDER_HISTORY_URL']"]
    assert found["https://partner.example.org"].sources == ["LOGIN_REDIRECT_WHITELIST"]
    assert found["https://mobile.example.com"].sources == ["CORS_ORIGIN_WHITELIST"]
    assert SITE not in found
    assert any(s.startswith("LOGIN_REDIRECT_WHITELIST: https://lms.example.com:") for s in skipped)
    assert any(
        "'https://*.example.net': a wildcard names no single front end" in s for s in skipped
    )
    assert any(s.startswith("CORS_ALLOWED_ORIGIN_REGEXES:") for s in skipped)


def test_allow_list_rules_and_observed_origins(
    site: str, allow: Callable[..., None], db: Any
) -> None:
    allow("https://apps.example.com", "https://*.partner.example")
    allow("https://old.example.com", enabled=False)
    ObservedOrigin.objects.create(
        origin="https://seen.example.com", count=40, last_method="GET", last_path="/api/x/"
    )
    ObservedOrigin.objects.create(origin="HTTPS://EVIL.example", count=99)  # not a browser's
    found, skipped = _found()
    assert found["https://apps.example.com"].sources == ["allow-list rule https://apps.example.com"]
    assert found["https://old.example.com"].sources == [
        "allow-list rule https://old.example.com (disabled)"
    ]
    assert found["https://seen.example.com"].sources == ["observed (40 requests, last GET /api/x/)"]
    assert "HTTPS://EVIL.example" not in found and "https://evil.example" not in found
    assert any(s.startswith("allow-list rule https://*.partner.example:") for s in skipped)
    found, _ = _found(observed=False)
    assert "https://seen.example.com" not in found


def test_origin_option_adds_a_front_end_with_a_kind(site: str) -> None:
    found, _ = _found(extra=[parse_origin_option("https://extra.example.com=authn")])
    assert found["https://extra.example.com"].kinds == ["authn"]
    assert found["https://extra.example.com"].sources == ["--origin"]


@pytest.mark.parametrize(
    "value",
    [
        "lms.example.com",
        "https://Apps.example.com",
        "https://apps.example.com/",
        "https://apps.example.com:443",
        "null",
        "https://apps.example.com\n",
        "https://a.example.com@evil.com",
        "https://" + "a" * 600 + ".com",
        "javascript:alert(1)",
        "",
    ],
)
def test_hostile_or_non_canonical_origin_option_is_one_line(site: str, value: str) -> None:
    with pytest.raises(DoctorError) as caught:
        run_doctor(origins=[value])
    text = str(caught.value)
    assert text.startswith("origin: ") and "\n" not in text


def test_unknown_kind_is_refused(site: str) -> None:
    with pytest.raises(DoctorError, match=r"origin: kind 'partner' of https://a\.example\.com"):
        run_doctor(origins=["https://a.example.com=partner"])


HOSTILE = [
    "https://[::1",
    "https://apps.example.com:99999/learning",
    "https://apps.example.com\n.evil.com",
    "https://a.example.com@evil.com/x",
    "javascript:alert(1)",
    "https://" + "a" * 600 + ".com",
    "null",
    "",
    42,
    None,
]


def test_hostile_setting_values_are_skipped_never_raise(site: str, settings: Any) -> None:
    settings.LEARNING_MICROFRONTEND_URL = "https://[::1"
    settings.AUTHN_MICROFRONTEND_URL = "https://apps.example.com:99999/"
    settings.MFE_CONFIG = {"LEARNING_BASE_URL": "https://x.example.com\n"}
    settings.MFE_CONFIG_OVERRIDES = {"authn": {"BASE_URL": 7}, "learning": "not a dict"}
    settings.LOGIN_REDIRECT_WHITELIST = HOSTILE
    settings.CSRF_TRUSTED_ORIGINS = HOSTILE
    settings.CORS_ORIGIN_WHITELIST = HOSTILE
    found, skipped = _found()
    # What is found is what a browser would send for that URL (its parser drops newlines,
    # takes the host after '@'): exact origins only, checked, never allowed.
    assert found and all(str(parse_request_origin(o)) == o for o in found)
    assert "https://null" not in found
    assert any(
        s.startswith("CSRF_TRUSTED_ORIGINS: 'null': null names no front end") for s in skipped
    )
    assert any(s.startswith("LEARNING_MICROFRONTEND_URL: 'https://[::1'") for s in skipped)
