"""`manage.py cors_gate_audit`: the Open edX fixture in both formats, and the exit statuses.

The command runs as a real process (`manage.py`, its own settings module, a real SQLite
file migrated for the fixture), because exit statuses and "never a traceback" are what a
CI pipeline sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
OPENEDX = "tests.audit.openedx_settings"
WARNINGS_ONLY = "tests.audit.warnings_settings"
PROVIDER = str(DATA / "okta_provider.json")
LMS = "https://lms.example.com"

# What the Open edX fixture must produce in the CORS/CSRF areas, and nothing else.
EXPECTED_CORS = {
    ("cors.allow-all-credentials", "error", "CORS_ORIGIN_ALLOW_ALL"),
    ("cors.http-origin-credentials", "warning", "http://localhost:2000"),
    ("cors.non-canonical-origin", "error", "profile.example.com"),
    ("cors.null-credentials", "error", "profile.example.com"),
    # cors_gate was just installed: first in MIDDLEWARE, enforcing, its allow-list empty.
    ("cors.two-cors-middlewares", "error", "MIDDLEWARE"),
    ("csrf.allowed-origin-not-trusted", "warning", "CSRF_TRUSTED_ORIGINS"),
    ("csrf.cookie-samesite", "warning", "SESSION_COOKIE_SAMESITE"),
}


def manage(
    *args: str, db: Path, settings: str = "test_settings"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CORS_GATE_DB": str(db), "PYTHONWARNINGS": "ignore"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings", settings],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("audit") / "openedx.sqlite3"
    # --skip-checks: django-cors-headers refuses the bare host name; gunicorn never asks.
    done = manage("migrate", "-v0", "--skip-checks", db=db, settings=OPENEDX)
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    return tmp_path / "never-migrated.sqlite3"


def audit(*args: str, db: Path, settings: str = OPENEDX) -> subprocess.CompletedProcess[str]:
    return manage("cors_gate_audit", *args, db=db, settings=settings)


def _saml_expected() -> list[dict[str, str]]:
    """The SAML validator's own answer for the same inputs and settings (passed through)."""
    import importlib

    from django.test import override_settings

    from cors_gate.audit.findings import Report
    from cors_gate.saml import build_inputs, validate

    fixture = importlib.import_module(OPENEDX)
    app_level = {"INSTALLED_APPS", "MIDDLEWARE", "DATABASES"}  # no bearing on SAML rules
    values = {k: v for k, v in vars(fixture).items() if k.isupper() and k not in app_level}
    with override_settings(**values):
        report: Report = validate(build_inputs(provider_json=(PROVIDER,), lms_url=LMS))
    return report.as_dict()["findings"]


def test_openedx_fixture_json(migrated_db: Path) -> None:
    done = audit("--format", "json", "--provider-json", PROVIDER, "--lms-url", LMS, db=migrated_db)
    assert done.returncode == 1, done.stderr  # an error exists; default --fail-on error
    document = json.loads(done.stdout)
    assert set(document) == {"findings", "summary"}
    for f in document["findings"]:
        assert set(f) == {"id", "severity", "area", "title", "detail", "fix", "subject"}
    cors = {
        (f["id"], f["severity"], f["subject"])
        for f in document["findings"]
        if f["area"] in ("cors", "csrf")
    }
    assert cors == EXPECTED_CORS
    saml = [f for f in document["findings"] if f["area"] == "saml"]
    assert sorted(saml, key=json.dumps) == sorted(_saml_expected(), key=json.dumps)
    summary = document["summary"]
    assert summary["errors"] == sum(f["severity"] == "error" for f in document["findings"])
    assert summary["warnings"] == sum(f["severity"] == "warning" for f in document["findings"])
    assert summary["passed"] > 0


def test_openedx_fixture_text(migrated_db: Path) -> None:
    done = audit("--only", "cors", db=migrated_db)
    assert done.returncode == 1
    assert "\033[" not in done.stdout  # not a terminal: no colour
    found: set[tuple[str, str, str]] = set()
    severity = ""
    for line in done.stdout.splitlines():
        heading = re.fullmatch(r"(ERROR|WARNING|INFO)S \(\d+\)", line)
        if heading:
            severity = heading.group(1).lower()
            continue
        item = re.fullmatch(r"  ([a-z]+\.[a-z-]+) \[(.*?)\]: .*", line)
        if item:
            found.add((item.group(1), severity, item.group(2)))
    assert found == EXPECTED_CORS
    errors = sum(1 for f in EXPECTED_CORS if f[1] == "error")
    warnings = len(EXPECTED_CORS) - errors
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"{errors} errors?, {warnings} warnings?, \d+ passed", last), last


def test_openedx_fixture_errors_come_before_warnings(migrated_db: Path) -> None:
    out = audit("--only", "cors", db=migrated_db).stdout
    assert out.index("ERRORS (") < out.index("WARNINGS (")


# -- exit statuses ----------------------------------------------------------------------------


def test_exit_1_on_error_and_0_with_fail_on_never(migrated_db: Path) -> None:
    assert audit("--only", "cors", db=migrated_db).returncode == 1
    assert audit("--only", "cors", "--fail-on", "never", db=migrated_db).returncode == 0


def test_warning_threshold(empty_db: Path) -> None:
    only_warnings = audit("--only", "cors", "--format", "json", db=empty_db, settings=WARNINGS_ONLY)
    document = json.loads(only_warnings.stdout)
    assert document["summary"]["errors"] == 0
    assert ("cors.max-age", "warning") in {(f["id"], f["severity"]) for f in document["findings"]}
    assert only_warnings.returncode == 0  # default --fail-on error
    strict = audit("--only", "cors", "--fail-on", "warning", db=empty_db, settings=WARNINGS_ONLY)
    assert strict.returncode == 1


def test_clean_site_before_migrate_exits_0_with_an_info(empty_db: Path) -> None:
    done = audit("--only", "cors", "--fail-on", "warning", db=empty_db, settings="test_settings")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cors.database-unavailable" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "argument --format: invalid choice: 'xml'"),
        (("--fail-on", "sometimes"), "argument --fail-on: invalid choice"),
        (("--only", "dns"), "argument --only: invalid choice"),
        (("--only", "cors", "--okta-app", "okta.json"), "--okta-app: is a SAML input"),
        (("--only", "saml", "--okta-app", "/nonexistent/okta.json"), "--okta-app"),
        (("--only", "saml", "--lms-url", "lms.example.com"), "--lms-url"),
        (("--only", "saml", "--provider-json", PROVIDER, "--provider", "nope"), "--provider nope"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    empty_db: Path, args: tuple[str, ...], message: str
) -> None:
    done = audit(*args, db=empty_db, settings="test_settings")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    errors = [ln for ln in done.stderr.splitlines() if re.search(r"^CommandError: |: error: ", ln)]
    assert len(errors) == 1, done.stderr


def test_both_commands_describe_the_saml_inputs_alike(empty_db: Path) -> None:
    """`cors_gate_audit --help` and `cors_gate_saml check --help` explain each SAML input
    in the same words, and each option names its value (FILE, URL, SLUG ...)."""
    flags = (
        "--okta-app", "--idp-metadata", "--saml-response", "--relay-state", "--lms-url",
        "--provider", "--provider-json",
    )  # fmt: skip

    def described(text: str) -> dict[str, str]:
        # argparse prints "  --flag METAVAR  help" (help may wrap onto the next lines).
        blocks = re.split(r"\n  (?=--)", text.split("options:", 1)[-1])
        found = {}
        for block in blocks:
            head, _, rest = block.partition(" ")
            if head in flags:
                found[head] = " ".join(rest.split())
        return found

    audit_help = described(audit("--help", db=empty_db, settings="test_settings").stdout)
    saml_help = described(
        manage("cors_gate_saml", "check", "--help", db=empty_db, settings="test_settings").stdout
    )
    assert set(audit_help) == set(flags)
    assert audit_help == saml_help
    assert audit_help["--lms-url"].startswith("URL ")
    assert "LMS_ROOT_URL" in audit_help["--lms-url"]
