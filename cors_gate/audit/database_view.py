"""A read-only view of cors_gate's database rules and policy, for the audit.

The rules read plain frozen rows, not model instances, so tests can build them without a
database and the audit never writes. `load()` reads the real tables and answers `None`
(with the reason) instead of raising when the models or tables do not exist yet, e.g.
`manage.py check` before `migrate`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.utils import DatabaseError
from django.utils import timezone


@dataclass(frozen=True)
class RuleRow:
    pattern: str
    enabled: bool = True
    expires_at: datetime.datetime | None = None
    paths: tuple[str, ...] = ()
    csrf_trusted: bool = False
    note: str = ""
    source: str = "database"  # "database" or "CORS_GATE_ALLOWED_ORIGINS"


@dataclass(frozen=True)
class PolicyRow:
    mode: str = "enforce"  # "enforce" | "report-only" | "off"
    allow_null_origin: bool = False
    allow_credentials: bool = True
    max_age: int | None = None
    urls_regex: str = ""


@dataclass(frozen=True)
class DatabaseView:
    rules: Sequence[RuleRow] = ()
    policy: PolicyRow = field(default_factory=PolicyRow)


@dataclass(frozen=True)
class LoadResult:
    view: DatabaseView | None
    problem: str = ""  # why view is None: no models yet, tables missing, database refused


def load() -> LoadResult:
    """Read AllowedOrigin and CorsPolicy; never raises for a missing model or table."""
    try:
        from cors_gate import models
    except ImportError:
        return LoadResult(None, "cors_gate.models is not available")
    allowed_origin = getattr(models, "AllowedOrigin", None)
    cors_policy = getattr(models, "CorsPolicy", None)
    if allowed_origin is None or cors_policy is None:
        return LoadResult(None, "cors_gate.models has no AllowedOrigin/CorsPolicy yet")
    try:
        rules = tuple(_rule_row(obj) for obj in allowed_origin.objects.all().order_by("pk"))
        stored = cors_policy.objects.order_by("pk").first()
    except (DatabaseError, ImproperlyConfigured) as exc:
        # OperationalError/ProgrammingError before `migrate`: the check must not break.
        return LoadResult(None, f"cors_gate tables are not readable ({exc.__class__.__name__})")
    except RuntimeError as exc:
        # Test runners (pytest-django) block database access with a RuntimeError.
        return LoadResult(None, f"database access is blocked ({exc})")
    # No stored policy yet: the model's own defaults are what the middleware uses.
    policy = _policy_row(stored if stored is not None else cors_policy())
    return LoadResult(DatabaseView(rules=rules, policy=policy))


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    # USE_TZ = False stores naive local times; the audit compares with an aware "now".
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _rule_row(obj: Any) -> RuleRow:
    paths = getattr(obj, "paths", None) or ()
    return RuleRow(
        pattern=str(obj.pattern),
        enabled=bool(getattr(obj, "enabled", True)),
        expires_at=_aware(getattr(obj, "expires_at", None)),
        paths=tuple(str(p) for p in paths),
        csrf_trusted=bool(getattr(obj, "csrf_trusted", False)),
        note=str(getattr(obj, "note", "") or ""),
    )


def _policy_row(obj: Any) -> PolicyRow:
    max_age = getattr(obj, "max_age", None)
    return PolicyRow(
        mode=str(getattr(obj, "mode", "enforce")),
        allow_null_origin=bool(getattr(obj, "allow_null_origin", False)),
        allow_credentials=bool(getattr(obj, "allow_credentials", True)),
        max_age=int(max_age) if max_age is not None else None,
        urls_regex=str(getattr(obj, "urls_regex", "") or ""),
    )
