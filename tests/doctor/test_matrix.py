"""The matrix in each mode, the forum case, warnings, and the command's output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cors_gate.doctor import DoctorError, run_doctor
from cors_gate.doctor.matrix import Matrix

from .conftest import IDP, SITE

APPS = "https://apps.example.com"
PARTNER = "https://partner.example.org"
STRANGER = "https://stranger.example.net"
AUTHN = "https://authn.example.com"


def outcomes(matrix: Matrix) -> dict[tuple[str, str], str]:
    return {key: cell.outcome for key, cell in matrix.cells.items()}


@pytest.fixture
def front_ends(allow: Callable[..., None], settings: Any) -> None:
    settings.LEARNING_MICROFRONTEND_URL = APPS + "/learning"
    settings.AUTHN_MICROFRONTEND_URL = AUTHN
    allow(APPS, AUTHN)
    allow(PARTNER, paths=["/api/"])


@pytest.fixture
def sso_journeys(tmp_path: Path) -> Path:
    path = tmp_path / "journeys.json"
    path.write_text(json.dumps({"step_overrides": {"authn.login": {"redirects_to": IDP}}}))
    return path


def test_policy_mode_matrix(front_ends: None) -> None:
    matrix = run_doctor(origins=[STRANGER])
    got = outcomes(matrix)
    assert {v for (o, _), v in got.items() if o in (APPS, AUTHN)} == {"ok"}
    assert got[(PARTNER, "platform.account")] == "ok"
    assert got[(PARTNER, "platform.jwt-refresh")] == "MissingAllowOriginHeader"
    assert got[(PARTNER, "platform.csrf-token")] == "PreflightMissingAllowOriginHeader"
    assert got[(STRANGER, "platform.csrf-token")] == "PreflightMissingAllowOriginHeader"
    cell = matrix.cells[(PARTNER, "platform.csrf-token")]
    assert cell.severity == "error"
    assert cell.failing_method == "OPTIONS"
    assert cell.failing_url == SITE + "/csrf/api/v1/token"
    assert cell.decision is not None and cell.decision["reason"] == "path-not-allowed"
    assert cell.fix is not None and "add a prefix covering /csrf/api/v1/token" in cell.fix
    assert cell.explain_query["mode"] == "policy"
    assert "USE-JWT-COOKIE: true" in cell.explain_query["headers"]
    # Learning steps only for the learning MFE; login only for the authn MFE.
    assert (APPS, "learning.course-outline") in matrix.cells
    assert (PARTNER, "learning.course-outline") not in matrix.cells
    assert (AUTHN, "authn.login") in matrix.cells and (APPS, "authn.login") not in matrix.cells
    assert matrix.worst() == "error"


def test_forum_case_in_policy_mode_blames_the_idp(front_ends: None, sso_journeys: Path) -> None:
    matrix = run_doctor(journeys_file=sso_journeys)
    cell = matrix.cells[(AUTHN, "authn.login")]
    assert cell.outcome == "PreflightMissingAllowOriginHeader"
    assert cell.firefox_error == "CORSMissingAllowOrigin"
    assert (cell.failing_method, cell.failing_url) == ("OPTIONS", IDP)
    assert cell.fix is not None and cell.fix.startswith("start SSO with a top-level navigation")
    assert "nothing in this site's allow-list can change that" in cell.message
    assert cell.decision is not None and cell.decision["allowed"] is True
    assert cell.assumed is not None and "https://org.okta.example" in cell.assumed


def test_forum_case_in_process_follows_the_views_redirect(front_ends: None) -> None:
    matrix = run_doctor(mode="in-process")
    cell = matrix.cells[(AUTHN, "authn.login")]
    assert (cell.outcome, cell.failing_method, cell.failing_url) == (
        "PreflightMissingAllowOriginHeader",
        "OPTIONS",
        IDP,
    )
    assert cell.fix is not None and "top-level navigation" in cell.fix


def test_redirect_without_custom_header_fails_on_the_idps_get(
    front_ends: None, tmp_path: Path
) -> None:
    # A form POST with no X-CSRFToken is simple: after the 302 the browser GETs the IdP.
    path = tmp_path / "plain.json"
    path.write_text(
        json.dumps({"step_overrides": {"authn.login": {"headers": {}, "redirects_to": IDP}}})
    )
    for mode in ("policy", "in-process"):
        cell = run_doctor(mode=mode, journeys_file=path).cells[(AUTHN, "authn.login")]
        assert (cell.outcome, cell.failing_method, cell.failing_url) == (
            "MissingAllowOriginHeader",
            "GET",
            IDP,
        ), mode


def test_another_cors_layer_answering_is_a_warning(
    allow: Callable[..., None], set_policy: Callable[..., None], settings: Any, tmp_path: Path
) -> None:
    settings.ROOT_URLCONF = "tests.browser.urls"  # /tb/hand-cors/ sets CORS headers itself
    set_policy(mode="report-only")
    path = tmp_path / "hand.json"
    path.write_text(
        json.dumps(
            {
                "journeys": {
                    "hand": {"steps": [{"id": "hand", "method": "GET", "path": "/tb/hand-cors/"}]}
                },
                "kinds": {"other": ["hand"]},
            }
        )
    )
    matrix = run_doctor(mode="in-process", origins=[STRANGER], journeys_file=path)
    cell = matrix.cells[(STRANGER, "hand.hand")]
    assert cell.ok and cell.severity == "warning"
    assert "cors_gate itself would not allow it (no-rule)" in cell.message
    assert matrix.worst() == "warning"


def test_live_mode_against_a_closed_port_is_the_browsers_network_error(site: str) -> None:
    # explain predicts what the browser shows for a server that refuses the connection.
    matrix = run_doctor(mode="live", base_url="http://127.0.0.1:9", origins=[APPS])
    cell = matrix.cells[(APPS, "platform.account")]
    assert cell.outcome == "net::ERR_CONNECTION_REFUSED" and cell.severity == "error"
    assert cell.firefox_error == "CORSDidNotSucceed"
    assert "connection refused" in cell.message


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"mode": "live"}, "base-url: None must be the site's root URL"),
        ({"mode": "live", "base_url": "ftp://lms.example.com"}, "base-url: 'ftp://"),
        ({"mode": "live", "base_url": "https://lms.example.com/api/"}, "base-url:"),
        ({"mode": "policy", "base_url": "https://lms.example.com"}, "base-url: only live mode"),
        ({"mode": "sideways"}, "mode: 'sideways' must be policy, in-process or live"),
    ],
)
def test_bad_mode_inputs_are_one_line(site: str, kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(DoctorError) as caught:
        run_doctor(**kwargs)
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


def _command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("cors_gate_doctor", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_command_text_table_and_exit_codes(front_ends: None, sso_journeys: Path) -> None:
    code, text = _command("--journeys", str(sso_journeys), "--origin", STRANGER)
    assert code == 1
    lines = text.splitlines()
    assert lines[0] == f"Site:       {SITE}"
    assert any(
        line.startswith(
            "  B  https://apps.example.com  [learning]  from LEARNING_MICROFRONTEND_URL"
        )
        for line in lines
    )
    header = next(line for line in lines if line.startswith("step "))
    assert header.split()[1:] == ["A", "B", "C", "D"]
    login_row = next(line for line in lines if line.startswith("authn.login POST"))
    # The columns line up: each cell starts under its letter.
    assert login_row[header.index(" A ") + 1 :].startswith("PreflightMissingAllowOriginHeader  -")
    stranger_row = next(line for line in lines if line.startswith("platform.account GET"))
    assert stranger_row[header.rindex(" D") + 1 :] == "MissingAllowOriginHeader"
    assert "Fix: start SSO with a top-level navigation" in text
    assert lines[-1] == "4 front ends, 17 checks: 11 OK, 6 blocked, 0 warnings"
    assert _command("--journeys", str(sso_journeys), "--fail-on", "never")[0] == 0


def test_command_json(front_ends: None) -> None:
    code, text = _command("--format", "json", "--fail-on", "warning")
    document = json.loads(text)
    assert code == 1
    assert document["mode"] == "policy" and document["site"] == SITE
    assert {f["origin"] for f in document["frontends"]} == {APPS, AUTHN, PARTNER}
    assert document["summary"] == {
        "frontends": 3,
        "checks": 14,
        "ok": 12,
        "errors": 2,
        "warnings": 0,
    }
    cell = next(c for c in document["cells"] if c["step"] == "csrf-token" and not c["ok"])
    assert cell["outcome"] == "PreflightMissingAllowOriginHeader"
    assert cell["request"]["headers"][-1] == ["USE-JWT-COOKIE", "true"]


def test_command_all_ok_exits_0(allow: Callable[..., None]) -> None:
    allow(APPS)
    code, text = _command("--fail-on", "warning")
    assert code == 0
    assert text.splitlines()[-1] == "1 front ends, 3 checks: 3 OK, 0 blocked, 0 warnings"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--origin", "apps.example.com"), "origin: 'apps.example.com' is not an origin"),
        (("--base-url", "lms.example.com"), "base-url: 'lms.example.com' must be"),
        (("--journeys", "/nonexistent/j.json"), "journeys: cannot read /nonexistent/j.json"),
    ],
)
def test_command_bad_input_exits_2_with_one_line(
    site: str, args: tuple[str, ...], expected: str
) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("cors_gate_doctor", *args)
    assert caught.value.returncode == 2
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


def test_before_migrate_is_one_line(tmp_path: Path) -> None:
    """A fresh process on a database nobody migrated: one line on stderr, exit 2."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CORS_GATE_DB": str(tmp_path / "empty.sqlite3")}
    done = subprocess.run(
        [sys.executable, "manage.py", "cors_gate_doctor"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "CommandError: database: cors_gate's tables are not there yet: run migrate first"
    )


def test_policy_redirect_within_the_site_keeps_the_origin(
    allow: Callable[..., None], tmp_path: Path
) -> None:
    # The partner may call /api/ only: a login redirected to /login/ on this site fails
    # there, with the page's own origin (no null: the hop stayed on this site).
    allow(PARTNER, paths=["/api/"])
    path = tmp_path / "local.json"
    path.write_text(
        json.dumps(
            {
                "journeys": {
                    "j": {
                        "steps": [
                            {
                                "id": "s",
                                "method": "POST",
                                "path": "/api/login/",
                                "redirects_to": SITE + "/login/?next=/x",
                                "redirect_status": 302,
                            }
                        ]
                    }
                },
                "kinds": {"other": ["j"]},
            }
        )
    )
    cell = run_doctor(journeys_file=path, origins=[PARTNER], observed=False).cells[(PARTNER, "j.s")]
    assert (cell.outcome, cell.failing_method, cell.failing_url) == (
        "MissingAllowOriginHeader",
        "GET",
        SITE + "/login/?next=/x",
    )
    assert cell.decision is not None and cell.decision["reason"] == "path-not-allowed"
    assert cell.assumed is None
