"""The one result type shared by the SAML validator, the CORS audit and the system checks.

A rule either produces `Finding`s or records that it passed; a `Report` collects both and
renders the stable JSON document docs/how-to/audit-in-ci.rst documents:

    {"findings": [{"id", "severity", "area", "title", "detail", "fix", "subject"}],
     "summary": {"errors": n, "warnings": n, "info": n, "passed": n}}
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """error: a login/request fails, or forged/unsafe input would be accepted.
    warning: works today but breaks soon or is weaker than it should be.
    info: worth knowing."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Finding:
    id: str  # stable rule id, e.g. "saml.relay-state-mismatch" or "cors.allow-all-credentials"
    severity: Severity
    area: str  # "cors" | "saml" | "csrf" | ...
    title: str  # one line: what is wrong
    detail: str  # both values shown: what is configured and what is expected
    fix: str  # how to fix it
    subject: str = ""  # what it is about: a provider slug, a setting name, a rule pattern

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "area": self.area,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "subject": self.subject,
        }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # ids of rules checked that found nothing

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def ok(self, rule_id: str) -> None:
        self.passed.append(rule_id)

    def merge(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.passed.extend(other.passed)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def has_at_least(self, severity: Severity) -> bool:
        return any(f.severity.rank >= severity.rank for f in self.findings)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (-f.severity.rank, f.area, f.id, f.subject))

    def summary(self) -> dict[str, int]:
        return {
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "info": self.count(Severity.INFO),
            "passed": len(self.passed),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.as_dict() for f in self.sorted_findings()],
            "summary": self.summary(),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False)

    def to_text(self, *, color: bool = False) -> str:
        """Findings grouped by severity, then the one-line summary."""
        paint = {
            Severity.ERROR: "\033[31m",
            Severity.WARNING: "\033[33m",
            Severity.INFO: "\033[36m",
        }
        reset = "\033[0m"
        lines: list[str] = []
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            group = [f for f in self.sorted_findings() if f.severity is severity]
            if not group:
                continue
            heading = f"{severity.value.upper()}S ({len(group)})"
            lines.append(f"{paint[severity]}{heading}{reset}" if color else heading)
            for finding in group:
                subject = f" [{finding.subject}]" if finding.subject else ""
                lines.append(f"  {finding.id}{subject}: {finding.title}")
                if finding.detail:
                    lines.append(f"      {finding.detail}")
                if finding.fix:
                    lines.append(f"      fix: {finding.fix}")
            lines.append("")
        lines.append(self.summary_line())
        return "\n".join(lines)

    def summary_line(self) -> str:
        counts = self.summary()

        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        parts = [plural(counts["errors"], "error"), plural(counts["warnings"], "warning")]
        if counts["info"]:
            parts.append(f"{counts['info']} info")
        parts.append(f"{counts['passed']} passed")
        return ", ".join(parts)
