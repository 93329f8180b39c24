"""The doctor's matrix against Chromium: every cell must be what Chromium does.

A site with four front ends on distinct loopback origins, found the way an operator's site
declares them (Open edX settings and the allow-list):

* A, the learning MFE (``LEARNING_MICROFRONTEND_URL``), fully allowed;
* B, the account MFE (``ACCOUNT_MICROFRONTEND_URL``), missing from the allow-list;
* C, a partner allowed only on ``/api/`` (an allow-list rule with paths);
* D, the authn MFE (``AUTHN_MICROFRONTEND_URL``), allowed, whose login POST the LMS answers
  with a redirect to a loopback SSO provider that sends no CORS headers (the forum case).

Chromium runs every step of each front end's journeys from that front end's page; the
doctor's matrix in policy, in-process and live mode must equal Chromium's outcome (the
page's result plus the DevTools ``corsErrorStatus``) cell by cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cors_gate.doctor import run_doctor
from cors_gate.doctor.matrix import Matrix
from cors_gate.origins import url_origin

from .conftest import Gate, Site
from .harness import BrowserProbe, BrowserVerdict

pytestmark = pytest.mark.browser

DOCTOR_URLCONF = "tests.browser.doctor_site"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "doctor-pass-123"


@dataclass(frozen=True)
class DoctorSite:
    site: Site
    learning: str  # A
    account: str  # B
    partner: str  # C
    authn: str  # D
    idp_url: str
    journeys: Path

    @property
    def frontends(self) -> dict[str, str]:
        return {"A": self.learning, "B": self.account, "C": self.partner, "D": self.authn}


@pytest.fixture
def doctor_site(
    probe: BrowserProbe, site: Site, gate: Gate, settings: Any, tmp_path: Path
) -> DoctorSite:
    learning, account = site.page, site.other_page
    partner, authn = site.sibling_page, site.sibling.url("localhost")
    assert len({learning, account, partner, authn, site.api}) == 5
    settings.ROOT_URLCONF = DOCTOR_URLCONF
    settings.LEARNING_MICROFRONTEND_URL = f"{learning}/learning"
    settings.ACCOUNT_MICROFRONTEND_URL = f"{account}/account/"
    settings.AUTHN_MICROFRONTEND_URL = f"{authn}/authn"
    idp_url = f"{site.idp.url()}/app/okta/exk1doctor/sso/saml?SAMLRequest=abc"
    settings.DOCTOR_IDP_URL = idp_url
    gate.allow(learning, authn, note="MFEs")
    gate.allow(partner, note="partner: APIs only", paths=["/api/"])
    # Policy mode sees no views: the operator's journeys file says where login goes.
    journeys = tmp_path / "journeys.json"
    journeys.write_text(json.dumps({"step_overrides": {"authn.login": {"redirects_to": idp_url}}}))
    return DoctorSite(site, learning, account, partner, authn, idp_url, journeys)


def _chromium_runs(
    probe: BrowserProbe, ds: DoctorSite, matrix: Matrix
) -> dict[tuple[str, str], BrowserVerdict]:
    """Chromium runs each front end's journeys from its own page, in order."""
    runs = {}
    for front in matrix.frontends:
        for step in matrix.steps:
            if matrix.cell(front.origin, step) is None:
                continue
            runs[(front.origin, step.key)] = probe.run_fetch(
                front.origin,
                ds.site.api + step.path,
                step.method,
                dict(step.headers),
                step.credentials,
                step.body,
            )
    return runs


def _doctor(ds: DoctorSite, mode: str) -> Matrix:
    return run_doctor(
        mode=mode,
        base_url=ds.site.api if mode == "live" else None,
        journeys_file=ds.journeys,
        observed=False,
    )


def test_every_cell_of_the_matrix_is_what_chromium_does(
    probe: BrowserProbe, doctor_site: DoctorSite
) -> None:
    ds = doctor_site
    matrices = {mode: _doctor(ds, mode) for mode in ("policy", "in-process", "live")}
    policy = matrices["policy"]
    # Discovery: the four front ends, each with where it came from.
    by_origin = {f.origin: f for f in policy.frontends}
    assert set(by_origin) == set(ds.frontends.values())
    assert by_origin[ds.learning].kinds == ["learning"]
    assert "LEARNING_MICROFRONTEND_URL" in by_origin[ds.learning].sources
    assert "ACCOUNT_MICROFRONTEND_URL" in by_origin[ds.account].sources
    assert by_origin[ds.authn].kinds == ["authn"]
    assert any("allow-list rule" in s for s in by_origin[ds.partner].sources)

    chromium = _chromium_runs(probe, ds, policy)
    assert len(chromium) == 7 + 3 + 3 + 4  # learning, account, partner, authn journeys
    outcomes = {key: verdict.outcome for key, verdict in chromium.items()}
    disagreements = []
    for mode, matrix in matrices.items():
        assert set(matrix.cells) == set(chromium), mode
        for key, cell in matrix.cells.items():
            if cell.outcome != outcomes[key]:
                disagreements.append(
                    f"{mode} {key}: doctor {cell.outcome!r}, Chromium {outcomes[key]!r}"
                )
    assert not disagreements, "\n".join(disagreements)

    # The four shapes the scenario was built for, as Chromium saw them.
    def row(origin: str) -> dict[str, str]:
        return {step: out for (o, step), out in outcomes.items() if o == origin}

    assert set(row(ds.learning).values()) == {"ok"}
    assert row(ds.account) == {
        "platform.jwt-refresh": "MissingAllowOriginHeader",
        "platform.account": "MissingAllowOriginHeader",
        "platform.csrf-token": "PreflightMissingAllowOriginHeader",
    }
    assert row(ds.partner) == {
        "platform.jwt-refresh": "MissingAllowOriginHeader",
        "platform.account": "ok",
        "platform.csrf-token": "PreflightMissingAllowOriginHeader",
    }
    assert row(ds.authn) == {
        "platform.jwt-refresh": "ok",
        "platform.account": "ok",
        "platform.csrf-token": "ok",
        "authn.login": "PreflightMissingAllowOriginHeader",
    }
    # The forum case: Chromium's preflight went to the IdP, and every mode blames the IdP's
    # URL with the SSO fix, not the allow-list (cors_gate allowed the LMS's part).
    login = chromium[(ds.authn, "authn.login")]
    assert login.received("OPTIONS", server="idp")
    assert not login.received("GET", server="idp")
    for mode, matrix in matrices.items():
        cell = matrix.cells[(ds.authn, "authn.login")]
        assert cell.failing_url is not None and url_origin(cell.failing_url) == ds.site.idp.url(), (
            mode
        )
        assert cell.failing_method == "OPTIONS", mode
        assert cell.fix is not None and "top-level navigation" in cell.fix, mode
        assert cell.decision is not None and cell.decision["allowed"] is True, mode
        assert (cell.assumed is None) == (mode == "live"), mode
        missing = matrix.cells[(ds.account, "platform.account")]
        assert missing.fix is not None and f"add {ds.account}" in missing.fix, mode
        partial = matrix.cells[(ds.partner, "platform.csrf-token")]
        assert partial.decision is not None and partial.decision["reason"] == "path-not-allowed"


def _log_in(page: Any, site: Site, next_path: str) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("doctor", "doctor@example.com", PASSWORD)
    page.goto(f"{site.api}/admin/login/?next={next_path}")
    page.fill("#id_username", "doctor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{site.api}{next_path}")


def test_admin_matrix_at_1280px_links_each_cell_to_explain(
    probe: BrowserProbe, doctor_site: DoctorSite, settings: Any
) -> None:
    ds = doctor_site
    # The admin page has no journeys upload: the operator's file is the settings' business
    # here, so the login step is checked in-process, where the view's redirect is seen.
    admin = probe.page.context.new_page()
    admin.set_viewport_size({"width": 1280, "height": 900})
    _log_in(admin, ds.site, "/admin/cors_gate/allowedorigin/")
    admin.click("text=Front-end doctor")
    admin.select_option("#id_mode", "in-process")
    admin.click("input[value=Check]")
    grid = admin.locator("#cors-gate-doctor-grid")
    expect(grid).to_be_visible()
    expected = run_doctor(mode="in-process", observed=False)
    counts = expected.counts()
    assert admin.locator("#cors-gate-doctor-grid td.error").count() == counts["errors"] == 6
    assert admin.locator("#cors-gate-doctor-grid td.ok").count() == counts["ok"] == 11
    # Nothing wider than the window: the grid wraps long origins and error names.
    overflow = admin.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SCREENSHOTS / "admin_doctor_matrix.png"), full_page=True)

    # A red cell opens the explain page prefilled with that request.
    login_cell = admin.locator("#cors-gate-doctor-grid tbody tr", has_text="authn.login").locator(
        "td.error a"
    )
    expect(login_cell).to_have_text("PreflightMissingAllowOriginHeader")
    login_cell.click()
    expect(admin.locator("#id_origin")).to_have_value(ds.authn)
    expect(admin.locator("#id_method")).to_have_value("POST")
    expect(admin.locator("#id_path")).to_have_value("/api/user/v2/account/login_session/")
    assert "X-CSRFToken" in admin.locator("#id_headers").input_value()
    admin.click("input[value=Explain]")
    result = admin.locator("#cors-gate-explain-result")
    expect(result).to_contain_text("Blocked")
    expect(result).to_contain_text(ds.site.idp.url())  # where the fetch was sent
