"""Fixtures for the explain tests: a real policy in the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cors_gate import policy
from cors_gate.models import AllowedOrigin, CorsPolicy


@pytest.fixture
def rules(db: Any, settings: Any) -> Iterator[Callable[..., None]]:
    """Configure the policy: `rules(["https://apps.example.com"], allowed_headers=[...])`."""
    settings.CORS_GATE_SITE_URL = "https://lms.example.com"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "lms.example.com"]
    policy.reset_for_tests()

    def configure(patterns: list[str | dict[str, Any]], **policy_fields: Any) -> None:
        for entry in patterns:
            fields = {"pattern": entry} if isinstance(entry, str) else entry
            AllowedOrigin.objects.create(**fields)
        current = CorsPolicy.load()
        for name, value in policy_fields.items():
            setattr(current, name, value)
        current.save()
        policy.reset_for_tests()

    yield configure
    policy.reset_for_tests()
