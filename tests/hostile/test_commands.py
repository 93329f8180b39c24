"""The management commands, tried as an attacker would: arguments that are not UTF-8, numbers
of thousands of digits, devices and hostile JSON files. Each ends in one line on stderr and a
non-zero exit, with the allow-list and the policy as they were."""

from __future__ import annotations

import io
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_gate.services import POLICY_FIELDS
from tests.hostile.conftest import hostile_text, manage, no_tracebacks, one_line, state


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("commands") / "db.sqlite3"
    assert manage(path, "migrate", "--noinput", "-v", "0").returncode == 0
    ok = manage(path, "cors_gate_origins", "add", "https://apps.example.com", "--paths", "/api/")
    assert ok.returncode == 0, ok.stderr
    return path


def listing(db_file: Path) -> Any:
    """The rules, the policy and the change records, read straight from the database file."""
    with closing(sqlite3.connect(db_file)) as db:
        return [
            db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in (
                "cors_gate_allowedorigin",
                "cors_gate_corspolicy",
                "cors_gate_changerecord",
            )
        ]


def deep_file(tmp: Path) -> str:
    path = tmp / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return str(path)


def digits_file(tmp: Path) -> str:
    path = tmp / "digits.json"
    path.write_text('{"slug": ' + "9" * 5000 + "}")
    return str(path)


ADD = ("cors_gate_origins", "add", "https://b.example.com")
CASES: dict[str, tuple[Any, ...]] = {
    "note-not-utf8": (*ADD, "--note", b"\xff"),
    "paths-not-utf8": (*ADD, "--paths", b"/\xff"),
    "pattern-not-utf8": ("cors_gate_origins", "add", b"https://\xff.example.com"),
    "note-control": (*ADD, "--note", "a\x1bb"),
    "broad-com": ("cors_gate_origins", "add", "https://*.com"),
    "broad-co-uk": ("cors_gate_origins", "add", "https://*.co.uk"),
    "broad-any-tld": ("cors_gate_origins", "add", "*://*.*:*"),
    "urls-regex-not-utf8": ("cors_gate_policy", "set", "--urls-regex", b"^/\xff"),
    "max-age-5000-digits": ("cors_gate_policy", "set", "--max-age", "9" * 5000),
    "max-age-superscript": ("cors_gate_policy", "set", "--max-age", "\u00b2"),
    "headers-10000": (
        "cors_gate_policy",
        "set",
        "--allowed-headers",
        ",".join(f"X-H{i}" for i in range(10_000)),
    ),
    "methods-non-token": ("cors_gate_policy", "set", "--allowed-methods", "GET,PO ST"),
    "import-dev-zero": ("cors_gate_origins", "import", "--cloud-gate", "/dev/zero"),
    "import-deep": ("cors_gate_origins", "import", "--cloud-gate", deep_file),
    "import-digits": ("cors_gate_origins", "import", "--cloud-gate", digits_file),
    "saml-deep": ("cors_gate_saml", "check", "--provider-json", deep_file),
    "saml-digits": ("cors_gate_saml", "check", "--provider-json", digits_file),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_arguments_end_in_one_line_and_change_nothing(
    db_file: Path, tmp_path: Path, case: str
) -> None:
    args = [a(tmp_path) if callable(a) else a for a in CASES[case]]
    before = listing(db_file)
    assert before[0]  # the rule the fixture added
    result = manage(db_file, *args)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, result.stdout
    if args[0] != "cors_gate_saml":
        assert result.returncode == 1
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr[:2000]
    assert stderr.startswith("CommandError: ")
    assert listing(db_file) == before


def test_the_list_survives_a_pipe(db_file: Path) -> None:
    result = manage(db_file, "cors_gate_origins", "list")
    assert result.returncode == 0
    assert result.stdout.decode("utf-8").startswith("https://apps.example.com\tenabled")


# --- in process, hypothesis over the text arguments ------------------------------------------

HYPOTHESIS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ORIGIN_OPTIONS = ("--note", "--paths", "--expires")
POLICY_OPTIONS = tuple("--" + f.replace("_", "-") for f in POLICY_FIELDS)


def run(*args: str) -> str | None:
    """None when the command succeeded, else its one-line error."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return str(exc)
    out.getvalue().encode("utf-8")
    err.getvalue().encode("utf-8")
    return None


def assert_all_or_nothing(before: tuple[Any, ...], error: str | None) -> None:
    if error is None:
        run("cors_gate_origins", "list")  # whatever was stored prints again
        run("cors_gate_policy", "show")
    else:
        assert one_line(error), error
        assert state() == before


@pytest.mark.django_db
@HYPOTHESIS
@given(
    patterns=st.lists(hostile_text.filter(lambda t: not t.startswith("-")), min_size=1, max_size=3),
    option=st.sampled_from(ORIGIN_OPTIONS),
    value=hostile_text,
)
def test_origins_add_is_whole_or_nothing(patterns: list[str], option: str, value: str) -> None:
    before = state()
    with no_tracebacks():
        error = run("cors_gate_origins", "add", *patterns, f"{option}={value}")
    assert_all_or_nothing(before, error)


@pytest.mark.django_db
@HYPOTHESIS
@given(option=st.sampled_from(POLICY_OPTIONS), value=hostile_text)
def test_policy_set_is_whole_or_nothing(option: str, value: str) -> None:
    before = state()
    with no_tracebacks():
        error = run("cors_gate_policy", "set", f"{option}={value}")
    assert_all_or_nothing(before, error)


@pytest.mark.django_db
def test_import_from_settings_skips_broad_entries_with_the_reason() -> None:
    from django.test import override_settings

    entries = ["https://apps.example.com", "https://*.co.uk", "https://*.*"]
    with override_settings(CORS_ALLOWED_ORIGINS=entries):
        out = io.StringIO()
        call_command("cors_gate_origins", "import", "--from-settings", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("add https://apps.example.com")
    skipped = [line for line in lines if line.startswith("skip")]
    assert len(skipped) == 2
    assert all("the policy sends credentials" in line for line in skipped)
    assert [r[0] for r in state()[0]] == ["https://apps.example.com"]
