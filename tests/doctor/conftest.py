"""Fixtures of the doctor tests: a real policy in the test database, an LMS-like site URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cors_gate.services import Actor, update_policy, upsert_origins

SITE = "https://lms.example.com"
IDP = "https://org.okta.example/app/edx/exk1/sso/saml"


@pytest.fixture
def site(db: Any, settings: Any) -> str:
    settings.CORS_GATE_SITE_URL = SITE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "lms.example.com"]
    settings.ROOT_URLCONF = "tests.browser.doctor_site"
    settings.DOCTOR_IDP_URL = IDP
    return SITE


@pytest.fixture
def allow(site: str) -> Callable[..., None]:
    """Allow origins the way an operator does (validated, recorded, revision bumped)."""
    actor = Actor("shell")

    def add(*patterns: str, **fields: Any) -> None:
        upsert_origins(list(patterns), actor=actor, **fields)

    return add


@pytest.fixture
def set_policy(site: str) -> Callable[..., None]:
    def change(**fields: Any) -> None:
        update_policy(fields, actor=Actor("shell"))

    return change
