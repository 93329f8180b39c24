"""Cloud Gate's settings payload, over the API and from a file: all or nothing, one change
record per payload, bounded reads, and hostile payloads refused with the member named."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from cors_gate.models import AllowedOrigin, ChangeRecord
from cors_gate.services import Actor, update_policy
from tests.hostile.conftest import (
    hostile_text,
    json_values,
    no_tracebacks,
    one_line,
    raw_json,
    state,
)

pytestmark = pytest.mark.django_db

POLICY = "/api/cors_gate/v1/policy/"
SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
KEYS = [
    "cloudGateCorsEnabled",
    "cloudGateCorsAllowNullOrigin",
    "cloudGateCorsAllowedOrigins",
    "cloudGateCorsMaxAge",
    "cloudGateCorsExposedHeaders",
]


def patch_op(**value: Any) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA],
        "Operations": [{"op": "replace", "path": "cloudGateCorsSettings", "value": value}],
    }


@pytest.fixture
def api(make_user: Callable[..., User]) -> APIClient:
    client = APIClient()
    client.force_login(make_user(superuser=True))
    return client


def send(api: APIClient, body: Any) -> Any:
    text = body if isinstance(body, str) else raw_json(body)
    return api.generic("PATCH", POLICY, text, content_type="application/scim+json")


settings_values = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), hostile_text),
    st.one_of(json_values, st.lists(hostile_text, max_size=4)),
    max_size=4,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=settings_values)
def test_any_payload_is_applied_whole_or_refused_with_nothing_written(
    api: APIClient, value: dict[str, Any]
) -> None:
    before = state()
    with no_tracebacks():
        response = send(api, patch_op(**value))
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert state() == before
        [(member, messages)] = response.json().items()  # a member's list, or the body's detail
        for message in messages if isinstance(messages, list) else [messages]:
            assert one_line(message) and member
    else:
        assert api.get(POLICY).status_code == 200


@pytest.mark.parametrize(
    "origin", ["https://*.com", "https://*.*", "*://*.*:*", "https://*.*.*", "https://*.co.uk"]
)
def test_broad_origins_in_a_payload_are_refused_naming_the_member(
    api: APIClient, origin: str
) -> None:
    AllowedOrigin.objects.create(pattern="https://apps.example.com")
    before = state()
    response = send(
        api,
        patch_op(
            cloudGateCorsMaxAge=60, cloudGateCorsAllowedOrigins=["https://a.example.com", origin]
        ),
    )
    assert response.status_code == 400
    member = "Operations[0].value.cloudGateCorsAllowedOrigins[1]"
    assert "the policy sends credentials" in response.json()[member][0]
    assert state() == before


def test_thousands_of_origins_are_one_change_record_and_replace_in_one_go(
    api: APIClient,
) -> None:
    first = [f"https://a{i}.apps.example.com" for i in range(2_000)]
    second = [f"https://b{i}.apps.example.com" for i in range(2_000)] + first[:10]
    started = time.perf_counter()
    assert send(api, patch_op(cloudGateCorsAllowedOrigins=first)).status_code == 200
    response = send(api, patch_op(cloudGateCorsAllowedOrigins=second))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert set(AllowedOrigin.objects.values_list("pattern", flat=True)) == set(second)
    records = list(ChangeRecord.objects.order_by("at", "id"))
    assert [r.action for r in records] == ["replace", "replace"]
    assert records[1].detail["counts"] == {"add": 2_000, "enable": 0, "keep": 10, "delete": 1_990}
    assert len(records[1].detail["delete"]) == 1_990  # each deleted rule's state, to undo it
    # Not a timing target (that is `make bench`): a guard against one query per rule.
    assert elapsed < 60


def test_a_payload_refused_late_leaves_the_policy_values_too(api: APIClient) -> None:
    update_policy({"allow_credentials": True}, actor=Actor("command"))
    before = state()
    response = send(api, patch_op(cloudGateCorsMaxAge=60, cloudGateCorsExposedHeaders=["X A"]))
    assert response.status_code == 400
    assert state() == before


# --- from a file ---------------------------------------------------------------------------


def run_import(path: str | Path) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("cors_gate_origins", "import", "--cloud-gate", str(path))
    message = str(caught.value)
    assert one_line(message)
    return message


def test_devices_fifos_and_directories_are_refused_without_reading(tmp_path: Path) -> None:
    before = state()
    fifo = tmp_path / "payload.fifo"
    os.mkfifo(fifo)  # no writer: opening it for reading the usual way would wait forever
    started = time.perf_counter()
    assert run_import("/dev/zero").endswith("is not a regular file")
    assert run_import(fifo).endswith("is not a regular file")
    assert run_import(tmp_path).endswith("is not a regular file")
    assert time.perf_counter() - started < 10
    assert "No such file" in run_import(tmp_path / "missing.json")
    assert state() == before


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    assert "larger than" in run_import(big)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "deeper than"),
        ('{"Operations": ' + "9" * 5000 + "}", "digits"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('{"Operations": NaN}', "not a JSON value"),
    ],
    ids=["deep", "5000-digits", "not-utf8", "nan"],
)
def test_hostile_files_are_one_line_errors(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    path = tmp_path / "payload.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = state()
    with no_tracebacks():
        assert expected in run_import(path)
    assert state() == before
