"""`manage.py cors_gate_policy show|set`: the single CORS policy, scriptable.

`set` changes only the options given, all at once or not at all; an empty value
(`--exposed-headers ""`) clears a list. Bad input exits non-zero with one line naming the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cors_gate.management.commands.cors_gate_origins import (
    Subcommand,
    add_subcommands,
    run_subcommand,
)
from cors_gate.models import shown
from cors_gate.services import Actor, InvalidInput, policy_as_dict, update_policy

ACTOR = Actor("command")

# option dest -> (policy field, how its text becomes a value)
_SWITCH = {"on": True, "off": False}
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)


def _switch(field: str, text: str) -> bool:
    value = _SWITCH.get(text.strip().lower())
    if value is None:
        raise InvalidInput(field, f"{shown(text)} is not on or off")
    return value


def _seconds(field: str, text: str) -> int:
    stripped = text.strip()
    # ASCII digits only (str.isdigit also takes '²' and other scripts' digits), and few of
    # them: int() of over 4,300 digits raises instead of answering.
    if not _DIGITS.fullmatch(stripped):
        raise InvalidInput(field, f"{shown(text)} is not a whole number of seconds (0 or more)")
    return int(stripped)


def _text(field: str, text: str) -> str:
    return text  # lists stay comma-separated text: the policy's validation splits them


OPTIONS: dict[str, tuple[str, Any]] = {
    "mode": ("--mode", _text),
    "allow_null_origin": ("--allow-null-origin", _switch),
    "allow_credentials": ("--allow-credentials", _switch),
    "max_age": ("--max-age", _seconds),
    "exposed_headers": ("--exposed-headers", _text),
    "allowed_methods": ("--allowed-methods", _text),
    "allowed_headers": ("--allowed-headers", _text),
    "urls_regex": ("--urls-regex", _text),
    "allow_private_network": ("--allow-private-network", _switch),
}
_NAMES_HELP = 'comma-separated names ("" clears: mirror the request / expose none)'
_HELP = {
    "mode": "enforce, report-only or off",
    "exposed_headers": _NAMES_HELP,
    "allowed_methods": _NAMES_HELP,
    "allowed_headers": _NAMES_HELP,
    "max_age": "seconds a browser may cache a preflight (0 = no header)",
    "urls_regex": "regular expression of the paths cors_gate handles",
}


def _add_show_arguments(parser: CommandParser) -> None:
    parser.add_argument("--format", default="text", help="text (default) or json")


def _add_set_arguments(parser: CommandParser) -> None:
    for field, (flag, convert) in OPTIONS.items():
        text = "on or off" if convert is _switch else _HELP[field]
        # Plain strings: values are checked by services, which name the field on error.
        parser.add_argument(flag, dest=field, default=None, metavar="VALUE", help=text)


def render_policy(command: BaseCommand, output_format: str) -> None:
    if output_format not in ("text", "json"):
        raise InvalidInput("format", f"{output_format!r} is not one of text, json")
    data = policy_as_dict()
    if output_format == "json":
        command.stdout.write(json.dumps(data, indent=2))
        return
    for name, value in data.items():
        if isinstance(value, list):
            value = ",".join(value) if value else "(empty)"
        elif isinstance(value, bool):
            value = "on" if value else "off"
        command.stdout.write(f"{name}: {value}")


def _run_show(command: BaseCommand, options: dict[str, Any]) -> None:
    render_policy(command, options["format"])


def _run_set(command: BaseCommand, options: dict[str, Any]) -> None:
    changes = {
        field: convert(field, options[field])
        for field, (_flag, convert) in OPTIONS.items()
        if options.get(field) is not None
    }
    if not changes:
        raise InvalidInput(
            "set", f"give at least one of {', '.join(flag for flag, _convert in OPTIONS.values())}"
        )
    result = update_policy(changes, actor=ACTOR)
    for warning in result.warnings:
        command.stderr.write(f"warning: {warning}")
    if not result.changed:
        command.stdout.write("unchanged")
    for name, (old, new) in result.changed.items():
        command.stdout.write(f"changed {name}: {old!r} -> {new!r}")


SUBCOMMANDS: dict[str, Subcommand] = {
    "show": Subcommand("print the policy", _add_show_arguments, _run_show),
    "set": Subcommand("change some policy settings at once", _add_set_arguments, _run_set),
}


class Command(BaseCommand):
    help = "Show or change the CORS policy (idempotent, all-or-nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_subcommands(parser, SUBCOMMANDS)

    def handle(self, *args: Any, **options: Any) -> None:
        run_subcommand(self, SUBCOMMANDS, options)
