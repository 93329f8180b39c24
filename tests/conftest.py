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


@pytest.fixture(scope="session")
def firefox() -> Iterator[object]:
    """One headless Firefox ESR for the session (tests/browser/firefox.py), shared by the
    browser suite and explain's engine agreement tests; each user calls ``forget()``."""
    from pathlib import Path

    from tests.browser.firefox import FIREFOX, Firefox

    if not Path(FIREFOX).exists():
        pytest.skip(f"{FIREFOX} is missing: install the Debian package 'firefox-esr'")
    browser = Firefox()
    yield browser
    browser.close()
