"""What the CORS audit reads: `AuditInput`, a read-only view of the settings plus the
database rules and policy when they can be read, with the values several rules derive from it.

Two layers are audited side by side: django-cors-headers' settings (current and old names,
and Open edX's flags that force credentials on) and cors_gate's own allow-list (pinned
`CORS_GATE_ALLOWED_ORIGINS` plus the AllowedOrigin table) and policy.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from cors_gate.audit import origin_facts, regex_probe
from cors_gate.audit.database_view import DatabaseView, PolicyRow, RuleRow
from cors_gate.audit.settings_view import SettingsView
from cors_gate.origins import OriginError, OriginPattern, parse_pattern, url_origin

CORSHEADERS = "django-cors-headers"
GATE = "cors_gate"
PINNED_SETTING = "CORS_GATE_ALLOWED_ORIGINS"


def canonical(entry: str) -> str | None:
    """The browser's serialisation of an exact entry, or None when it has no host."""
    parts = origin_facts.split(entry)
    if parts is None or not parts.scheme or not parts.hostname:
        return None
    return url_origin(entry)


@dataclass(frozen=True)
class GatePattern:
    row: RuleRow
    pattern: OriginPattern


@dataclass(frozen=True)
class AllowedSample:
    shown: str  # what the operator wrote
    sample: str  # an origin it allows
    credentials: bool
    layer: str
    gate_trusted: bool = False


@dataclass(frozen=True)
class AuditInput:
    """What the rules read. Derived values are worked out once per input (cached_property
    stores them in the instance's __dict__, which a frozen dataclass leaves writable)."""

    settings: SettingsView
    database: DatabaseView | None = None
    database_problem: str = ""  # why `database` is None
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))

    @property
    def policy(self) -> PolicyRow:
        """cors_gate's policy; its model defaults when the table cannot be read."""
        return self.database.policy if self.database is not None else PolicyRow()

    @cached_property
    def rows(self) -> tuple[RuleRow, ...]:
        """Pinned settings entries first, then the database rows."""
        pinned = [RuleRow(pattern=p, source=PINNED_SETTING) for p in self.settings.pinned_origins]
        stored = list(self.database.rules) if self.database is not None else []
        return (*pinned, *stored)

    def is_live(self, row: RuleRow) -> bool:
        return row.enabled and (row.expires_at is None or row.expires_at > self.now)

    @property
    def gate_on(self) -> bool:
        return self.policy.mode != "off"

    @property
    def gate_credentials(self) -> bool:
        return self.policy.allow_credentials

    @property
    def corsheaders_credentials(self) -> bool:
        return bool(self.settings.credentials.value)

    @cached_property
    def live_patterns(self) -> tuple[GatePattern, ...]:
        """The cors_gate entries that decide requests today (parsed; invalid ones skipped)."""
        if not self.gate_on:
            return ()
        out: list[GatePattern] = []
        for row in self.rows:
            if not self.is_live(row):
                continue
            try:
                out.append(GatePattern(row, parse_pattern(row.pattern)))
            except OriginError:
                continue  # reported by cors.invalid-pattern
        return tuple(out)

    @cached_property
    def regex_analyses(self) -> tuple[regex_probe.RegexAnalysis, ...]:
        """regex_probe.analyse() of each django-cors-headers origin regex, in order."""
        return tuple(regex_probe.analyse(regex) for regex in self.settings.origin_regexes.value)

    @cached_property
    def allowed_samples(self) -> tuple[AllowedSample, ...]:
        """One sample origin per allow-list entry of both layers (not allow-all, not any-origin)."""
        out: list[AllowedSample] = []
        cred = self.corsheaders_credentials
        for entry in self.settings.allowed_origins.value:
            good = canonical(str(entry))
            if good:
                out.append(AllowedSample(str(entry), good, cred, CORSHEADERS))
        for analysis in self.regex_analyses:
            if not analysis.error and not analysis.any_origin:
                out.extend(
                    AllowedSample(analysis.text, e, cred, CORSHEADERS) for e in analysis.examples
                )
        for gate_pattern in self.live_patterns:
            pattern = gate_pattern.pattern
            if pattern.matches_any_origin or pattern.scheme == "*":
                continue
            host = ".".join("l" if label == "*" else label for label in pattern.labels)
            port = (
                "" if pattern.port is None and not pattern.any_port else f":{pattern.port or 8443}"
            )
            sample = f"{pattern.scheme}://{host}{port}"
            out.append(
                AllowedSample(
                    pattern.text, sample, self.gate_credentials, GATE, gate_pattern.row.csrf_trusted
                )
            )
        return tuple(out)
