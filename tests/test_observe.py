"""Report-only recording: what the middleware saw, aggregated in memory, flushed in batches."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from cors_gate import observe
from cors_gate.models import AllowedOrigin, CorsPolicy, ObservedOrigin

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.middleware_urls")]

MFE = "https://apps.example.com"
PARTNER = "https://partner.example.org"


@pytest.fixture(autouse=True)
def recorder(db: Any) -> Iterator[observe.Recorder]:
    # A long interval: nothing flushes unless the test says so. Rows another suite's
    # background flush committed outside its test transaction would skew the counts.
    ObservedOrigin.objects.all().delete()
    yield observe.reset_for_tests(interval=3600)
    observe.reset_for_tests()


def set_mode(mode: str) -> None:
    policy = CorsPolicy.load()
    policy.mode = mode
    policy.save()


def rows() -> dict[str, ObservedOrigin]:
    return {o.origin: o for o in ObservedOrigin.objects.all()}


def test_column_lengths_match_the_model() -> None:
    field = ObservedOrigin._meta.get_field
    assert field("origin").max_length == observe.ORIGIN_MAX
    assert field("last_path").max_length == observe.PATH_MAX
    assert field("last_method").max_length == observe.METHOD_MAX


def test_report_only_counts_each_origin_and_what_the_rules_say(
    client: Client, recorder: observe.Recorder
) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    set_mode("report-only")
    for _ in range(3):
        response = client.get("/api/plain/", HTTP_ORIGIN=MFE)
        assert "Access-Control-Allow-Origin" not in response  # report-only changes nothing
    client.post("/api/plain/", HTTP_ORIGIN=PARTNER)
    client.put("/other/plain/", HTTP_ORIGIN=PARTNER)
    client.get("/api/plain/")  # not a CORS request: not recorded
    assert ObservedOrigin.objects.count() == 0  # nothing written before a flush

    result = recorder.flush()
    assert (result.written, result.overflow, result.failed) == (2, 0, False)
    seen = rows()
    assert set(seen) == {MFE, PARTNER}
    assert (seen[MFE].count, seen[MFE].would_allow) == (3, True)
    assert (seen[PARTNER].count, seen[PARTNER].would_allow) == (2, False)
    assert (seen[PARTNER].last_path, seen[PARTNER].last_method) == ("/other/plain/", "PUT")
    assert seen[PARTNER].first_seen < seen[PARTNER].last_seen


def test_counts_accumulate_over_flushes_and_keep_first_seen(
    client: Client, recorder: observe.Recorder
) -> None:
    set_mode("report-only")
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    recorder.flush()
    first = rows()[PARTNER]
    AllowedOrigin.objects.create(pattern=PARTNER)
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    recorder.flush()
    again = rows()[PARTNER]
    assert again.count == 3
    assert again.first_seen == first.first_seen
    assert again.last_seen > first.last_seen
    assert again.would_allow is True  # the latest verdict, after the rule was added


def test_enforce_records_unless_turned_off(
    client: Client, recorder: observe.Recorder, settings: Any
) -> None:
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    recorder.flush()
    assert rows()[PARTNER].would_allow is False  # the partner being blocked, visible

    settings.CORS_GATE_RECORD_OBSERVATIONS = False
    from cors_gate import policy

    policy.reset_for_tests()  # the setting is read once per snapshot
    client.get("/api/plain/", HTTP_ORIGIN=MFE)
    recorder.flush()
    assert MFE not in rows()

    set_mode("report-only")  # report-only always records
    client.get("/api/plain/", HTTP_ORIGIN=MFE)
    recorder.flush()
    assert rows()[MFE].count == 1


def test_off_records_nothing(client: Client, recorder: observe.Recorder) -> None:
    set_mode("off")
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    recorder.flush()
    assert rows() == {}


def test_distinct_origins_are_bounded_per_flush(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = observe.reset_for_tests(interval=3600, max_origins=3)
    set_mode("report-only")
    for i in range(5):
        client.get("/api/plain/", HTTP_ORIGIN=f"https://site{i}.example.com")
    client.get("/api/plain/", HTTP_ORIGIN="https://site0.example.com")  # known: still counted
    with caplog.at_level(logging.WARNING, logger="cors_gate.observe"):
        result = recorder.flush()
    assert (result.written, result.overflow) == (3, 2)
    assert "2 sightings of new origins were not recorded" in caplog.text
    assert rows()["https://site0.example.com"].count == 2
    # The next interval starts empty: new origins are recorded again.
    client.get("/api/plain/", HTTP_ORIGIN="https://site4.example.com")
    assert recorder.flush().written == 1


def test_hostile_values_are_stored_safely_and_flagged_unusable(
    client: Client, recorder: observe.Recorder
) -> None:
    set_mode("report-only")
    long_origin = "https://" + "a" * 600 + ".example.com"
    client.get("/api/plain/", HTTP_ORIGIN=long_origin)
    client.get("/api/plain/", HTTP_ORIGIN="https://apps.example.com\x00\nX-Injected: 1")
    client.get("/api/plain/", HTTP_ORIGIN="HTTPS://APPS.EXAMPLE.COM")
    client.get("/api/plain/" + "p" * 700, HTTP_ORIGIN=MFE)
    recorder.flush()
    seen = rows()
    stored_long = next(o for o in seen if o.startswith("https://aaaa"))
    assert len(stored_long) == 512 and stored_long.endswith("…")
    assert "https://apps.example.com\\x00\\nX-Injected: 1" in seen
    assert "HTTPS://APPS.EXAMPLE.COM" in seen  # as seen
    assert len(seen[MFE].last_path) == 500
    usable = {origin: observe.is_usable(origin) for origin in seen}
    assert usable == {
        stored_long: False,
        "https://apps.example.com\\x00\\nX-Injected: 1": False,
        "HTTPS://APPS.EXAMPLE.COM": False,
        MFE: True,
    }


def test_a_failed_flush_is_logged_and_dropped(
    client: Client, recorder: observe.Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    set_mode("report-only")
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    table = ObservedOrigin._meta.db_table
    with connection.cursor() as cursor:  # a real failure: the table is gone
        cursor.execute(f"ALTER TABLE {table} RENAME TO cors_gate_observed_away")
    with caplog.at_level(logging.ERROR, logger="cors_gate.observe"):
        result = recorder.flush()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE cors_gate_observed_away RENAME TO {table}")
    assert result.failed is True
    assert "dropped 1 observed origins: the flush failed" in caplog.text
    # Dropped, not retried: the next flush starts from new sightings only.
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    recorder.flush()
    assert rows()[PARTNER].count == 1


@pytest.mark.django_db(transaction=True)
def test_the_request_path_triggers_a_background_flush(client: Client) -> None:
    recorder = observe.reset_for_tests(interval=0)
    set_mode("report-only")
    response = client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    assert response.status_code == 200
    worker = recorder.worker
    assert worker is not None
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert rows()[PARTNER].count == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_background_flush_never_fails_a_request(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = observe.reset_for_tests(interval=0)
    set_mode("report-only")
    table = ObservedOrigin._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO cors_gate_observed_away")
    try:
        with caplog.at_level(logging.ERROR, logger="cors_gate.observe"):
            response = client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
            assert response.status_code == 200
            assert recorder.worker is not None
            recorder.worker.join(timeout=10)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE cors_gate_observed_away RENAME TO {table}")
    assert "the flush failed" in caplog.text


def test_a_flush_is_only_checked_by_timestamp_between_intervals(client: Client) -> None:
    recorder = observe.reset_for_tests(interval=3600)
    set_mode("report-only")
    for _ in range(50):
        client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    assert recorder.worker is None  # no flush was started within the interval
    assert recorder.buffer[PARTNER].count == 50


def test_the_async_middleware_path_records_too(recorder: observe.Recorder) -> None:
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def fetch() -> Any:
        return await AsyncClient().get("/api/plain/", headers={"Origin": PARTNER})

    set_mode("report-only")
    async_to_sync(fetch)()
    assert recorder.buffer[PARTNER].count == 1
    assert recorder.flush().written == 1
    assert rows()[PARTNER].last_method == "GET"
