"""The permission matrix: anonymous, authenticated non-staff, staff without and with each
permission, superuser — for every endpoint and method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, CorsPolicy, ObservedOrigin
from tests.api.conftest import ALL_PERMS, API

pytestmark = pytest.mark.django_db

V, A, C, D = "view", "add", "change", "delete"


def p(action: str, model: str) -> str:
    return f"cors_gate.{action}_{model}"


# (method, url, body, the permissions it needs, the success status)
CASES: list[tuple[str, str, Any, list[str], int]] = [
    ("get", "/origins/", None, [p(V, "allowedorigin")], 200),
    ("post", "/origins/", {"pattern": "https://new.example.com"}, [p(A, "allowedorigin")], 201),
    ("get", "/origins/{rule}/", None, [p(V, "allowedorigin")], 200),
    (
        "put",
        "/origins/{rule}/",
        {"pattern": "https://put.example.com"},
        [p(C, "allowedorigin")],
        200,
    ),
    ("patch", "/origins/{rule}/", {"enabled": False}, [p(C, "allowedorigin")], 200),
    ("delete", "/origins/{rule}/", None, [p(D, "allowedorigin")], 204),
    ("get", "/policy/", None, [p(V, "corspolicy")], 200),
    ("patch", "/policy/", {"max_age": 300}, [p(C, "corspolicy")], 200),
    ("get", "/observed/", None, [p(V, "observedorigin")], 200),
    ("get", "/observed/{seen}/", None, [p(V, "observedorigin")], 200),
    (
        "post",
        "/observed/allow/",
        {"ids": ["{seen}"]},
        [p(V, "observedorigin"), p(A, "allowedorigin"), p(C, "allowedorigin")],
        200,
    ),
    (
        "post",
        "/explain/",
        {"origin": "https://apps.example.com", "path": "/api/hello/"},
        [p(V, "allowedorigin"), p(V, "corspolicy")],
        200,
    ),
]
IDS = [f"{m.upper()} {u}" for m, u, *_ in CASES]


@pytest.fixture
def objects(db: Any) -> dict[str, int]:
    CorsPolicy.load()
    rule = AllowedOrigin.objects.create(pattern="https://apps.example.com")
    seen = ObservedOrigin.objects.create(origin="https://partner.example.org", count=3)
    return {"rule": rule.pk, "seen": seen.pk}


def call(client: APIClient, case: tuple[str, str, Any, list[str], int], ids: dict[str, int]) -> Any:
    method, url, body, _, _ = case
    url = API + url.format(**ids)
    if isinstance(body, dict) and body.get("ids") == ["{seen}"]:
        body = {"ids": [ids["seen"]]}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_anonymous_is_refused(case: Any, objects: dict[str, int]) -> None:
    response = call(APIClient(), case, objects)
    assert response.status_code == 403
    assert response.json()["detail"] == "Authentication credentials were not provided."


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_non_staff_is_refused_even_with_every_permission(
    case: Any,
    objects: dict[str, int],
    make_user: Callable[..., User],
    client_for: Callable[[User | None], APIClient],
) -> None:
    client = client_for(make_user(staff=False, perms=ALL_PERMS))
    assert call(client, case, objects).status_code == 403


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_staff_without_the_permission_is_refused(
    case: Any,
    objects: dict[str, int],
    make_user: Callable[..., User],
    client_for: Callable[[User | None], APIClient],
) -> None:
    needed = set(case[3])
    for missing in sorted(needed):
        client = client_for(make_user(perms=[q for q in ALL_PERMS if q != missing]))
        response = call(client, case, objects)
        assert response.status_code == 403, missing
    assert AllowedOrigin.objects.filter(pattern="https://apps.example.com").exists()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_staff_with_exactly_the_permission_succeeds(
    case: Any,
    objects: dict[str, int],
    make_user: Callable[..., User],
    client_for: Callable[[User | None], APIClient],
) -> None:
    client = client_for(make_user(perms=case[3]))
    response = call(client, case, objects)
    assert response.status_code == case[4], response.content


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_superuser_succeeds(
    case: Any,
    objects: dict[str, int],
    make_user: Callable[..., User],
    client_for: Callable[[User | None], APIClient],
) -> None:
    client = client_for(make_user(superuser=True))
    assert call(client, case, objects).status_code == case[4]


def test_inactive_staff_is_refused(objects: dict[str, int], make_user: Callable[..., User]) -> None:
    user = make_user(perms=ALL_PERMS)
    client = APIClient()
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(f"{API}/origins/").status_code == 403
