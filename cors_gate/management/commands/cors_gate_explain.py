"""manage.py cors_gate_explain: predict what a browser does with a cross-origin request."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cors_gate.explain import ExplainError, explain
from cors_gate.explain.render import render_text


class Command(BaseCommand):
    # Reads settings and the database only: it must run even when another app's system
    # checks fail (Django's BaseCommand.requires_system_checks).
    requires_system_checks: list[str] = []
    help = (
        "Explain a cross-origin request: Fetch classification, cors_gate's decision, the "
        "answers, and the browser's verdict with Chromium's error name and the fix."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--origin", required=True, help="The page's origin, or null.")
        parser.add_argument("--method", default="GET")
        parser.add_argument(
            "--header",
            action="append",
            default=[],
            metavar="'NAME: VALUE'",
            help="A request header the page sets (repeatable).",
        )
        parser.add_argument("--credentials", choices=("include", "omit"), default="include")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--path", help="A path on this site (policy / --in-process modes).")
        target.add_argument("--url", help="A live URL: real HTTP, redirects followed.")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Send the requests through this project's middleware and URL conf.",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            explanation = explain(
                options["origin"],
                options["method"],
                options["header"],
                credentials=options["credentials"],
                path=options["path"],
                url=options["url"],
                in_process=options["in_process"],
            )
        except ExplainError as exc:
            raise CommandError(str(exc).splitlines()[0]) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(explanation.as_dict(), indent=2))
        else:
            self.stdout.write(render_text(explanation))
