"""Fixtures every suite shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from cors_gate import policy


@pytest.fixture(autouse=True)
def fresh_policy_state() -> Iterator[None]:
    """Each test starts with no snapshot and an empty cache, as a new process would."""
    policy.reset_for_tests()
    cache.clear()
    yield
    policy.reset_for_tests()
