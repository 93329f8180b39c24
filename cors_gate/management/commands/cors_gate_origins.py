"""`manage.py cors_gate_origins add|remove|enable|disable|list`: the allow-list, scriptable.

Every subcommand is idempotent and all-or-nothing: bad input exits non-zero with one line
naming the field and the problem, and changes nothing. Changes are recorded (channel
"command"). To add a subcommand, write `_add_<name>_arguments(parser)` and `_run_<name>(...)`
and add one `Subcommand` entry to `SUBCOMMANDS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cors_gate.models import AllowedOrigin, safe_text
from cors_gate.services import (
    Actor,
    InvalidInput,
    Outcome,
    origin_as_dict,
    pinned_entries,
    remove_origins,
    set_enabled,
    upsert_origins,
)

ACTOR = Actor("command")


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[CommandParser], None]
    run: Callable[[BaseCommand, dict[str, Any]], None]


def _patterns_argument(parser: CommandParser) -> None:
    parser.add_argument("patterns", nargs="+", metavar="PATTERN", help="origin patterns")


def _add_add_arguments(parser: CommandParser) -> None:
    _patterns_argument(parser)
    parser.add_argument("--note", default=None, help='free text ("" clears)')
    parser.add_argument(
        "--paths",
        default=None,
        help='comma-separated path prefixes, e.g. /api/,/oauth2/ ("" = all)',
    )
    parser.add_argument(
        "--expires", default=None, help='ISO-8601 date-time, e.g. 2030-01-31T00:00Z ("" = never)'
    )


def write_outcomes(command: BaseCommand, outcomes: list[Outcome]) -> None:
    """One line per rule: what happened and the normalised pattern (easy to grep in CI)."""
    for outcome in outcomes:
        command.stdout.write(f"{outcome.action} {outcome.pattern}")


def _run_add(command: BaseCommand, options: dict[str, Any]) -> None:
    outcomes = upsert_origins(
        options["patterns"],
        note=options["note"],
        paths=options["paths"],
        expires_at=options["expires"],
        actor=ACTOR,
    )
    write_outcomes(command, outcomes)


def _run_remove(command: BaseCommand, options: dict[str, Any]) -> None:
    write_outcomes(command, remove_origins(options["patterns"], actor=ACTOR))


def _run_enable(command: BaseCommand, options: dict[str, Any]) -> None:
    write_outcomes(command, set_enabled(options["patterns"], True, actor=ACTOR))


def _run_disable(command: BaseCommand, options: dict[str, Any]) -> None:
    write_outcomes(command, set_enabled(options["patterns"], False, actor=ACTOR))


def _add_list_arguments(parser: CommandParser) -> None:
    parser.add_argument("--format", default="text", help="text (default) or json")


def _run_list(command: BaseCommand, options: dict[str, Any]) -> None:
    output_format = options["format"]
    if output_format not in ("text", "json"):
        raise InvalidInput("format", f"{output_format!r} is not one of text, json")
    origins = [origin_as_dict(rule) for rule in AllowedOrigin.objects.order_by("pattern")]
    pinned = pinned_entries()
    if output_format == "json":
        command.stdout.write(json.dumps({"origins": origins, "pinned": pinned}, indent=2))
        return
    for rule in origins:
        state = "enabled" if rule["enabled"] else "disabled"
        if rule["expired"]:
            state = "expired"
        paths = safe_text(",".join(rule["paths"])) or "*"
        expires = rule["expires_at"] or "-"
        command.stdout.write(
            f"{rule['pattern']}\t{state}\tpaths={paths}\texpires={expires}\t{rule['note']}"
        )
    for entry in pinned:
        if entry["error"]:
            command.stdout.write(f"{entry['entry']}\tinvalid (settings)\t{entry['error']}")
        else:
            command.stdout.write(f"{entry['pattern']}\tpinned (settings)\tpaths=*\texpires=-\t")


def _add_import_arguments(parser: CommandParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-settings",
        action="store_true",
        help="CORS_ALLOWED_ORIGINS / CORS_ORIGIN_WHITELIST and their regex lists",
    )
    source.add_argument(
        "--cloud-gate", metavar="FILE", help="a Cloud Gate CORS settings payload (SCIM PatchOp)"
    )
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")


def _run_import(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["cloud_gate"]:
        _import_cloud_gate(command, options["cloud_gate"], dry_run=options["dry_run"])
    else:
        _import_settings(command, dry_run=options["dry_run"])


def _import_cloud_gate(command: BaseCommand, path: str, *, dry_run: bool) -> None:
    from cors_gate import transfer

    would = "would " if dry_run else ""
    payload = transfer.read_cloud_gate_file(path)
    plan = (
        transfer.plan_cloud_gate(payload)
        if dry_run
        else transfer.apply_cloud_gate(payload, actor=ACTOR)
    )
    for name, value in plan.policy.items():
        command.stdout.write(f"{would}set {name} {json.dumps(value)}")
    for verb, patterns in (("add", plan.add), ("keep", plan.keep)):
        for pattern in patterns:
            command.stdout.write(f"{would}{verb} {pattern}")
    for pattern in plan.remove:
        command.stdout.write(f"{would}remove {pattern}")


def _import_settings(command: BaseCommand, *, dry_run: bool) -> None:
    from cors_gate import transfer

    would = "would " if dry_run else ""
    plan = transfer.plan_from_settings()
    if not dry_run:
        transfer.apply_settings_plan(plan, actor=ACTOR)
    for item in plan.add:
        command.stdout.write(f"{would}add {item.pattern}\t({item.source}: {item.entry})")
    for item in plan.present:
        command.stdout.write(f"present {item.pattern}\t({item.source}: {item.entry})")
    for skipped in plan.skipped:
        hint = f"; nearest pattern: {', '.join(skipped.suggestion)}" if skipped.suggestion else ""
        command.stdout.write(f"skip {skipped.entry!r}\t({skipped.source}): {skipped.reason}{hint}")
    for note in plan.notes:
        command.stdout.write(f"note: {note}")


def _add_export_arguments(parser: CommandParser) -> None:
    parser.add_argument("--format", default="json", help="json (default) or cloud-gate")


def _run_export(command: BaseCommand, options: dict[str, Any]) -> None:
    from cors_gate import transfer

    output_format = options["format"]
    if output_format == "json":
        command.stdout.write(json.dumps(transfer.export_json(), indent=2))
    elif output_format == "cloud-gate":
        payload, warnings = transfer.export_cloud_gate()
        command.stdout.write(json.dumps(payload, indent=2))
        for warning in warnings:
            command.stderr.write(f"warning: {warning}")
    else:
        raise InvalidInput("format", f"{output_format!r} is not one of json, cloud-gate")


SUBCOMMANDS: dict[str, Subcommand] = {
    "add": Subcommand("add rules, or update existing ones", _add_add_arguments, _run_add),
    "remove": Subcommand("remove rules (absent ones are fine)", _patterns_argument, _run_remove),
    "enable": Subcommand("enable existing rules", _patterns_argument, _run_enable),
    "disable": Subcommand("disable existing rules", _patterns_argument, _run_disable),
    "list": Subcommand(
        "list the rules and the settings-pinned entries", _add_list_arguments, _run_list
    ),
    "import": Subcommand(
        "import rules from settings or a Cloud Gate payload", _add_import_arguments, _run_import
    ),
    "export": Subcommand(
        "print the rules as JSON or a Cloud Gate payload", _add_export_arguments, _run_export
    ),
}


def add_subcommands(parser: CommandParser, table: dict[str, Subcommand]) -> None:
    """argparse subparsers that raise CommandError when called through call_command.

    The parser class carries `called_from_command_line` itself, because Django 4.2's
    CommandParser (unlike Django 5's) does not pass it on to subparsers.
    """
    from_command_line = parser.called_from_command_line

    class SubParser(CommandParser):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("called_from_command_line", from_command_line)
            super().__init__(**kwargs)

    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", parser_class=SubParser)
    sub.required = True
    for name, spec in table.items():
        spec.add_arguments(sub.add_parser(name, help=spec.help, description=spec.help))


def run_subcommand(
    command: BaseCommand, table: dict[str, Subcommand], options: dict[str, Any]
) -> None:
    try:
        table[options["subcommand"]].run(command, options)
    except InvalidInput as exc:
        raise CommandError(str(exc)) from None
    except UnicodeEncodeError as exc:
        # Input is validated before it is stored, so this is an output stream that cannot
        # take a character (a pipe with an ASCII locale): one line, not a traceback.
        raise CommandError(
            f"output: cannot write {exc.object[exc.start : exc.end]!r} in the "
            f"{exc.encoding} encoding ({exc.reason}); set PYTHONIOENCODING=utf-8"
        ) from None


class Command(BaseCommand):
    # Runs even when another app's system checks fail: `import --from-settings` is how a
    # site whose CORS_ORIGIN_WHITELIST lists bare hosts (corsheaders.E013) moves them here.
    # Every write is still validated by cors_gate.services.
    requires_system_checks: list[str] = []
    help = "Add, remove, enable, disable and list allowed origins (idempotent, all-or-nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_subcommands(parser, SUBCOMMANDS)

    def handle(self, *args: Any, **options: Any) -> None:
        run_subcommand(self, SUBCOMMANDS, options)
