"""`manage.py cors_gate_audit`: audit the CORS and SAML configuration in one run.

Exit status: 1 when a finding at or above --fail-on exists, 0 otherwise, 2 for bad
arguments or unusable SAML inputs (a one-line message, never a traceback).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cors_gate.audit.docs import severity_text
from cors_gate.audit.findings import Report, Severity
from cors_gate.audit.registry import all_rules
from cors_gate.audit.report import run_cors_audit
from cors_gate.management.saml_options import add_saml_options, saml_inputs, saml_options_given

FAIL_ON = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}


class Command(BaseCommand):
    # The audit reports what the system checks would refuse; it must run even then.
    requires_system_checks: list[str] = []
    help = (
        "Audit CORS settings, cors_gate's rules and policy, and SAML providers. Exit 1 when "
        "a finding at or above --fail-on exists, 2 for bad arguments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", choices=("cors", "saml"), help="Audit one area only.")
        parser.add_argument(
            "--list-rules",
            action="store_true",
            help="Print every rule (id, check number, severity, what it checks) and exit.",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--fail-on",
            choices=tuple(FAIL_ON),
            default="error",
            help="Exit 1 when a finding of this severity or worse exists (default: error).",
        )
        saml = parser.add_argument_group("SAML inputs (as for `cors_gate_saml check`)")
        add_saml_options(saml)

    def handle(self, *args: Any, **options: Any) -> None:
        only = options["only"]
        if options["list_rules"]:
            self._list_rules(only, options["format"])
            return
        saml_given = saml_options_given(options)
        if only == "cors" and saml_given:
            raise CommandError(
                f"{saml_given[0]}: is a SAML input, but --only cors skips SAML", returncode=2
            )
        report = Report()
        if only in (None, "cors"):
            report.merge(run_cors_audit())
        if only == "saml" or saml_given:
            report.merge(self._saml(options))
        elif only is None:
            report.merge(self._saml(options, required=False))
        self._print(report, options)
        threshold = FAIL_ON[options["fail_on"]]
        if threshold is not None and report.has_at_least(threshold):
            sys.exit(1)

    def _saml(self, options: dict[str, Any], *, required: bool = True) -> Report:
        try:
            from cors_gate.saml import SamlInputError, build_inputs, validate
        except ImportError as exc:
            if not required:  # a plain audit still audits CORS
                return Report()
            raise CommandError(
                f"SAML: the SAML validator is not available ({exc})", returncode=2
            ) from None
        try:
            inputs = build_inputs(**saml_inputs(options))
        except SamlInputError as exc:
            raise CommandError(str(exc), returncode=2) from None
        return validate(inputs)

    def _list_rules(self, only: str | None, fmt: str) -> None:
        listed = [r for r in all_rules() if only is None or (r.area == "saml") == (only == "saml")]
        if fmt == "json":
            self.stdout.write(json.dumps([r.as_dict() for r in listed], indent=2))
            return
        width = max(len(r.id) for r in listed)
        for rule in listed:
            number = "-" if rule.number is None else f"{rule.number:03d}"
            when = "-" if rule.number is None else ("deploy" if rule.deploy else "always")
            severity = severity_text(rule)
            self.stdout.write(
                f"{rule.id:<{width}}  {number:>3}  {when:<6}  {severity:<18}  {rule.title}"
            )

    def _print(self, report: Report, options: dict[str, Any]) -> None:
        if options["format"] == "json":
            self.stdout.write(report.to_json())
            return
        color = options.get("force_color") or (not options.get("no_color") and self.stdout.isatty())
        self.stdout.write(report.to_text(color=bool(color)))
