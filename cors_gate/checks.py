"""Django system checks: the CORS audit rules that need only settings and the database.

Registered under the ``security`` tag when this module is imported (``CorsGateConfig.ready``
imports it). Two rules run on every ``manage.py check`` (and so before ``runserver`` and
``migrate``) because they describe configuration that breaks requests outright; the rest run
with ``manage.py check --deploy``. An error is kept for what makes the site unsafe or
cors_gate inert: a stock LMS or Studio (openedx-platform's MIDDLEWARE lists CommonMiddleware
before django-cors-headers) gets none, so installing the plugin never stops ``migrate``.
Each rule keeps its number; the letter follows the severity of the finding:
``cors_gate.E0NN`` error, ``W0NN`` warning, ``I0NN`` info.

==== ================================== ======= =========================================
NNN  audit rule id                      when    what
==== ================================== ======= =========================================
001  cors.allow-all-credentials         deploy  allow-all with credentials
002  cors.allow-all                     deploy  allow-all without credentials
003  cors.any-origin-pattern            deploy  an entry or regex that allows any origin
004  cors.null-credentials              deploy  Origin: null allowed
005  cors.http-origin-credentials       deploy  http:// origin with credentials
006  cors.public-suffix-wildcard        deploy  wildcard directly over a public suffix
007  cors.code-host-origin              deploy  third-party code-hosting origin
008  cors.regex-hostile-origin          deploy  a regex accepts hostile origins
009  cors.invalid-regex                 always  a regex does not compile
010  cors.invalid-pattern               always  a cors_gate entry does not parse
011  cors.non-canonical-origin          deploy  an entry is not in a browser's origin form
012  csrf.allowed-origin-not-trusted    deploy  an allowed origin fails Django's CSRF check
013  csrf.trusted-not-allowed           deploy  a CSRF-trusted origin CORS does not allow
014  csrf.cookie-samesite               deploy  cookie settings that break cross-site front ends
015  csrf.cross-domain-cookie           deploy  Open edX cross-domain CSRF cookie settings
016  cors.middleware-order              deploy  CORS middleware placed after early answers
017  cors.middleware-missing            deploy  cors_gate installed but its middleware is not active
018  cors.two-cors-middlewares          deploy  cors_gate and django-cors-headers both active
019  cors.max-age                       deploy  preflight max age above Chromium's cap
020  cors.report-only                   deploy  the policy is still in report-only mode
021  cors.policy-off                    deploy  the policy is off
022  cors.expired-rule                  deploy  expired or soon-expiring rules
023  cors.disabled-rule                 deploy  disabled rules
024  cors.urls-regex-misses-api         deploy  urls regex misses front-end API paths
025  csrf.allow-insecure                deploy  Open edX's cors_csrf checks accept plain http
==== ================================== ======= =========================================

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
    from cors_gate.audit.cors_rules import AuditInput, Rule

_LEVELS: dict[Severity, tuple[str, Callable[..., checks.CheckMessage]]] = {
    Severity.ERROR: ("E", checks.Error),
    Severity.WARNING: ("W", checks.Warning),
    Severity.INFO: ("I", checks.Info),
}


def check_id(rule: Rule, severity: Severity) -> str:
    return f"cors_gate.{_LEVELS[severity][0]}{rule.check:03d}"


def to_messages(findings: Iterable[Finding], rules: Sequence[Rule]) -> list[checks.CheckMessage]:
    by_id = {r.id: r for r in rules}
    messages: list[checks.CheckMessage] = []
    for f in findings:
        rule = by_id.get(f.id)
        if rule is None:
            continue
        cls = _LEVELS[f.severity][1]
        messages.append(
            cls(f"{f.title}: {f.detail}", hint=f.fix, obj=f.subject, id=check_id(rule, f.severity))
        )
    return messages


def _ours(app_configs: Sequence[AppConfig] | None) -> bool:
    """`check someapp` runs only that app's checks."""
    return app_configs is None or any(c.name == "cors_gate" for c in app_configs)


def run_checks(*, deploy: bool, inp: AuditInput | None = None) -> list[checks.CheckMessage]:
    # The rules load with the first check, not with the app: a process that runs no checks
    # (a WSGI worker, a command that skips them) never imports the audit.
    from cors_gate.audit.cors_rules import RULES, AuditInput
    from cors_gate.audit.report import load_input, run
    from cors_gate.audit.settings_view import SettingsView

    rules = [r for r in RULES if r.deploy == deploy]
    if inp is None:
        inp = load_input() if deploy else AuditInput(settings=SettingsView.from_django())
    report = run(inp, rules, note_database=False)
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
