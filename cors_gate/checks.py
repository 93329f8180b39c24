"""Django system checks: the CORS audit rules that need only settings and the database.

Registered under the ``security`` tag when this module is imported (``CorsGateConfig.ready``
imports it). The rules declared with ``deploy=False`` run on every ``manage.py check`` (and so
before ``runserver`` and ``migrate``) because they describe configuration that breaks requests
outright; the rest run with ``manage.py check --deploy``. An error is kept for what makes the
site unsafe or cors_gate inert: a stock LMS or Studio (openedx-platform's MIDDLEWARE lists
CommonMiddleware before django-cors-headers) gets none, so installing the plugin never stops
``migrate``. Each rule keeps its number; the letter follows the severity of the finding:
``cors_gate.E0NN`` error, ``W0NN`` warning, ``I0NN`` info. The rules, their numbers and which
run when are declared once, in `cors_gate.audit.rules`; ``cors_gate_audit --list-rules`` and
``docs/reference/rules.rst`` show them.

The database is read only by the deploy checks. Before ``migrate`` (no tables) they run on
the settings alone and add nothing about the database: ``check`` never breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.core import checks

from cors_gate.audit.findings import Finding, Severity

if TYPE_CHECKING:
    from cors_gate.audit.registry import AuditRule

_LEVELS: dict[Severity, tuple[str, Callable[..., checks.CheckMessage]]] = {
    Severity.ERROR: ("E", checks.Error),
    Severity.WARNING: ("W", checks.Warning),
    Severity.INFO: ("I", checks.Info),
}


def check_id(rule: AuditRule, severity: Severity) -> str:
    return f"cors_gate.{_LEVELS[severity][0]}{rule.number:03d}"


def to_messages(
    findings: Iterable[Finding], rules: Sequence[AuditRule]
) -> list[checks.CheckMessage]:
    by_id = {r.id: r for r in rules}
    messages: list[checks.CheckMessage] = []
    for finding in findings:
        rule = by_id.get(finding.id)
        if rule is None:
            continue
        cls = _LEVELS[finding.severity][1]
        messages.append(
            cls(
                f"{finding.title}: {finding.detail}",
                hint=finding.fix,
                obj=finding.subject,
                id=check_id(rule, finding.severity),
            )
        )
    return messages


def _ours(app_configs: Sequence[AppConfig] | None) -> bool:
    """`check someapp` runs only that app's checks."""
    return app_configs is None or any(c.name == "cors_gate" for c in app_configs)


def run_checks(*, deploy: bool) -> list[checks.CheckMessage]:
    # The rules load with the first check, not with the app: a process that runs no checks
    # (a WSGI worker, a command that skips them) never imports the audit.
    from cors_gate.audit.input import AuditInput
    from cors_gate.audit.report import load_input, run
    from cors_gate.audit.rules import RULES
    from cors_gate.audit.settings_view import SettingsView

    rules = [r for r in RULES if r.deploy == deploy]
    config = load_input() if deploy else AuditInput(settings=SettingsView.from_django())
    report = run(config, rules, note_database=False)
    return to_messages(report.sorted_findings(), rules)


@checks.register(checks.Tags.security)
def cors_gate_checks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if not _ours(app_configs):
        return []
    return run_checks(deploy=False)


@checks.register(checks.Tags.security, deploy=True)
def cors_gate_deploy_checks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if not _ours(app_configs):
        return []
    return run_checks(deploy=True)
