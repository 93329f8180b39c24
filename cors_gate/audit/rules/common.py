"""What the CORS rule modules share: the registry they declare into and small helpers."""

from __future__ import annotations

from cors_gate.audit.database_view import RuleRow
from cors_gate.audit.findings import Severity
from cors_gate.audit.registry import Registry

REGISTRY = Registry()

LIST_THEM = (
    "List each front end's origin in CORS_ALLOWED_ORIGINS (Open edX: "
    "EDXAPP_CORS_ORIGIN_WHITELIST) or as a cors_gate allowed origin"
)


def row_subject(row: RuleRow) -> str:
    return row.pattern if row.source == "database" else f"{row.source}: {row.pattern}"


def by_credentials(credentials: bool) -> Severity:
    return Severity.ERROR if credentials else Severity.WARNING
