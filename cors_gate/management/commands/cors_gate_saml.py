"""manage.py cors_gate_saml check|checklist — the SAML provider-config validator for Okta.

Exit status: 0 no error found, 1 at least one error finding, 2 unusable arguments.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cors_gate.audit.findings import Severity
from cors_gate.management.saml_options import add_saml_options, saml_inputs
from cors_gate.saml import SamlInputError, build_inputs, validate
from cors_gate.saml.checklist import build_checklist
from cors_gate.saml.inputs import default_lms_url, load_providers

USAGE_ERROR = 2


class Command(BaseCommand):
    # Reads settings and the database only: it must run even when another app's system
    # checks fail (Django's BaseCommand.requires_system_checks).
    requires_system_checks: list[str] = []
    help = (
        "Validate SAML provider configurations against Okta (check), or print what to enter "
        "in the Okta app for one provider (checklist)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{check,checklist}")
        check = sub.add_parser("check", help="report findings; exit 1 when any error is found")
        add_saml_options(check)
        check.add_argument("--format", choices=("text", "json"), default="text")
        checklist = sub.add_parser("checklist", help="what to enter in the Okta app")
        checklist.add_argument("slug", metavar="SLUG")
        add_saml_options(checklist, "--lms-url", "--provider-json")
        checklist.add_argument("--format", choices=("text", "json"), default="text")
        # Django 4.2 does not pass this on to subparsers: without it a bad option on the
        # command line would be a CommandError (exit 1) instead of argparse's usage (exit 2).
        for subparser in (check, checklist):
            subparser.called_from_command_line = parser.called_from_command_line

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "checklist":
                self._checklist(options)
                return
            failed = self._check(options)
        except SamlInputError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from exc
        if failed:
            sys.exit(1)

    def _check(self, options: dict[str, Any]) -> bool:
        inputs = build_inputs(**saml_inputs(options))
        report = validate(inputs)
        if options["format"] == "json":
            self.stdout.write(report.to_json())
        else:
            color = not options.get("no_color") and self.stdout.isatty()
            self.stdout.write(report.to_text(color=color))
        return report.has_at_least(Severity.ERROR)

    def _checklist(self, options: dict[str, Any]) -> None:
        providers = load_providers(options.get("provider_json") or [], options["slug"])
        lms_url = options.get("lms_url") or default_lms_url()
        checklist = build_checklist(providers[0], lms_url)
        if options["format"] == "json":
            self.stdout.write(checklist.to_json())
        else:
            self.stdout.write(checklist.to_text())
