"""A read-only view of cors_gate's database rules and policy, for the audit.

The rules read plain frozen rows, not model instances, so tests can build them without a
database and the audit never writes. `load()` reads the real tables and answers `None`
(with the reason) instead of raising when the tables do not exist yet, e.g.
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
    """Read AllowedOrigin and CorsPolicy; never raises for a missing table."""
    from cors_gate.models import AllowedOrigin, CorsPolicy  # only once the app registry is ready

    try:
        rules = tuple(_rule_row(obj) for obj in AllowedOrigin.objects.all().order_by("pk"))
        stored = CorsPolicy.objects.order_by("pk").first()
    except (DatabaseError, ImproperlyConfigured) as exc:
        # OperationalError/ProgrammingError before `migrate`: the check must not break.
        return LoadResult(None, f"cors_gate tables are not readable ({exc.__class__.__name__})")
    except RuntimeError as exc:
        # Test runners (pytest-django) block database access with a RuntimeError.
        return LoadResult(None, f"database access is blocked ({exc})")
    # No stored policy yet: the model's own defaults are what the middleware uses.
    policy = _policy_row(stored if stored is not None else CorsPolicy())
    return LoadResult(DatabaseView(rules=rules, policy=policy))


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    # USE_TZ = False stores naive local times; the audit compares with an aware "now".
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _rule_row(obj: Any) -> RuleRow:
    return RuleRow(
        pattern=str(obj.pattern),
        enabled=bool(obj.enabled),
        expires_at=_aware(obj.expires_at),
        paths=tuple(str(p) for p in obj.paths or ()),
        csrf_trusted=bool(obj.csrf_trusted),
        note=str(obj.note or ""),
    )


def _policy_row(obj: Any) -> PolicyRow:
    max_age = obj.max_age
    return PolicyRow(
        mode=str(obj.mode),
        allow_null_origin=bool(obj.allow_null_origin),
        allow_credentials=bool(obj.allow_credentials),
        max_age=int(max_age) if max_age is not None else None,
        urls_regex=str(obj.urls_regex or ""),
    )
