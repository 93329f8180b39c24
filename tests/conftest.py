"""Fixtures every suite shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from cors_gate import observe, policy


@pytest.fixture(autouse=True)
def fresh_policy_state() -> Iterator[None]:
    """Each test starts as a new process would: no snapshot, an empty cache, and no buffered
    observations (a buffer flushed late would write rows outside the test's transaction)."""
    policy.reset_for_tests()
    observe.reset_for_tests()
    cache.clear()
    yield
    policy.reset_for_tests()
    observe.reset_for_tests()
