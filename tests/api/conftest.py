"""Users with chosen permissions, and API clients logged in through real sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from cors_gate import observe
from cors_gate.models import ObservedOrigin

API = "/api/cors_gate/v1"

ALL_PERMS = [
    f"cors_gate.{action}_{model}"
    for model in ("allowedorigin", "corspolicy", "observedorigin")
    for action in ("view", "add", "change", "delete")
]


def grant(user: User, perms: Iterable[str]) -> User:
    for name in perms:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(*, staff: bool = True, perms: Iterable[str] = (), superuser: bool = False) -> User:
        user = User.objects.create_user(
            f"user{next(counter)}", password=None, is_staff=staff, is_superuser=superuser
        )
        return grant(user, perms)

    return make


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)  # a real session: SessionAuthentication does the work
        return client

    return make


@pytest.fixture
def admin_api(
    make_user: Callable[..., User], client_for: Callable[[User | None], APIClient]
) -> APIClient:
    client = client_for(make_user(perms=ALL_PERMS))
    return client


@pytest.fixture(autouse=True)
def quiet_recorder(db: Any) -> Any:
    """No background flush while API tests run (observations are flushed explicitly), and
    no rows left by another suite's background flush."""
    ObservedOrigin.objects.all().delete()
    yield observe.reset_for_tests(interval=3600)
    observe.reset_for_tests()
