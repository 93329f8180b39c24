"""Faults while serving: the database stops, the cache stops. Requests keep their answers."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.integration.client import Seen, hammer
from tests.integration.conftest import Stack
from tests.integration.watch import allowed, log_lines, per_worker_gaps, wait_for_every_worker

pytestmark = pytest.mark.integration

REFRESH_FAILED = "could not refresh the CORS policy"
CACHE_DOWN = "cache unavailable; reading the revision from the database"


def assert_served_on_last_good(results: list[Seen], kept: str, denied: str) -> None:
    assert results, "no request was made"
    failed = [s for s in results if s.status != 200 or s.error]
    assert not failed, f"{len(failed)} of {len(results)} requests failed, first {failed[0]}"
    assert all(allowed(s) for s in results if s.origin == kept)
    assert not [s for s in results if s.origin == denied and s.acao is not None]


def assert_once_per_interval(
    stack: Stack, text: str, message: str, window: float, changes: int = 0
) -> None:
    """About one line per worker per refresh interval, not one per request.

    A line's time includes the failed attempt's own duration, so gaps jitter around the
    interval; a change served by a worker makes it check again at once (bump_revision
    invalidates its snapshot), hence `changes`.
    """
    lines = log_lines(text, message)
    assert lines, f"no worker logged {message!r}"
    workers = stack.gunicorn.worker_pids()
    assert {line.pid for line in lines} <= workers
    for pid, gaps in per_worker_gaps(lines).items():
        early = [gap for gap in gaps if gap < stack.refresh * 0.5]
        assert len(early) <= changes, (pid, gaps)
        count = len(gaps) + 1
        assert count <= window / stack.refresh + 1 + changes, (pid, count, window)


def test_database_outage_serves_the_last_good_snapshot(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    kept, denied = f"https://kept-{tag}.faults.example", f"https://denied-{tag}.faults.example"
    workers = stack.gunicorn.worker_pids()
    limit = stack.refresh + 1.0
    asked, _ = stack.add(kept)
    wait_for_every_worker(stack.port, workers, kept, allow=True, since=asked, limit=limit)

    mark = stack.log_size()
    stack.mariadb.stop()
    try:
        # The revision in Redis has not changed: no worker needs the database.
        quiet = hammer(stack.port, [kept, denied], seconds=2.0, max_requests=3_000)
        assert_served_on_last_good(quiet, kept, denied)
        # Redis loses the revision (restart, eviction): every worker must ask the database,
        # fails, logs it once per interval and keeps serving its last good snapshot.
        stack.redis.client().flushall()
        started = time.time()
        outage = hammer(stack.port, [kept, denied], seconds=3.5, max_requests=20_000)
        assert_served_on_last_good(outage, kept, denied)
        text = stack.log_since(mark)
        # Up to the read: a check begun during the hammer logs when its connection attempt
        # fails, which can be after the last request; those lines are in `text` too.
        window = time.time() - started
        assert_once_per_interval(stack, text, REFRESH_FAILED, window)
        logged = log_lines(text, REFRESH_FAILED)
        print(
            f"\ndatabase down: {len(quiet) + len(outage)} requests, all 200 on the last good "
            f"snapshot; {len(logged)} refresh errors logged by "
            f"{len({line.pid for line in logged})} workers in {window:.1f} s"
        )
    finally:
        stack.mariadb.start()

    # Back: the next change is picked up by every worker (connections are re-opened).
    fresh = f"https://after-{tag}.faults.example"
    asked, _ = stack.add(fresh)
    back = wait_for_every_worker(
        stack.port, workers, fresh, allow=True, since=asked, limit=limit + 1.0
    )
    print(f"database back: a new rule reached every worker in {back.seconds:.3f} s")
    stack.remove(fresh)
    stack.remove(kept)


def test_redis_outage_falls_back_to_the_database(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    kept, denied = f"https://kept-{tag}.nocache.example", f"https://denied-{tag}.nocache.example"
    workers = stack.gunicorn.worker_pids()
    limit = stack.refresh + 1.0
    asked, _ = stack.add(kept)
    wait_for_every_worker(stack.port, workers, kept, allow=True, since=asked, limit=limit)

    mark = stack.log_size()
    stack.redis.stop()
    try:
        started = time.time()
        during = hammer(stack.port, [kept, denied], seconds=2.0, max_requests=3_000)
        assert_served_on_last_good(during, kept, denied)
        # A change made while Redis is down still reaches every worker, through the database.
        added = f"https://added-{tag}.nocache.example"
        asked, _ = stack.add(added)
        reached = wait_for_every_worker(
            stack.port, workers, added, allow=True, since=asked, limit=limit
        )
        asked, _ = stack.remove(added)
        gone = wait_for_every_worker(
            stack.port, workers, added, allow=False, since=asked, limit=limit
        )
        window = time.time() - started
        assert_once_per_interval(stack, stack.log_since(mark), CACHE_DOWN, window, changes=2)
        print(
            f"\nredis down: changes reached every worker through the database in "
            f"{reached.seconds:.3f} s (add) and {gone.seconds:.3f} s (remove)"
        )
    finally:
        stack.redis.start()

    # Redis back (empty): the revision is read from the database and published again.
    fresh = f"https://after-{tag}.nocache.example"
    asked, _ = stack.add(fresh)
    wait_for_every_worker(stack.port, workers, fresh, allow=True, since=asked, limit=limit)
    stack.remove(fresh)
    stack.remove(kept)
