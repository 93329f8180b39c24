"""Build audit inputs from plain dicts and ask the real django-cors-headers what it does."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from cors_gate.audit.database_view import DatabaseView, PolicyRow, RuleRow
from cors_gate.audit.findings import Finding
from cors_gate.audit.input import AuditInput
from cors_gate.audit.rules import rules_by_id
from cors_gate.audit.settings_view import SettingsView

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
CRED = {"CORS_ALLOW_CREDENTIALS": True}


def audit_input(
    settings: Mapping[str, Any] | None = None,
    *,
    policy: PolicyRow | None = None,
    rows: Iterable[RuleRow] = (),
    database: bool = True,
) -> AuditInput:
    view = DatabaseView(rules=tuple(rows), policy=policy or PolicyRow()) if database else None
    return AuditInput(SettingsView.from_dict(settings or {}), database=view, now=NOW)


def run_rule(rule_id: str, settings: Mapping[str, Any] | None = None, **kw: Any) -> list[Finding]:
    return list(rules_by_id()[rule_id].findings(audit_input(settings, **kw)))


def corsheaders_acao(origin: str, **settings: Any) -> str | None:
    """The Access-Control-Allow-Origin the real django-cors-headers answers `origin` with."""
    from corsheaders.middleware import CorsMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    request = RequestFactory().get("/api/user/v1/me", HTTP_ORIGIN=origin)
    with override_settings(**settings):
        response = CorsMiddleware(view)(request)
    assert isinstance(response, HttpResponse)
    return response.headers.get("access-control-allow-origin")


def corsheaders_allows(origin: str, **settings: Any) -> bool:
    return corsheaders_acao(origin, **settings) == origin
