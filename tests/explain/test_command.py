"""manage.py cors_gate_explain: text and JSON output, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ORIGIN = "https://apps.example.com"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command("cors_gate_explain", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_the_documented_structure(rules: Callable[..., None]) -> None:
    rules([ORIGIN], allowed_headers=["Content-Type"])
    report = json.loads(
        run(
            "--origin",
            ORIGIN,
            "--method",
            "POST",
            "--header",
            "X-CSRFToken: t",
            "--path",
            "/api/",
            "--format",
            "json",
        )
    )
    assert set(report) >= {
        "request", "kind", "preflight_reasons", "decision", "preflight", "actual", "hops", "browser"
    }  # fmt: skip
    assert report["request"] == {
        "origin": ORIGIN,
        "method": "POST",
        "headers": [["X-CSRFToken", "t"]],
        "credentials": "include",
        "mode": "policy",
        "path": "/api/",
    }
    assert set(report["browser"]) >= {
        "ok", "chrome_error", "firefox_error", "failed_step", "message", "fix"
    }  # fmt: skip
    assert report["browser"]["chrome_error"] == "HeaderDisallowedByPreflightResponse"


def test_text_output_names_error_and_fix(rules: Callable[..., None]) -> None:
    rules([])
    text = run("--origin", ORIGIN, "--path", "/api/", "--credentials", "omit")
    assert "BLOCKED: MissingAllowOriginHeader (Firefox: CORSMissingAllowOrigin)" in text
    assert "Fix:" in text and f"add {ORIGIN}" in text
    assert "Policy:   not allowed (no-rule)" in text


def test_text_output_for_an_allowed_request(rules: Callable[..., None]) -> None:
    rules([ORIGIN])
    text = run("--origin", ORIGIN, "--method", "PUT", "--path", "/api/")
    assert "Kind:     preflight" in text
    assert "1. OPTIONS https://lms.example.com/api/ -> 200" in text
    assert "< Access-Control-Allow-Methods: PUT" in text
    assert "Browser:  OK." in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--origin", "example.com"], "origin: 'example.com' is not an origin"),
        (["--origin", ORIGIN, "--method", "G(ET"], "method: 'G(ET' is not an HTTP token"),
        (["--origin", ORIGIN, "--header", ": v"], "header ': v': a header has no name"),
    ],
)
def test_bad_input_raises_command_error(
    rules: Callable[..., None], args: list[str], message: str
) -> None:
    rules([ORIGIN])
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)


def test_real_process_prints_one_line_without_traceback(tmp_path: Path) -> None:
    """What an operator sees: exit status 1 and one line on stderr."""
    env = {"CORS_GATE_DB": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "cors_gate_explain", "--origin", "https://a.example.com/x y"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "CommandError: origin: 'https://a.example.com/x y' is not an origin "
        "(expected scheme://host[:port] or null)"
    ]
    assert "Traceback" not in done.stderr
