"""Exact entries that are not written the way a browser sends its Origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import SplitResult

from cors_gate.audit import origin_facts
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput, canonical
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY
from cors_gate.origins import DEFAULT_PORTS


@REGISTRY.rule(
    "cors.non-canonical-origin",
    11,
    Severity.ERROR,
    "an entry is not in a browser's origin form",
)
def non_canonical_origin(config: AuditInput) -> Iterator[Problem]:
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        if analysis.schemeless:
            yield Problem(
                Severity.ERROR,
                "an origin regex never matches",
                f"{regexes.name} entry {analysis.text!r} matches {analysis.schemeless!r} but "
                f"not 'https://{analysis.schemeless}': browsers send the scheme and "
                "django-cors-headers anchors the regex at the start",
                f"Start it with the scheme, e.g. r'^https://{re.escape(analysis.schemeless)}\\Z'.",
                analysis.text,
            )
    exact = config.settings.allowed_origins
    entries = [str(e) for e in exact.value]
    present = set(entries)
    for text in entries:
        if text != "null":
            problem = _exact_entry_problem(text, exact.name, present)
            if problem is not None:
                yield problem


def _exact_entry_problem(text: str, setting: str, present: set[str]) -> Problem | None:
    """What is wrong with one exact entry of `setting` (None: it is a browser's origin)."""
    parts = origin_facts.split(text)
    good = canonical(text)
    if parts is None or good is None:
        return Problem(
            Severity.ERROR,
            "an allowed origin has no scheme",
            f"{setting} entry {text!r}: django-cors-headers compares scheme and host from "
            "urlsplit, finds neither, so it never matches the front end and it does match "
            "'Origin: null'",
            f"Write it as 'https://{text.strip('/')}'.",
            text,
        )
    never, ignored = _differences(parts)
    if never:
        twin = good in present
        return Problem(
            Severity.WARNING if twin else Severity.ERROR,
            "an allowed origin never matches",
            f"{setting} entry {text!r} has {' and '.join(never)}; django-cors-headers "
            "compares the host text as written, so requests from "
            f"{good} are refused" + (f" (harmless: {good} is listed too)" if twin else ""),
            f"Write {good!r}" + (" and delete this one" if twin else "") + ".",
            text,
        )
    if ignored:
        return Problem(
            Severity.WARNING,
            "an allowed origin is not in a browser's form",
            f"{setting} entry {text!r} has {' and '.join(ignored)}: django-cors-headers "
            "ignores it, other tools (and cors_gate) do not",
            f"Write {good!r}.",
            text,
        )
    return None


def _differences(parts: SplitResult) -> tuple[list[str], list[str]]:
    """How an entry differs from a browser's Origin: (what makes it never match, what
    django-cors-headers ignores)."""
    never: list[str] = []
    ignored: list[str] = []
    if parts.netloc != parts.netloc.lower():
        never.append("upper case (browsers send the host in lower case)")
    if parts.port is not None and parts.port == DEFAULT_PORTS.get(parts.scheme):
        never.append(f"the default port :{parts.port} (browsers omit it)")
    if parts.path == "/":
        ignored.append("a trailing slash")
    elif parts.path:
        ignored.append(f"a path {parts.path!r}")
    if parts.query or parts.fragment:
        ignored.append("a query or fragment")
    return never, ignored
