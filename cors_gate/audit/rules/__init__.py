"""The CORS (and CORS-related CSRF) audit rules, one module per concern.

Each rule is a function that reads an `AuditInput` and yields `Problem`s, declared once with
`REGISTRY.rule(id, number, severity, title, deploy=...)`; a rule that yields nothing has
passed. `RULES` lists them by the number their Django system check uses; `cors_gate_audit
--list-rules` and ``docs/reference/rules.rst`` show them all.
"""

from __future__ import annotations

from cors_gate.audit.registry import AuditRule

# Importing a module declares its rules.
from cors_gate.audit.rules import (  # noqa: F401
    allow_all,
    cors_csrf,
    csrf,
    exact_entries,
    middleware,
    null_and_http,
    policy,
    public_hosts,
    regexes,
)
from cors_gate.audit.rules.common import REGISTRY

RULES = sorted(REGISTRY, key=lambda r: r.number or 0)


def rules_by_id() -> dict[str, AuditRule]:
    return {r.id: r for r in RULES}
