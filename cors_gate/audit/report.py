"""Run the CORS rules over one input and collect a Report.

The audit command runs every rule; the system checks run the same rules, split by
`deploy`, and translate the findings into Django check messages.
"""

from __future__ import annotations

from collections.abc import Iterable

from cors_gate.audit import database_view
from cors_gate.audit.findings import Finding, Report, Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import AuditRule
from cors_gate.audit.rules import RULES
from cors_gate.audit.settings_view import SettingsView

DATABASE_UNAVAILABLE = "cors.database-unavailable"


def load_input() -> AuditInput:
    """The running project's settings and, when its tables can be read, the database."""
    loaded = database_view.load()
    return AuditInput(
        settings=SettingsView.from_django(),
        database=loaded.view,
        database_problem=loaded.problem,
    )


def run(
    config: AuditInput, rules: Iterable[AuditRule] = RULES, *, note_database: bool = True
) -> Report:
    """Every rule's findings; a rule without findings is recorded as passed.

    Rules that read the database still run without it (on the pinned settings entries and
    the policy's defaults); `note_database` adds one info finding saying so.
    """
    report = Report()
    for rule in rules:
        findings = list(rule.findings(config))
        if findings:
            report.extend(findings)
        else:
            report.ok(rule.id)
    if note_database and config.database is None and config.database_problem:
        report.add(
            Finding(
                id=DATABASE_UNAVAILABLE,
                severity=Severity.INFO,
                area="cors",
                title="cors_gate's database rules were not audited",
                detail=f"{config.database_problem}; only settings were read",
                fix="Run `manage.py migrate` (or check the database connection), then audit again.",
                subject="database",
            )
        )
    return report


def run_cors_audit() -> Report:
    return run(load_input())
