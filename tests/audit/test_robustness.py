"""Whatever the settings hold, every rule answers with findings and never raises."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_gate.audit.database_view import PolicyRow, RuleRow
from cors_gate.audit.report import run
from cors_gate.audit.rules import RULES
from tests.audit.helpers import audit_input

ROOT = Path(__file__).resolve().parents[2]

entries = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "null",
                "*",
                "https://",
                "https://[::1",
                "https://a.example.com:99999",
                "https://a.example.com:x",
                "HTTPS://A.EXAMPLE.COM:443/",
                "//a.example.com",
                "https://a.example.com\n",
                r"^https://(a|b|c|d)(e|f|g|h)(i|j|k|l)(m|n|o|p)(q|r|s|t)\.x\.com$",
                r"^https://\w{1000000}\.x\.com$",
                r"(?x) ^ https:// [a-z]+ \. x \. com $",
                "(",
                "[",
            ]
        ),
        st.integers(),
        st.none(),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    exact=entries,
    regexes=entries,
    pinned=entries,
    csrf=entries,
    rows=st.lists(st.text(max_size=30).map(lambda p: RuleRow(pattern=p)), max_size=3),
    urls_regex=st.text(max_size=20),
    credentials=st.booleans(),
    allow_all=st.booleans(),
    middleware=st.lists(st.text(max_size=20), max_size=3),
)
def test_rules_never_raise(
    exact: list[object],
    regexes: list[object],
    pinned: list[object],
    csrf: list[object],
    rows: list[RuleRow],
    urls_regex: str,
    credentials: bool,
    allow_all: bool,
    middleware: list[str],
) -> None:
    inp = audit_input(
        {
            "CORS_ALLOWED_ORIGINS": exact,
            "CORS_ALLOWED_ORIGIN_REGEXES": regexes,
            "CORS_GATE_ALLOWED_ORIGINS": pinned,
            "CSRF_TRUSTED_ORIGINS": csrf,
            "CORS_ALLOW_CREDENTIALS": credentials,
            "CORS_ALLOW_ALL_ORIGINS": allow_all,
            "CORS_URLS_REGEX": urls_regex,
            "MIDDLEWARE": middleware,
            "LMS_ROOT_URL": "https://lms.example.com",
            "INSTALLED_APPS": ["cors_gate"],
        },
        rows=rows,
        policy=PolicyRow(urls_regex=urls_regex, allow_null_origin=credentials),
    )
    report = run(inp)
    assert len(report.passed) + len({f.id for f in report.findings}) >= len(RULES)
    for finding in report.findings:
        assert finding.title and finding.fix and "\n" not in finding.title


def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    """Run the command with its stdout on a pseudo-terminal: the headings are coloured."""
    env = {**os.environ, "CORS_GATE_DB": str(tmp_path / "db.sqlite3")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    args = [
        sys.executable,
        "manage.py",
        "cors_gate_audit",
        "--only",
        "cors",
        "--settings",
        "tests.audit.warnings_settings",
    ]
    leader, follower = pty.openpty()
    with subprocess.Popen(args, cwd=ROOT, env=env, stdout=follower, stderr=subprocess.PIPE) as p:
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the command exits
                break
            if not chunk:
                break
            chunks.append(chunk)
        p.wait(timeout=60)
    os.close(leader)
    on_terminal = b"".join(chunks).decode()
    assert "\033[33mWARNINGS (1)\033[0m" in on_terminal
    piped = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert "WARNINGS (1)" in piped.stdout
    assert not re.search("\033\\[", piped.stdout)
