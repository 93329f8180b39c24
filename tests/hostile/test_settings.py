"""CORS_GATE_ALLOWED_ORIGINS, the one channel no form or service sees: `manage.py check`
(and so runserver and migrate) stops on an entry that would let unrelated sites in with
credentials, and no value of the setting makes the checks raise."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_gate.checks import run_checks
from tests.hostile.conftest import hostile_text, json_values, no_tracebacks

BROAD = ["https://*.com", "https://*.*", "*://*.*:*", "https://*.*.*", "https://*.co.uk"]


@pytest.mark.parametrize("entry", BROAD)
def test_a_broad_pinned_entry_is_a_check_error(entry: str) -> None:
    with override_settings(CORS_GATE_ALLOWED_ORIGINS=["https://apps.example.com", entry]):
        errors = [m for m in run_checks(deploy=False) if m.id == "cors_gate.E010"]
        assert len(errors) == 1
        assert "the policy sends credentials" in errors[0].msg
        assert "CORS_GATE_ALLOWED_ORIGINS" in errors[0].msg
        with pytest.raises(SystemCheckError, match=r"cors_gate\.E010"):
            call_command("check")


def test_narrow_pinned_entries_pass() -> None:
    entries = ["https://apps.example.com", "https://*.example.com", "https://*.myorg.github.io"]
    with override_settings(CORS_GATE_ALLOWED_ORIGINS=entries):
        assert not [m for m in run_checks(deploy=False) if m.id == "cors_gate.E010"]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=st.one_of(st.lists(hostile_text, max_size=4), json_values))
def test_any_setting_value_is_reported_never_raised(value: Any) -> None:
    with override_settings(CORS_GATE_ALLOWED_ORIGINS=value), no_tracebacks():
        messages = run_checks(deploy=False)
    for message in messages:
        assert "\n" not in message.msg
