"""`manage.py cors_gate_saml check|checklist`: formats, exit statuses, bad input."""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cors_gate.saml import inputs as saml_inputs
from cors_gate.saml import rules
from tests.saml import factory as F

ROOT = Path(__file__).resolve().parents[2]
FORUM_SITE = {**F.SITE_SETTINGS, "SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED": True}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """The forum answer's configuration and what Okta gives for it, as files."""
    metadata = tmp_path / "metadata.xml"
    metadata.write_text(F.okta_metadata())
    response = tmp_path / "response.b64"
    response.write_text(F.saml_response())
    return {
        "provider": F.write_json(tmp_path, "provider.json", F.forum_document()),
        "okta": F.write_json(tmp_path, "okta.json", F.okta_app()),
        "metadata": str(metadata),
        "response": str(response),
    }


def args(files: dict[str, str], *extra: str) -> list[str]:
    return [
        "check",
        "--provider-json",
        files["provider"],
        "--okta-app",
        files["okta"],
        "--idp-metadata",
        files["metadata"],
        "--saml-response",
        files["response"],
        "--relay-state",
        "okta",
        "--lms-url",
        F.LMS,
        *extra,
    ]


def run(*argv: str) -> tuple[int, str]:
    """call_command, returning (exit status, stdout)."""
    out = io.StringIO()
    try:
        call_command("cors_gate_saml", *argv, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@override_settings(**FORUM_SITE)
def test_forum_configuration_reports_no_error(files: dict[str, str]) -> None:
    status, out = run(*args(files))
    assert status == 0, out
    assert "ERRORS" not in out
    assert out.strip().splitlines()[-1].startswith("0 errors, ")


@override_settings(**FORUM_SITE)
def test_json_format_is_the_documented_document(files: dict[str, str]) -> None:
    status, out = run(*args(files, "--format", "json"))
    document = json.loads(out)
    assert status == 0
    assert set(document) == {"findings", "summary"}
    assert {"errors", "warnings", "passed"} <= set(document["summary"])
    assert document["summary"]["errors"] == 0
    assert document["summary"]["passed"] > 30
    for finding in document["findings"]:
        assert set(finding) == {"id", "severity", "area", "title", "detail", "fix", "subject"}
        assert finding["id"] in rules.ALL_RULES and finding["area"] == "saml"


@override_settings(**FORUM_SITE)
def test_an_error_exits_1_and_text_groups_by_severity(
    files: dict[str, str], tmp_path: Path
) -> None:
    files["okta"] = F.write_json(tmp_path, "bad.json", F.okta_app(defaultRelayState="Okta"))
    status, out = run(*args(files))
    assert status == 1
    assert out.index("ERRORS (") < out.index("WARNINGS (")
    assert f"{rules.RELAY_STATE_MISMATCH} [okta]" in out
    assert "'Okta'" in out and "'okta'" in out
    assert out.strip().splitlines()[-1].startswith("1 error, ")

    status, out = run(*args(files, "--format", "json"))
    assert status == 1
    assert json.loads(out)["findings"][0]["id"] == rules.RELAY_STATE_MISMATCH


def usage_error(*argv: str) -> str:
    with pytest.raises(CommandError) as raised:
        call_command("cors_gate_saml", *argv, stdout=io.StringIO())
    assert raised.value.returncode == 2
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_missing_file_is_a_one_line_usage_error(files: dict[str, str]) -> None:
    message = usage_error("check", "--okta-app", "/nonexistent/okta.json")
    assert message == "--okta-app /nonexistent/okta.json: no such file"


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "okta.json"
    path.write_text('{"settings": {"signOn": ')
    message = usage_error("check", "--okta-app", str(path))
    assert message.startswith(f"--okta-app {path}: not valid JSON")
    assert "line 1" in message


def test_provider_json_field_errors_name_the_field(tmp_path: Path) -> None:
    doc = F.forum_document()
    doc["provider"]["other_settings"] = "{not json"
    path = F.write_json(tmp_path, "p.json", doc)
    message = usage_error("check", "--provider-json", path)
    assert message.startswith(f"json:{path}: provider.other_settings: not valid JSON")


def test_unknown_provider_slug(files: dict[str, str]) -> None:
    message = usage_error("check", "--provider-json", files["provider"], "--provider", "azure")
    assert message == "--provider azure: no such SAML provider (known: okta)"


def test_file_over_5_mb_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "metadata.xml"
    big.write_bytes(b"<x>" + b" " * (5 * 1024 * 1024) + b"</x>")
    message = usage_error("check", "--idp-metadata", str(big))
    assert "larger than the 5 MB limit" in message


def test_bad_lms_url(files: dict[str, str]) -> None:
    message = usage_error("check", "--lms-url", "lms.example.com")
    assert message.startswith("--lms-url 'lms.example.com': must start with https://")


@override_settings(**FORUM_SITE)
def test_hostile_metadata_is_a_finding_not_a_traceback(
    files: dict[str, str], tmp_path: Path
) -> None:
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="&xxe;"/>'
    )
    files["metadata"] = str(hostile)
    status, out = run(*args(files, "--format", "json"))
    assert status == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["id"] == rules.METADATA_MALFORMED]
    assert "refused hostile XML" in finding["detail"]
    assert "root:" not in out  # /etc/passwd was never read


# --- the metadata URL, served from loopback ------------------------------------------------


class _Okta(http.server.BaseHTTPRequestHandler):
    body = b""
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        if self.path != "/app/exk9x8w7v6U5t4S3r2q1/sso/saml/metadata":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/samlmetadata+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(delay: float) -> Iterator[str]:
    handler = type("Handler", (_Okta,), {"body": F.okta_metadata().encode(), "delay": delay})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def okta_server() -> Iterator[str]:
    yield from _serve(0.0)


@pytest.fixture
def slow_server() -> Iterator[str]:
    yield from _serve(3.0)


METADATA_PATH = "/app/exk9x8w7v6U5t4S3r2q1/sso/saml/metadata"


@override_settings(**FORUM_SITE)
def test_metadata_from_url_is_fetched_and_checked(files: dict[str, str], okta_server: str) -> None:
    status, out = run(
        *args(files, "--format", "json", "--idp-metadata", okta_server + METADATA_PATH)
    )
    ids = {f["id"] for f in json.loads(out)["findings"]}
    # The loopback server speaks plain HTTP: exactly what the URL rule is for.
    assert rules.METADATA_URL_NOT_HTTPS in ids
    assert rules.METADATA_MALFORMED not in ids and rules.IDP_ENTITY_ID_MISMATCH not in ids
    assert status == 1


@pytest.mark.django_db  # no --provider-json: the third_party_auth tables are read
def test_metadata_url_404(okta_server: str) -> None:
    message = usage_error("check", "--idp-metadata", okta_server + "/nope")
    assert message == f"--idp-metadata {okta_server}/nope: HTTP 404 Not Found"


@pytest.mark.django_db  # no --provider-json: the third_party_auth tables are read
def test_slow_metadata_url_times_out(slow_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert saml_inputs.FETCH_TIMEOUT == 10.0
    monkeypatch.setattr(saml_inputs, "FETCH_TIMEOUT", 0.5)  # same code path, shorter wait
    started = time.monotonic()
    message = usage_error("check", "--idp-metadata", slow_server + METADATA_PATH)
    assert time.monotonic() - started < 2.5
    assert message.endswith("(timeout)") and slow_server in message


@pytest.mark.django_db  # no --provider-json: the third_party_auth tables are read
def test_unreachable_metadata_url() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    message = usage_error("check", "--idp-metadata", f"https://127.0.0.1:{port}/metadata")
    assert (
        message
        == f"--idp-metadata https://127.0.0.1:{port}/metadata: cannot fetch (ConnectionError)"
    )


# --- checklist ---------------------------------------------------------------------------------


def test_checklist_text_is_the_forum_answer(files: dict[str, str]) -> None:
    status, out = run("checklist", "okta", "--provider-json", files["provider"], "--lms-url", F.LMS)
    assert status == 0
    for label, value in (
        ("Single sign on URL", F.ACS),
        ("Recipient URL", F.ACS),
        ("Destination URL", F.ACS),
        (r"Audience URI \(SP Entity ID\)", "https://lms.example.com"),
        ("Default RelayState", "okta"),
        ("Name ID format", "Unspecified"),
        ("Response", "Signed"),
        ("Assertion Signature", "Signed"),
        ("Signature Algorithm", "RSA_SHA256"),
        ("Digest Algorithm", "SHA256"),
    ):
        assert re.search(rf"^  {label} +{re.escape(value)}( |$)", out, re.M), label
    assert re.search(r"^  firstName +user\.firstName +\[attr_first_name\]$", out, re.M)
    assert "String.len(user.nickName) > 0 ? user.nickName : substringBefore(user.login" in out
    assert "[attr_username, attr_user_permanent_id]" in out


def test_checklist_json(files: dict[str, str]) -> None:
    _, out = run(
        "checklist", "okta", "--provider-json", files["provider"], "--lms-url", F.LMS,
        "--format", "json",
    )  # fmt: skip
    document = json.loads(out)
    settings = {i["field"]: i["value"] for i in document["settings"]}
    assert settings["Recipient URL"] == settings["Destination URL"] == F.ACS
    names = [s["name"] for s in document["attribute_statements"]]
    assert sorted(names) == ["email", "firstName", "fullName", "lastName", "username"]


def test_checklist_statements_satisfy_the_validator(files: dict[str, str], tmp_path: Path) -> None:
    """An Okta app filled in from the checklist has every attribute the provider needs."""
    _, out = run("checklist", "okta", "--provider-json", files["provider"], "--format", "json")
    statements = [
        {"type": "EXPRESSION", "name": s["name"], "namespace": "", "values": [s["value"]]}
        for s in json.loads(out)["attribute_statements"]
    ]
    files["okta"] = F.write_json(tmp_path, "o.json", F.okta_app(attributeStatements=statements))
    with override_settings(**FORUM_SITE):
        _, report = run(*args(files, "--format", "json"))
    ids = {f["id"] for f in json.loads(report)["findings"]}
    assert not ids & {rules.ATTRIBUTE_MISSING, rules.NO_PERMANENT_ID, rules.DUPLICATE_ATTRIBUTE}


def test_checklist_unknown_slug(files: dict[str, str]) -> None:
    message = usage_error("checklist", "azure", "--provider-json", files["provider"])
    assert message == "--provider azure: no such SAML provider (known: okta)"


def test_command_line_exit_2_prints_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "cors_gate_saml", "check", "--okta-app", "/nonexistent.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"CORS_GATE_DB": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "CommandError: --okta-app /nonexistent.json: no such file"
    assert "Traceback" not in result.stderr


def test_command_line_bad_option_is_argparse_usage_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "cors_gate_saml", "check", "--format", "xml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"CORS_GATE_DB": str(tmp_path / "db.sqlite3"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db  # no --provider-json: the third_party_auth tables are read
def test_site_without_saml_exits_0_with_info() -> None:
    status, out = run("check")
    assert status == 0
    assert f"{rules.NO_PROVIDERS} [saml]" in out


# --- well-formed but impossible dates (month 13) -------------------------------------------

IMPOSSIBLE = "2024-13-01T00:00:00Z"


def _response_with(tmp_path: Path, attribute: str) -> str:
    """The forum's captured response, as XML, with one date attribute set to month 13."""
    xml = base64.b64decode(F.saml_response()).decode()
    xml, count = re.subn(rf'\b{attribute}="[^"]*"', f'{attribute}="{IMPOSSIBLE}"', xml)
    assert count
    path = tmp_path / f"response-{attribute}.xml"
    path.write_text(xml)
    return str(path)


@override_settings(**FORUM_SITE)
@pytest.mark.parametrize("attribute", ["IssueInstant", "NotBefore", "NotOnOrAfter"])
def test_response_with_impossible_date_is_a_finding_not_a_traceback(
    files: dict[str, str], tmp_path: Path, attribute: str
) -> None:
    files["response"] = _response_with(tmp_path, attribute)
    status, out = run(*args(files, "--format", "json"))
    assert status == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["id"] == rules.RESPONSE_MALFORMED]
    assert "\n" not in finding["detail"]
    if attribute != "IssueInstant":  # python3-saml's schema check reports that one
        assert f"{attribute} '{IMPOSSIBLE}'" in finding["detail"]


@override_settings(**FORUM_SITE)
def test_metadata_with_impossible_valid_until_is_a_finding_not_a_traceback(
    files: dict[str, str], tmp_path: Path
) -> None:
    metadata = F.okta_metadata().replace(
        "<md:EntityDescriptor ", f'<md:EntityDescriptor validUntil="{IMPOSSIBLE}" ', 1
    )
    assert IMPOSSIBLE in metadata
    path = tmp_path / "metadata-month-13.xml"
    path.write_text(metadata)
    files["metadata"] = str(path)
    status, out = run(*args(files, "--format", "json"))
    assert status == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["id"] == rules.METADATA_MALFORMED]
    assert finding["detail"] == f"IdP metadata: validUntil '{IMPOSSIBLE}' is not a date-time"


def test_provider_json_with_impossible_date_is_a_one_line_usage_error(tmp_path: Path) -> None:
    document = F.forum_document()
    document["provider_data"]["expires_at"] = IMPOSSIBLE
    path = F.write_json(tmp_path, "provider-month-13.json", document)
    message = usage_error("check", "--provider-json", path)
    assert message.endswith(f"provider_data.expires_at: not an ISO 8601 date-time: '{IMPOSSIBLE}'")
