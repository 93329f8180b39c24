"""django-cors-headers origin regexes that accept hostile origins or do not compile, and
cors_gate entries that do not parse."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit import regex_probe
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import PINNED_SETTING, AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY, row_subject
from cors_gate.origins import OriginError, parse_pattern


@REGISTRY.rule(
    "cors.regex-hostile-origin",
    8,
    Severity.ERROR,
    "a regex accepts hostile origins",
)
def regex_hostile_origin(config: AuditInput) -> Iterator[Problem]:
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        worst = analysis.worst
        if analysis.error or analysis.any_origin or worst is None:
            continue
        if not config.corsheaders_credentials and worst is Severity.ERROR:
            worst = Severity.WARNING  # readable without cookies only
        kinds = ", ".join(p.kind for p in analysis.accepted)
        accepted = "; ".join(f"{p.kind}: {p.origin!r} ({p.why})" for p in analysis.accepted)
        fix = (
            "Anchor the end with $, escape every dot, and write a label as [a-z0-9-]+ "
            "(not \\w+ or .*)"
        )
        if analysis.suggestions:
            fix += f"; or replace the regex with cors_gate's {', '.join(analysis.suggestions)}"
        yield Problem(
            worst,
            f"the regex accepts hostile origins ({kinds})",
            f"{regexes.name} entry {analysis.text!r}, meant for origins such as "
            f"{', '.join(analysis.examples) or '(none recognised)'}, accepts {accepted}",
            fix + ".",
            analysis.text,
        )


@REGISTRY.rule("cors.invalid-regex", 9, Severity.ERROR, "a regex does not compile", deploy=False)
def invalid_regex(config: AuditInput) -> Iterator[Problem]:
    regexes = config.settings.origin_regexes
    for regex in regexes.value:
        error = regex_probe.compile_error(regex)  # not analyse(): this runs at start-up
        if error:
            text = regex_probe.regex_text(regex)
            yield Problem(
                Severity.ERROR,
                "an origin regex does not compile",
                f"{regexes.name} entry {text!r}: {error}; django-cors-headers "
                "raises on every cross-origin request (500)",
                "Fix the regex, or replace it with a cors_gate pattern such as "
                "https://*.example.com.",
                text,
            )


# Runs on every `check` (start-up): there it sees the settings-pinned entries, the ones no
# form validated; stored rows are validated on save and checked by the audit command.
# A pinned entry is the one channel no service validates, so the credentials refusal every
# write path applies (a wildcard over a public suffix) is an Error here, before start-up.
@REGISTRY.rule(
    "cors.invalid-pattern", 10, Severity.ERROR, "a cors_gate entry does not parse", deploy=False
)
def invalid_pattern(config: AuditInput) -> Iterator[Problem]:
    from cors_gate.models import credentials_refusal, too_broad

    for row in config.rows:
        try:
            parsed = parse_pattern(row.pattern)
        except OriginError as exc:
            yield Problem(
                Severity.ERROR,
                "a cors_gate entry is not a valid origin pattern",
                f"{row.source} entry {row.pattern!r}: {exc}; the gate ignores it",
                "Write it as PROTOCOL://HOST[:PORT], e.g. https://apps.example.com.",
                row_subject(row),
            )
            continue
        broad = too_broad(parsed) if row.source == PINNED_SETTING else None
        if broad and config.gate_credentials:
            yield Problem(
                Severity.ERROR,
                "a cors_gate entry is refused while credentials are on",
                f"{row.source} entry {credentials_refusal(parsed.text, broad)}",
                "Name your own hosts, e.g. https://*.example.com, or turn the policy's "
                "credentials off.",
                row_subject(row),
            )
