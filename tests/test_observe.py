"""Report-only recording: what the middleware saw, aggregated in memory, flushed in batches."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cors_gate import observe
from cors_gate.models import AllowedOrigin, CorsPolicy, ObservedOrigin
from cors_gate.services import may_become_rule

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


def test_sightings_are_cut_to_the_model_column_lengths(recorder: observe.Recorder) -> None:
    field = ObservedOrigin._meta.get_field
    recorder.record("https://" + "a" * 600 + ".example", False, "/" + "p" * 900, "M" * 40)
    [(origin, sighting)] = recorder.buffer.items()
    assert len(origin) == field("origin").max_length
    assert len(sighting.last_path) == field("last_path").max_length
    assert len(sighting.last_method) == field("last_method").max_length


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


def full_recorder(client: Client, max_origins: int) -> observe.Recorder:
    """A report-only recorder whose buffer holds its bound: site0 … site<n-1>.example.com."""
    recorder = observe.reset_for_tests(interval=3600, max_origins=max_origins)
    set_mode("report-only")
    for i in range(max_origins):
        client.get("/api/plain/", HTTP_ORIGIN=f"https://site{i}.example.com")
    recorder.drain()
    assert recorder.full
    return recorder


def test_a_full_buffer_queues_no_sighting_of_a_new_origin(client: Client) -> None:
    # A random-Origin flood past the bound: each new origin is counted as overflow on the
    # request path instead of being queued for the fold to drop.
    recorder = full_recorder(client, 3)
    client.get("/api/plain/", HTTP_ORIGIN="https://flood.example.net")
    assert not recorder.pending
    client.get("/api/plain/", HTTP_ORIGIN="https://site1.example.com")  # known: queued
    assert len(recorder.pending) == 1
    result = recorder.flush()
    assert (result.written, result.overflow) == (3, 1)
    assert rows()["https://site1.example.com"].count == 2
    assert not recorder.full  # a new interval, a new buffer


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_new_origins_past_the_bound_still_flushes_on_time(client: Client) -> None:
    recorder = full_recorder(client, 2)
    recorder.flush_due = 0.0  # the interval is up
    for i in range(observe.FLOOD_CLOCK_EVERY):  # new origins: counted, not queued
        client.get("/api/plain/", HTTP_ORIGIN=f"https://flood{i}.example.net")
    worker = recorder.worker
    assert worker is not None
    worker.join(timeout=10)
    assert set(rows()) == {"https://site0.example.com", "https://site1.example.com"}


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
    usable = {origin: may_become_rule(origin) for origin in seen}
    assert usable == {
        stored_long: False,
        "https://apps.example.com\\x00\\nX-Injected: 1": False,
        "HTTPS://APPS.EXAMPLE.COM": False,
        MFE: True,
    }


def test_a_failed_flush_is_logged_and_kept_for_the_next_one(
    client: Client, recorder: observe.Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    set_mode("report-only")
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    table = ObservedOrigin._meta.db_table
    with connection.cursor() as cursor:  # a real failure: the table is gone
        cursor.execute(f"ALTER TABLE {table} RENAME TO cors_gate_observed_away")
    with caplog.at_level(logging.WARNING, logger="cors_gate.observe"):
        result = recorder.flush()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE cors_gate_observed_away RENAME TO {table}")
    assert result.failed is True
    assert "could not write 1 observed origins after 4 attempts" in caplog.text
    assert "keeping them for the next flush" in caplog.text
    # Kept, not dropped: the next flush writes both sightings.
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    assert recorder.flush().written == 1
    assert rows()[PARTNER].count == 2


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
        with caplog.at_level(logging.WARNING, logger="cors_gate.observe"):
            response = client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
            assert response.status_code == 200
            assert recorder.worker is not None
            recorder.worker.join(timeout=10)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE cors_gate_observed_away RENAME TO {table}")
    assert "keeping them for the next flush" in caplog.text
    assert recorder.buffer[PARTNER].count == 1  # back in the buffer for the next flush


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


def test_same_origin_requests_are_not_recorded(client: Client, recorder: observe.Recorder) -> None:
    set_mode("report-only")
    # Browsers send Origin on same-origin POSTs: the site's own origin is not cross-origin.
    client.post("/api/plain/", HTTP_ORIGIN="http://testserver")
    client.post("/api/plain/", HTTP_ORIGIN="http://localhost:8000", HTTP_HOST="localhost:8000")
    client.post("/api/plain/", HTTP_ORIGIN="https://testserver")  # other scheme: cross-origin
    client.post("/api/plain/", HTTP_ORIGIN="http://testserver:8080")  # other port
    assert set(recorder.buffer) == {"https://testserver", "http://testserver:8080"}


def test_same_origin_honours_secure_proxy_ssl_header(
    client: Client, recorder: observe.Recorder, settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    set_mode("report-only")
    behind_tls = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "testserver"}
    client.post("/api/plain/", HTTP_ORIGIN="https://testserver", **behind_tls)  # own origin
    client.post("/api/plain/", HTTP_ORIGIN="http://testserver", **behind_tls)  # downgrade
    assert set(recorder.buffer) == {"http://testserver"}


def test_the_own_origin_is_known_at_its_longest_and_through_a_forwarded_host(
    client: Client, recorder: observe.Recorder, settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["lms.example.com", "apps.lms.example.com", "testserver"]
    set_mode("report-only")
    # "https://" and the whole Host header: as long as an own origin can be.
    longest = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "lms.example.com:18443"}
    client.post("/api/plain/", HTTP_ORIGIN="https://lms.example.com:18443", **longest)
    client.post("/api/plain/", HTTP_ORIGIN="https://lms.example.com:184430", **longest)
    # Behind a proxy that forwards a longer host than the one it connects with.
    settings.USE_X_FORWARDED_HOST = True
    proxied = {"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_HOST": "apps.lms.example.com"}
    client.post("/api/plain/", HTTP_ORIGIN="http://apps.lms.example.com", **proxied)
    client.post("/api/plain/", HTTP_ORIGIN="http://testserver", **proxied)
    assert set(recorder.buffer) == {"https://lms.example.com:184430", "http://testserver"}


def test_the_longest_own_origin_allowed_hosts_admit_is_not_recorded(
    client: Client, recorder: observe.Recorder, settings: Any
) -> None:
    # The bound that lets long Origins skip the same-origin test is not too tight: the
    # longest Origin that can be the site's own (the longest allowed host, port 65535).
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["testserver", "learning.lms.example.com"]
    set_mode("report-only")  # the snapshot reads ALLOWED_HOSTS when it is built
    own = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "learning.lms.example.com:65535"}
    client.post("/api/plain/", HTTP_ORIGIN="https://learning.lms.example.com:65535", **own)
    client.post("/api/plain/", HTTP_ORIGIN="https://learning.lms.example.com:6553", **own)
    assert set(recorder.buffer) == {"https://learning.lms.example.com:6553"}


def test_a_sighting_is_stamped_with_the_time_it_was_seen(
    client: Client, recorder: observe.Recorder
) -> None:
    set_mode("report-only")
    before = timezone.now()
    client.get("/api/plain/", HTTP_ORIGIN=PARTNER)
    after = timezone.now()
    recorder.flush()
    row = rows()[PARTNER]
    # Stamped on the monotonic clock, stored in epoch time: within this test's window.
    assert before - timedelta(seconds=1) <= row.first_seen <= row.last_seen
    assert row.last_seen <= after + timedelta(seconds=1)


def test_a_disallowed_host_is_not_taken_for_the_own_origin(
    client: Client, recorder: observe.Recorder
) -> None:
    set_mode("report-only")
    client.post("/api/plain/", HTTP_ORIGIN="http://evil.example", HTTP_HOST="evil.example")
    assert "http://evil.example" in recorder.buffer


def test_the_table_keeps_the_most_recently_seen_rows(
    recorder: observe.Recorder, settings: Any
) -> None:
    settings.CORS_GATE_OBSERVED_MAX_ROWS = 3
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        recorder.record(f"https://o{i}.example", False, "/", "GET", start + timedelta(minutes=i))
    assert recorder.flush().written == 5
    assert set(rows()) == {"https://o2.example", "https://o3.example", "https://o4.example"}
    # An old origin seen again is recent again; the least recently seen goes.
    recorder.record("https://o0.example", False, "/", "GET", start + timedelta(hours=1))
    recorder.flush()
    assert set(rows()) == {"https://o0.example", "https://o3.example", "https://o4.example"}


def test_a_batch_put_back_stays_within_the_buffer_bound() -> None:
    recorder = observe.Recorder(interval=3600, max_origins=2)
    recorder.record("https://a.example", False, "/", "GET")
    failed = {
        "https://a.example": observe.Sighting(False, 4, 1.0, 2.0, "/", "GET"),
        "https://b.example": observe.Sighting(False, 1, 1.0, 2.0, "/", "GET"),
        "https://c.example": observe.Sighting(False, 1, 1.0, 2.0, "/", "GET"),
    }
    assert recorder.requeue(failed) == 1
    assert set(recorder.buffer) == {"https://a.example", "https://b.example"}
    assert recorder.buffer["https://a.example"].count == 5
    assert recorder.overflow == 1


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_is_waited_out_not_dropped() -> None:
    """Another connection holds the write lock; the flush retries and gets through."""
    recorder = observe.reset_for_tests(interval=3600)
    recorder.record(PARTNER, False, "/api/", "POST")
    name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        pytest.skip("this lock is SQLite's; MariaDB's lock waits are in tests/integration")
    uri = name if str(name).startswith("file:") else f"file:{name}"
    other = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    other.execute(
        f"INSERT INTO {ObservedOrigin._meta.db_table} (origin, would_allow, count, first_seen, "
        "last_seen, last_path, last_method) VALUES (?, 0, 3, '2026-01-01', '2026-01-01', '', '')",
        (PARTNER,),
    )
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        result = recorder.flush()
    finally:
        release.join()
        other.close()
    assert not result.failed
    assert rows()[PARTNER].count == 4  # merged with the other writer's row, not dropped


def test_buffered_sightings_are_written_when_the_process_exits(tmp_path: Path) -> None:
    db = tmp_path / "exit.sqlite3"
    env = {**os.environ, "CORS_GATE_DB": str(db), "DJANGO_SETTINGS_MODULE": "test_settings"}
    root = Path(__file__).resolve().parent.parent
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=root, check=True)
    script = (
        "from cors_gate import observe; "
        "observe.recorder().record('https://exit.example', False, '/api/', 'POST')"
    )
    subprocess.run([*manage, "shell", "-c", script], env=env, cwd=root, check=True, timeout=60)
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            f"SELECT origin, count FROM {ObservedOrigin._meta.db_table}"
        ).fetchall()
    assert stored == [("https://exit.example", 1)]


def test_the_request_path_queue_is_bounded(
    recorder: observe.Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observe, "PENDING_MAX", 3)
    monkeypatch.setattr(observe, "DRAIN_AT", 1_000)  # nothing folds the queue in meanwhile
    queued = [recorder.record(f"https://q{i}.example", False, "/", "GET") for i in range(5)]
    assert queued == [True, True, True, False, False]
    result = recorder.flush()
    assert (result.written, result.overflow) == (3, 2)
    assert set(rows()) == {"https://q0.example", "https://q1.example", "https://q2.example"}


@pytest.mark.django_db(transaction=True)
def test_a_full_queue_is_folded_in_by_a_helper_thread_between_flushes(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = observe.reset_for_tests(interval=3600)
    monkeypatch.setattr(observe, "DRAIN_AT", 4)
    set_mode("report-only")
    for i in range(4):
        client.get("/api/plain/", HTTP_ORIGIN=f"https://d{i}.example")
    worker = recorder.worker
    assert worker is not None  # started by the fourth request
    worker.join(timeout=10)
    assert not recorder.pending  # folded into the buffer, in that thread
    assert len(recorder._buffer) == 4
    assert not rows()  # the interval is not up: nothing written yet
