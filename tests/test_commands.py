"""cors_gate_origins and cors_gate_policy: success, idempotency, all-or-nothing errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from cors_gate import policy as policy_module
from cors_gate.models import AllowedOrigin, ChangeRecord, CorsPolicy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> None:
    policy_module.reset_for_tests()


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def state() -> list[tuple[str, bool, list[str], str]]:
    return [
        (o.pattern, o.enabled, o.paths, o.note) for o in AllowedOrigin.objects.order_by("pattern")
    ]


def test_add_normalises_updates_and_is_idempotent() -> None:
    out = run(
        "cors_gate_origins",
        "add",
        "HTTPS://Apps.Example.com/",
        "https://*.partner.example",
        "--note",
        "MFE",
        "--paths",
        "/api/,/oauth2/",
        "--expires",
        "2999-01-01T00:00:00Z",
    )
    assert out.splitlines() == ["add https://apps.example.com", "add https://*.partner.example"]
    assert state() == [
        ("https://*.partner.example", True, ["/api/", "/oauth2/"], "MFE"),
        ("https://apps.example.com", True, ["/api/", "/oauth2/"], "MFE"),
    ]
    records = ChangeRecord.objects.count()
    again = run("cors_gate_origins", "add", "https://apps.example.com", "--paths", "/api/,/oauth2/")
    assert again.splitlines() == ["unchanged https://apps.example.com"]
    assert ChangeRecord.objects.count() == records
    changed = run("cors_gate_origins", "add", "https://apps.example.com", "--paths", "")
    assert changed.splitlines() == ["change https://apps.example.com"]
    assert AllowedOrigin.objects.get(pattern="https://apps.example.com").paths == []
    record = ChangeRecord.objects.filter(action="change").get()
    assert record.channel == "command" and record.user is None
    assert record.detail == {"paths": [["/api/", "/oauth2/"], []]}


def test_a_bad_pattern_among_good_ones_changes_nothing() -> None:
    run("cors_gate_origins", "add", "https://keep.example.com")
    before, records = state(), ChangeRecord.objects.count()
    message = fails(
        "cors_gate_origins", "add", "https://new.example.com", "https://bad_host.example.com"
    )
    assert message == (
        "pattern: 'https://bad_host.example.com' refused: host: label 'bad_host' contains '_', "
        "not allowed in a host name"
    )
    assert state() == before and ChangeRecord.objects.count() == records


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--paths", "api/"), "paths"),
        (("--expires", "tomorrow"), "expires_at"),
        (("--expires", "2001-01-01T00:00Z"), "expires_at"),
    ],
)
def test_bad_options_name_the_field(args: tuple[str, ...], field: str) -> None:
    message = fails("cors_gate_origins", "add", "https://a.example.com", *args)
    assert message.startswith(f"{field}: ")
    assert state() == []


def test_any_origin_with_credentials_is_refused() -> None:
    message = fails("cors_gate_origins", "add", "*")
    assert message.startswith("pattern: '*' allows every origin")
    assert state() == []


def test_enable_disable_remove() -> None:
    run("cors_gate_origins", "add", "https://a.example.com", "https://b.example.com")
    assert run("cors_gate_origins", "disable", "https://a.example.com").strip() == (
        "disable https://a.example.com"
    )
    assert run("cors_gate_origins", "disable", "https://a.example.com").strip() == (
        "unchanged https://a.example.com"
    )
    snapshot = policy_module.current_snapshot()
    assert snapshot.decide("https://a.example.com", "/").reason == "disabled"
    # Enabling a missing rule is an error and enables nothing else either.
    message = fails("cors_gate_origins", "enable", "https://a.example.com", "https://c.example.com")
    assert message == "pattern: 'https://c.example.com' is not a rule (add it first)"
    assert not AllowedOrigin.objects.get(pattern="https://a.example.com").enabled
    assert run("cors_gate_origins", "enable", "https://a.example.com").strip() == (
        "enable https://a.example.com"
    )
    out = run("cors_gate_origins", "remove", "https://b.example.com", "https://gone.example.com")
    assert out.splitlines() == ["delete https://b.example.com", "absent https://gone.example.com"]
    assert [p for p, *_ in state()] == ["https://a.example.com"]
    actions = set(ChangeRecord.objects.values_list("action", flat=True))
    assert actions == {"add", "disable", "enable", "delete"}


@override_settings(CORS_GATE_ALLOWED_ORIGINS=["https://Pinned.example.com"])
def test_list_text_and_json() -> None:
    run("cors_gate_origins", "add", "https://a.example.com", "--paths", "/api/", "--note", "MFE")
    run("cors_gate_origins", "add", "https://off.example.com")
    run("cors_gate_origins", "disable", "https://off.example.com")
    text = run("cors_gate_origins", "list").splitlines()
    assert text[0].split("\t") == [
        "https://a.example.com",
        "enabled",
        "paths=/api/",
        "expires=-",
        "MFE",
    ]
    assert text[1].startswith("https://off.example.com\tdisabled")
    assert text[2].startswith("https://pinned.example.com\tpinned (settings)")
    data = json.loads(run("cors_gate_origins", "list", "--format", "json"))
    assert [o["pattern"] for o in data["origins"]] == [
        "https://a.example.com",
        "https://off.example.com",
    ]
    assert data["origins"][0]["paths"] == ["/api/"] and data["origins"][1]["enabled"] is False
    assert data["pinned"] == [
        {
            "entry": "https://Pinned.example.com",
            "pattern": "https://pinned.example.com",
            "error": None,
        }
    ]
    assert fails("cors_gate_origins", "list", "--format", "xml") == (
        "format: 'xml' is not one of text, json"
    )


def test_policy_set_show_and_clear() -> None:
    err = StringIO()
    out = StringIO()
    call_command(
        "cors_gate_policy",
        "set",
        "--mode",
        "report-only",
        "--allow-null-origin",
        "on",
        "--max-age",
        "86400",
        "--exposed-headers",
        "X-Request-Id,X-Total",
        "--allowed-methods",
        "get,put",
        "--allowed-headers",
        "X-CSRFToken",
        "--urls-regex",
        r"^/api/",
        "--allow-private-network",
        "on",
        stdout=out,
        stderr=err,
    )
    assert "Chromium caps preflight caching at 7200" in err.getvalue()
    assert "changed max_age: 0 -> 86400" in out.getvalue()
    policy = CorsPolicy.load()
    assert policy.mode == "report-only" and policy.allow_null_origin
    assert policy.allowed_methods == ["GET", "PUT"]
    assert policy.urls_regex == r"^/api/" and policy.allow_private_network
    shown = json.loads(run("cors_gate_policy", "show", "--format", "json"))
    assert shown["exposed_headers"] == ["X-Request-Id", "X-Total"] and shown["max_age"] == 86400
    assert "max_age: 86400" in run("cors_gate_policy", "show").splitlines()
    assert run("cors_gate_policy", "set", "--max-age", "86400").strip() == "unchanged"
    run("cors_gate_policy", "set", "--exposed-headers", "")
    assert CorsPolicy.load().exposed_headers == []
    assert ChangeRecord.objects.filter(target="policy", channel="command").count() == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--mode", "strict"), "mode: 'strict' is not one of enforce, report-only, off"),
        (("--max-age", "-5"), "max_age: '-5' is not a whole number of seconds (0 or more)"),
        (("--allow-credentials", "yes"), "allow_credentials: 'yes' is not on or off"),
        (("--urls-regex", "(api"), "urls_regex: is not a valid regular expression"),
        (("--urls-regex", "^/(a|ab)*$"), "urls_regex: repeats a part that itself repeats"),
        (("--allowed-headers", "X-A,X B"), "allowed_headers: 'X B' is not a valid header name"),
    ],
)
def test_policy_set_errors_change_nothing(args: tuple[str, ...], expected: str) -> None:
    CorsPolicy.load()  # creating the row is itself a change (it bumps the revision)
    before = CorsPolicy.objects.get().revision
    message = fails("cors_gate_policy", "set", "--max-age", "60", *args)
    assert message.startswith(expected)
    policy = CorsPolicy.load()
    assert policy.max_age == 0 and policy.revision == before
    assert not ChangeRecord.objects.exists()


def test_credentials_cannot_return_while_a_wildcard_any_rule_is_on() -> None:
    run("cors_gate_policy", "set", "--allow-credentials", "off")
    run("cors_gate_origins", "add", "https://*")
    message = fails("cors_gate_policy", "set", "--allow-credentials", "on", "--max-age", "5")
    assert message.startswith("allow_credentials: cannot be on while 'https://*'")
    assert CorsPolicy.load().max_age == 0


def test_set_without_options_and_missing_subcommand() -> None:
    assert fails("cors_gate_policy", "set").startswith("set: give at least one of --mode")
    assert "SUBCOMMAND" in fails("cors_gate_origins")


def test_exit_status_and_one_line_from_the_command_line(tmp_path: Path) -> None:
    """The real `manage.py`: exit status, stderr, and the database left as it was."""
    env = {**os.environ, "CORS_GATE_DB": str(tmp_path / "db.sqlite3")}

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert manage("migrate", "--noinput", "-v", "0").returncode == 0
    ok = manage("cors_gate_origins", "add", "https://a.example.com")
    assert ok.returncode == 0 and ok.stdout.strip() == "add https://a.example.com"
    bad = manage("cors_gate_origins", "add", "https://b.example.com", "ftp://c.example.com")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "CommandError: pattern: 'ftp://c.example.com' refused: protocol: 'ftp' is not one of "
        "*, http, https"
    ]
    assert "Traceback" not in bad.stderr
    listed = manage("cors_gate_origins", "list", "--format", "json")
    assert [o["pattern"] for o in json.loads(listed.stdout)["origins"]] == ["https://a.example.com"]
    policy = manage("cors_gate_policy", "set", "--max-age", "ten")
    assert policy.returncode == 1
    assert policy.stderr.strip() == (
        "CommandError: max_age: 'ten' is not a whole number of seconds (0 or more)"
    )


def test_demo_is_idempotent_and_its_login_works() -> None:
    from django.contrib.auth import authenticate

    first = run("cors_gate_demo")
    records = ChangeRecord.objects.count()
    second = run("cors_gate_demo")
    assert first == second and ChangeRecord.objects.count() == records
    assert "Username:  demo" in first and "Password:  cors-gate-demo" in first
    user = authenticate(username="demo", password="cors-gate-demo")
    assert user is not None and user.is_superuser
    assert AllowedOrigin.objects.count() == 5
    snapshot = policy_module.current_snapshot()
    assert snapshot.decide("http://localhost:2000", "/api/hello/").allowed
    assert snapshot.decide("https://app.partner.example", "/").allowed
    assert snapshot.decide("http://localhost:1997", "/admin/").reason == "path-not-allowed"
    assert snapshot.decide("https://old-partner.example", "/").reason == "disabled"
    assert snapshot.decide("https://evil.example", "/").reason == "no-rule"


@override_settings(ALLOWED_HOSTS=["127.0.0.1", "lms.example.com"])
def test_demo_refuses_a_site_with_public_host_names() -> None:
    message = fails("cors_gate_demo")
    assert message.startswith("ALLOWED_HOSTS: 'lms.example.com' is not a loopback name")
    assert not AllowedOrigin.objects.exists()
