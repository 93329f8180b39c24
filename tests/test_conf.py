"""Settings read through cors_gate.conf."""

from __future__ import annotations

from typing import Any

import pytest

from cors_gate import conf


@pytest.mark.parametrize(
    ("allowed_hosts", "debug", "longest"),
    [
        # "https://", the longest entry, a trailing dot and ":65535".
        (["lms.example.com", "studio.example.com"], False, 8 + 18 + 7),
        (["[::1]"], False, 8 + 5 + 7),
        # Entries that admit hosts of any length: no bound.
        (["lms.example.com", "*"], False, None),
        ([".example.com"], False, None),
        # Django's DEBUG default for an empty list includes ".localhost".
        ([], True, None),
    ],
)
def test_the_own_origin_is_bounded_by_allowed_hosts(
    settings: Any, allowed_hosts: list[str], debug: bool, longest: int | None
) -> None:
    settings.ALLOWED_HOSTS = allowed_hosts
    settings.DEBUG = debug
    assert conf.own_origin_max_length() == longest
