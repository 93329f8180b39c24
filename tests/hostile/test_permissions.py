"""One permission rule for every channel, as a matrix: for each operation, a staff user who
lacks any one of the permissions it needs is refused by the admin (forms and actions), the
API and the services alike, and nothing changes; with all of them, every channel works.
Commands run without a user (whoever may run manage.py) and are not part of the matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, CorsPolicy, ObservedOrigin
from cors_gate.services import (
    OPERATIONS,
    Actor,
    NotPermitted,
    allow_observed,
    change_origin,
    remove_origins,
    replace_origins,
    set_enabled,
    update_policy,
    upsert_origins,
)
from tests.hostile.conftest import state

pytestmark = pytest.mark.django_db

API = "/api/cors_gate/v1"
VIEW = [
    "cors_gate.view_allowedorigin",
    "cors_gate.view_corspolicy",
    "cors_gate.view_observedorigin",
    "cors_gate.view_changerecord",
]
ADMIN = "/admin/cors_gate"


@pytest.fixture
def world() -> dict[str, int]:
    """A disabled rule the observed origin matches (the finding: allowing it enables the
    rule), an enabled rule, and two observed origins."""
    CorsPolicy.load()
    paused = AllowedOrigin.objects.create(pattern="https://apps.example.com", enabled=False)
    live = AllowedOrigin.objects.create(pattern="https://live.example.com")
    seen = ObservedOrigin.objects.create(origin="https://apps.example.com")
    new = ObservedOrigin.objects.create(origin="https://new.example.com")
    return {"paused": paused.pk, "live": live.pk, "seen": seen.pk, "new": new.pk}


def action(client: Client, model: str, name: str, ids: list[int]) -> None:
    client.post(f"{ADMIN}/{model}/", {"action": name, "_selected_action": ids, "post": "yes"})


def rule_form(**overrides: Any) -> dict[str, Any]:
    data = {"pattern": "https://added.example.com", "enabled": "on", "note": "", "paths": ""}
    data.update({"expires_at_0": "", "expires_at_1": ""}, **overrides)
    return data


POLICY_FORM = {
    "mode": "enforce",
    "allow_credentials": "on",
    "exposed_headers": "X-Changed",
    "allowed_methods": "",
    "allowed_headers": "",
    "max_age": "0",
    "urls_regex": "^.*$",
}

# operation -> {channel: write(admin client, api client, user, world)}
Write = Callable[[Client, APIClient, User, dict[str, int]], Any]
MATRIX: dict[str, dict[str, Write]] = {
    "allow_observed": {
        "admin action": lambda c, a, u, w: action(
            c, "observedorigin", "allow_selected", [w["seen"], w["new"]]
        ),
        "api": lambda c, a, u, w: a.post(
            f"{API}/observed/allow/", {"ids": [w["seen"], w["new"]]}, format="json"
        ),
        "services": lambda c, a, u, w: allow_observed(
            ["https://apps.example.com", "https://new.example.com"],
            note="",
            actor=Actor("shell", u),
        ),
    },
    "enable_origin": {
        "admin action": lambda c, a, u, w: action(
            c, "allowedorigin", "enable_selected", [w["paused"]]
        ),
        "api": lambda c, a, u, w: a.patch(
            f"{API}/origins/{w['paused']}/", {"enabled": True}, format="json"
        ),
        "services": lambda c, a, u, w: set_enabled(
            ["https://apps.example.com"], True, actor=Actor("shell", u)
        ),
    },
    "add_origin": {
        "admin form": lambda c, a, u, w: c.post(f"{ADMIN}/allowedorigin/add/", rule_form()),
        "api": lambda c, a, u, w: a.post(
            f"{API}/origins/", {"pattern": "https://added.example.com"}, format="json"
        ),
        "services": lambda c, a, u, w: upsert_origins(
            ["https://added.example.com"], actor=Actor("shell", u)
        ),
    },
    "change_origin": {
        "admin form": lambda c, a, u, w: c.post(
            f"{ADMIN}/allowedorigin/{w['live']}/change/",
            rule_form(pattern="https://live.example.com", note="changed"),
        ),
        "api": lambda c, a, u, w: a.patch(
            f"{API}/origins/{w['live']}/", {"note": "changed"}, format="json"
        ),
        "services": lambda c, a, u, w: change_origin(
            w["live"], {"note": "changed"}, actor=Actor("shell", u)
        ),
    },
    "delete_origin": {
        "admin action": lambda c, a, u, w: action(
            c, "allowedorigin", "delete_selected", [w["live"]]
        ),
        "admin form": lambda c, a, u, w: c.post(
            f"{ADMIN}/allowedorigin/{w['live']}/delete/", {"post": "yes"}
        ),
        "api": lambda c, a, u, w: a.delete(f"{API}/origins/{w['live']}/"),
        "services": lambda c, a, u, w: remove_origins(
            ["https://live.example.com"], actor=Actor("shell", u)
        ),
    },
    "change_policy": {
        "admin form": lambda c, a, u, w: c.post(f"{ADMIN}/corspolicy/1/change/", POLICY_FORM),
        "api": lambda c, a, u, w: a.patch(
            f"{API}/policy/", {"exposed_headers": ["X-Changed"]}, format="json"
        ),
        "services": lambda c, a, u, w: update_policy(
            {"exposed_headers": ["X-Changed"]}, actor=Actor("shell", u)
        ),
    },
    "replace_origins": {
        "api": lambda c, a, u, w: a.patch(
            f"{API}/policy/",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {
                        "op": "replace",
                        "path": "cloudGateCorsSettings",
                        "value": {"cloudGateCorsAllowedOrigins": ["https://added.example.com"]},
                    }
                ],
            },
            format="json",
        ),
        "services": lambda c, a, u, w: replace_origins(
            ["https://added.example.com"], actor=Actor("shell", u), source="test"
        ),
    },
}
CELLS = [
    (operation, channel, missing)
    for operation, channels in MATRIX.items()
    for channel in channels
    for missing in [*OPERATIONS[operation], None]
]


@pytest.mark.parametrize(
    ("operation", "channel", "missing"),
    CELLS,
    ids=[f"{o}-{c}-{(m or 'all').split('.')[-1]}" for o, c, m in CELLS],
)
def test_permission_matrix(
    make_user: Callable[..., User],
    world: dict[str, int],
    operation: str,
    channel: str,
    missing: str | None,
) -> None:
    # The Cloud Gate payload travels on the policy's route, which itself needs the policy's.
    route = {"cors_gate.change_corspolicy"} if operation == "replace_origins" else set()
    granted = [p for p in {*VIEW, *route, *OPERATIONS[operation]} if p != missing]
    user = make_user(*granted)
    admin_client, api_client = Client(), APIClient()
    admin_client.force_login(user)
    api_client.force_login(user)
    before = state()
    try:
        answer = MATRIX[operation][channel](admin_client, api_client, user, world)
    except NotPermitted as exc:
        answer = exc
    status = getattr(answer, "status_code", None)
    if missing is None:
        assert not isinstance(answer, Exception)
        assert status is None or status < 400, getattr(answer, "content", b"")[:300]
        assert state() != before, f"{operation} through {channel} changed nothing"
    else:
        assert state() == before, f"{operation} through {channel} without {missing}"
        if channel == "api":
            assert status == 403
        if channel == "services":
            assert isinstance(answer, NotPermitted) and missing in str(answer)
