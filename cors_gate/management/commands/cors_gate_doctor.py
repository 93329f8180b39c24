"""manage.py cors_gate_doctor: will every front end of this site work?

Exit status: 1 when a cell at or above --fail-on exists (default error), 0 otherwise, 2 for
bad arguments (a one-line message naming the option, never a traceback).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cors_gate.doctor import DoctorError, run_doctor
from cors_gate.doctor.render import render_json, render_text

FAIL_ON = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


class Command(BaseCommand):
    help = (
        "Replay the requests of every front end of this site (Open edX MFEs, partners, "
        "observed origins) and print the browser's verdict for each step, with the fix."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument(
            "--in-process",
            action="store_true",
            help="Send the requests through this project's middleware and views.",
        )
        modes.add_argument(
            "--base-url",
            help="Live mode: the site's root URL (real HTTP, redirects followed).",
        )
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            metavar="ORIGIN[=KIND]",
            help="A front end to check as well (repeatable); KIND picks its journeys "
            "(authn, learning, mfe, other).",
        )
        parser.add_argument(
            "--journeys", help="A JSON or YAML file merged over the shipped journeys."
        )
        parser.add_argument(
            "--no-observed",
            action="store_true",
            help="Leave out the origins the middleware observed.",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--fail-on",
            choices=tuple(FAIL_ON),
            default="error",
            help="Exit 1 when a cell of this severity or worse exists (default: error).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mode = (
            "live" if options["base_url"] else "in-process" if options["in_process"] else "policy"
        )
        try:
            matrix = run_doctor(
                mode=mode,
                base_url=options["base_url"],
                origins=options["origin"],
                journeys_file=options["journeys"],
                observed=not options["no_observed"],
            )
        except DoctorError as exc:
            raise CommandError(str(exc).splitlines()[0], returncode=2) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(render_json(matrix), indent=2))
        else:
            self.stdout.write(render_text(matrix))
        if matrix.worst() in FAIL_ON[options["fail_on"]]:
            sys.exit(1)
