"""The rule declarations: one registry for both audits, the command's listing, the docs page."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from cors_gate.audit import docs
from cors_gate.audit.findings import Severity
from cors_gate.audit.registry import AuditRule, Problem, Registry, all_rules
from cors_gate.audit.report import run
from cors_gate.audit.rules import RULES
from cors_gate.saml import rules as saml_rules
from tests.audit.helpers import CRED, audit_input
from tests.audit.test_command import ROOT


def listing(*args: str) -> str:
    out = io.StringIO()
    call_command("cors_gate_audit", "--list-rules", *args, stdout=out)
    return out.getvalue()


def test_committed_rules_page_is_the_generated_one() -> None:
    """A rule added or changed without `python -m cors_gate.audit.docs` fails here."""
    page = (ROOT / "docs" / "reference" / "rules.rst").read_text(encoding="utf-8")
    assert page == docs.render()
    assert docs.main(["--check"]) == 0


def test_check_mode_refuses_a_stale_page_and_writing_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "reference" / "rules.rst"
    monkeypatch.setattr(docs, "PAGE", page)
    page.parent.mkdir()
    page.write_text(docs.render(RULES[:-1]), encoding="utf-8")  # a rule added since
    assert docs.main(["--check"]) == 1
    assert capsys.readouterr().err == (
        "rules.rst: is out of date; run `python -m cors_gate.audit.docs`\n"
    )
    assert docs.main([]) == 0
    assert "``csrf.allow-insecure``" in page.read_text(encoding="utf-8")
    assert docs.main(["--check"]) == 0


def test_rules_page_escapes_markup_in_titles() -> None:
    page = docs.render()
    assert r"attr\_\* field" in page  # 'attr_*' would start emphasis and a reference
    assert "SOCIAL\\_AUTH\\_SAML\\_ALLOW\\_IDP\\_INITIATED" in page


def test_list_rules_json_has_every_rule_of_both_audits() -> None:
    listed = json.loads(listing("--format", "json"))
    assert [r["id"] for r in listed] == [r.id for r in RULES] + list(saml_rules.ALL_RULES)
    first = listed[0]
    assert first == {
        "id": "cors.allow-all-credentials",
        "area": "cors",
        "severity": "error",
        "softened": False,
        "title": "allow-all with credentials",
        "number": 1,
        "deploy": True,
    }
    invalid = next(r for r in listed if r["id"] == "cors.invalid-pattern")
    assert (invalid["number"], invalid["deploy"]) == (10, False)  # on every `check`
    sha1 = next(r for r in listed if r["id"] == "saml.sha1-signature")
    assert (sha1["number"], sha1["deploy"], sha1["softened"]) == (None, None, True)


def test_list_rules_text_one_line_per_rule_and_only_filters() -> None:
    text = listing().splitlines()
    assert len(text) == len(all_rules())
    assert text[9].split()[:4] == ["cors.invalid-pattern", "010", "always", "error"]
    cors_only = listing("--only", "cors").splitlines()
    assert [line.split()[0] for line in cors_only] == [r.id for r in RULES]
    saml_only = listing("--only", "saml").splitlines()
    assert [line.split()[0] for line in saml_only] == list(saml_rules.ALL_RULES)


def test_list_rules_from_the_command_line_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "cors_gate_audit", "--list-rules", "--only", "cors"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == len(RULES)


def test_a_finding_gets_its_rules_id_and_area_from_the_declaration() -> None:
    registry = Registry()

    @registry.rule("csrf.example", 99, Severity.WARNING, "an example")
    def example(config: object) -> list[Problem]:
        return [Problem(Severity.WARNING, "title", "detail", "fix", "subject")]

    [rule] = list(registry)
    [finding] = list(rule.findings(audit_input()))
    assert (finding.id, finding.area, finding.subject) == ("csrf.example", "csrf", "subject")


def test_ids_and_numbers_are_declared_once() -> None:
    registry = Registry()
    registry.add(AuditRule("cors.one", Severity.ERROR, "one", 1))
    with pytest.raises(ValueError, match=r"^cors\.one: declared twice$"):
        registry.add(AuditRule("cors.one", Severity.ERROR, "again", 2))
    with pytest.raises(ValueError, match=r"^cors\.two: check number 1 is taken$"):
        registry.add(AuditRule("cors.two", Severity.ERROR, "two", 1))
    with pytest.raises(ValueError, match=r"declared twice"):
        saml_rules.REGISTRY.declare(saml_rules.CLOCK_SKEW, Severity.ERROR, "again")


def test_a_saml_rule_is_not_run_on_its_own() -> None:
    rule = saml_rules.REGISTRY[saml_rules.CLOCK_SKEW]
    with pytest.raises(TypeError, match="checked by the SAML validator"):
        list(rule.findings(audit_input()))


def test_no_finding_is_worse_than_its_rules_declared_severity() -> None:
    """The declared severity is the worst a rule reports (what the docs promise)."""
    hostile = {
        "CORS_ALLOW_ALL_ORIGINS": True,
        "CORS_ALLOWED_ORIGINS": ["null", "http://lms.example.com", "profile.example.com"],
        "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://.*\.github\.io", "(", r".*"],
        "CORS_GATE_ALLOWED_ORIGINS": ["https://*.co.uk", "http://*.example.com", "nope://"],
        "CSRF_TRUSTED_ORIGINS": ["https://other.example.com"],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CORS_PREFLIGHT_MAX_AGE": 86400,
        "CORS_URLS_REGEX": "(",
        "MIDDLEWARE": [
            "django.middleware.common.CommonMiddleware",
            "corsheaders.middleware.CorsMiddleware",
            "cors_gate.middleware.CorsGateMiddleware",
        ],
        "INSTALLED_APPS": ["cors_gate"],
        **CRED,
    }
    report = run(audit_input(hostile))
    declared = {r.id: r.severity for r in RULES}
    assert len({f.id for f in report.findings}) >= 10
    worse = [f.id for f in report.findings if f.severity.rank > declared[f.id].rank]
    assert worse == []
