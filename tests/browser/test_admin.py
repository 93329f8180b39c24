"""An operator adds an origin in the admin, in the browser; the blocked front end then works
within the refresh interval. Screenshots of the change list and the explain page are saved
under build/screenshots/ (not committed) so a person can look at them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import Gate, Site
from .harness import BrowserProbe

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "admin-pass-123"


def _log_in(page: Page, site: Site, next_path: str) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("operator", "operator@example.com", PASSWORD)
    page.goto(f"{site.api}/admin/login/?next={next_path}")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{site.api}{next_path}")


def test_origin_added_in_admin_unblocks_fetch_within_refresh_interval(
    probe: BrowserProbe, site: Site, gate: Gate
) -> None:
    from cors_gate import conf
    from cors_gate.models import AllowedOrigin, ChangeRecord

    gate.allow(site.page, note="the LMS's own MFEs")
    url = f"{site.api}/tb/echo/"
    before = probe.run_fetch(site.other_page, url, credentials="include")
    assert before.cors_error == "MissingAllowOriginHeader"

    admin = probe.page.context.new_page()
    changelist = "/admin/cors_gate/allowedorigin/"
    _log_in(admin, site, changelist)
    admin.click("text=Add allowed origin")
    admin.fill("#id_pattern", site.other_page.upper())  # typed carelessly: normalised on save
    admin.fill("#id_note", "partner front end (ticket 42)")
    admin.click("input[name=_save]")
    saved_at = time.monotonic()
    expect(admin).to_have_url(f"{site.api}{changelist}")
    expect(admin.locator("#result_list")).to_contain_text(site.other_page)
    assert AllowedOrigin.objects.get(pattern=site.other_page).created_by.username == "operator"
    assert ChangeRecord.objects.filter(channel="admin", object_repr=site.other_page).exists()

    deadline = saved_at + conf.refresh_seconds() + 1.0  # the interval, plus one fetch's time
    while True:
        after = probe.run_fetch(site.other_page, url, credentials="include")
        if after.ok or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after.ok, f"still {after.outcome} {time.monotonic() - saved_at:.1f}s after saving"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin.set_viewport_size({"width": 1280, "height": 720})
    admin.screenshot(path=str(SCREENSHOTS / "admin_changelist.png"), full_page=True)


@pytest.mark.parametrize(
    ("name", "origin_of", "expected"),
    [
        ("explain_blocked", "evil", "Blocked: PreflightMissingAllowOriginHeader"),
        ("explain_ok", "page", "OK."),
    ],
)
def test_explain_page_answers_like_chromium(
    probe: BrowserProbe, site: Site, gate: Gate, name: str, origin_of: str, expected: str
) -> None:
    """The admin's explain page, used by a person, says what Chromium does with the request."""
    gate.allow(site.page)
    origin = site.page if origin_of == "page" else site.other_page
    chromium = probe.run_fetch(
        origin, f"{site.api}/tb/echo/", "PUT", {"X-CSRFToken": "t"}, credentials="include"
    )
    assert chromium.outcome == (
        "ok" if origin_of == "page" else "PreflightMissingAllowOriginHeader"
    )

    admin = probe.page.context.new_page()
    admin.set_viewport_size({"width": 1280, "height": 900})
    _log_in(admin, site, "/admin/cors_gate/allowedorigin/")
    admin.click("text=Explain a request")
    admin.fill("#id_origin", origin)
    admin.fill("#id_method", "PUT")
    admin.fill("#id_headers", "X-CSRFToken: t")
    admin.select_option("#id_credentials", "include")
    admin.select_option("#id_mode", "in-process")
    admin.fill("#id_path", "/tb/echo/")
    admin.click("input[value=Explain]")
    result = admin.locator("#cors-gate-explain-result")
    expect(result).to_contain_text(expected)
    if origin_of != "page":
        expect(result).to_contain_text(f"add {origin}")  # the fix names the origin to add
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SCREENSHOTS / f"admin_{name}.png"), full_page=True)
