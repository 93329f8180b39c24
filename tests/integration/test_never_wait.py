"""The request path never waits on the database: a locked SQLite file and a paused MariaDB,
each while requests flow. Answers stay those of the last good snapshot, fast, and a change
made after the fault clears reaches every worker."""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.client import Seen, hammer
from tests.integration.conftest import REFRESH_SECONDS, Stack, run_django, warm_up
from tests.integration.servers import Gunicorn, cleanup_dir
from tests.integration.watch import allowed, wait_for_every_worker

pytestmark = pytest.mark.integration

P99_MAX_S = 0.100
# No request may wait out a database timeout (SQLite's 5 s busy timeout, MariaDB's 10 s read
# timeout): the slowest answer stays far below them, with room for a busy test machine.
MAX_S = 2.0
SQLITE_SETTINGS = "tests.integration.settings_sqlite"


def p99(results: list[Seen]) -> float:
    latencies = sorted(s.received - s.sent for s in results)
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def assert_fast_and_unchanged(results: list[Seen], kept: str, denied: str) -> None:
    assert len(results) > 100, f"only {len(results)} requests were made"
    failed = [s for s in results if s.status != 200 or s.error]
    assert not failed, f"{len(failed)} of {len(results)} requests failed, first {failed[0]}"
    assert all(allowed(s) for s in results if s.origin == kept)
    assert not [s for s in results if s.origin == denied and s.acao is not None]
    slowest = max(s.received - s.sent for s in results)
    assert p99(results) < P99_MAX_S and slowest < MAX_S, (
        f"p99 {p99(results) * 1000:.0f} ms, max {slowest * 1000:.0f} ms "
        f"over {len(results)} requests"
    )


def summary(results: list[Seen], seconds: float) -> str:
    latencies = [s.received - s.sent for s in results]
    return (
        f"{len(results)} requests in {seconds:.1f} s, median "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 {p99(results) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, Path]]:
    workdir = tmp_path_factory.mktemp("sqlite-site")
    db = workdir / "site.sqlite3"
    env = {"CORS_GATE_IT_SQLITE": str(db), "CORS_GATE_IT_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    done = run_django(["migrate", "--noinput"], env, SQLITE_SETTINGS)
    assert done.returncode == 0, done.stderr[-3000:]
    server = Gunicorn(workdir, env, settings=SQLITE_SETTINGS)
    try:
        server.start()
        warm_up(server)
        yield server, db
    finally:
        server.stop()
        cleanup_dir(workdir)


def add_rule(db: Path, pattern: str) -> float:
    """Add a rule the way an operator does (the management command, its own process)."""
    started = time.time()
    env = {"CORS_GATE_IT_SQLITE": str(db)}
    done = run_django(["cors_gate_origins", "add", pattern], env, SQLITE_SETTINGS)
    assert done.returncode == 0, done.stderr[-3000:]
    return started


def test_a_12_second_exclusive_sqlite_lock_stalls_no_request(
    sqlite_site: tuple[Gunicorn, Path],
) -> None:
    server, db = sqlite_site
    tag = uuid.uuid4().hex[:8]
    kept, denied = f"https://kept-{tag}.lock.example", f"https://denied-{tag}.lock.example"
    workers = server.worker_pids()
    asked = add_rule(db, kept)
    wait_for_every_worker(server.port, workers, kept, allow=True, since=asked, limit=3.0)

    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # every reader and writer now waits or fails
    timer = threading.Timer(12.0, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        started = time.time()
        # The checks come due every second in every worker: all of them meet the lock.
        during = hammer(server.port, [kept, denied], seconds=11.0, max_requests=50_000, threads=4)
        window = time.time() - started
    finally:
        timer.join()
        holder.close()
    print(f"\nSQLite locked for 12 s: {summary(during, window)}")
    assert_fast_and_unchanged(during, kept, denied)

    # The lock is gone: a change made now reaches every worker.
    fresh = f"https://after-{tag}.lock.example"
    asked = add_rule(db, fresh)
    back = wait_for_every_worker(server.port, workers, fresh, allow=True, since=asked, limit=6.0)
    print(f"lock released: a new rule reached every worker in {back.seconds:.3f} s")


def test_a_paused_mariadb_stalls_no_request(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    kept, denied = f"https://kept-{tag}.paused.example", f"https://denied-{tag}.paused.example"
    workers = stack.gunicorn.worker_pids()
    limit = stack.refresh + 1.0
    asked, _ = stack.add(kept)
    wait_for_every_worker(stack.port, workers, kept, allow=True, since=asked, limit=limit)

    proc = stack.mariadb.proc
    assert proc is not None
    # Redis loses the revision: every worker's next check must ask the paused database.
    stack.redis.client().flushall()
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        started = time.time()
        during = hammer(stack.port, [kept, denied], seconds=6.0, max_requests=30_000, threads=4)
        window = time.time() - started
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    print(f"\nMariaDB paused (SIGSTOP) for {window:.1f} s: {summary(during, window)}")
    assert_fast_and_unchanged(during, kept, denied)

    # Running again: a change made now reaches every worker.
    fresh = f"https://after-{tag}.paused.example"
    asked, _ = stack.add(fresh)
    back = wait_for_every_worker(
        stack.port, workers, fresh, allow=True, since=asked, limit=limit + 10.0
    )
    print(f"MariaDB resumed: a new rule reached every worker in {back.seconds:.3f} s")
    stack.remove(fresh)
    stack.remove(kept)


def test_gunicorn_workers_write_their_observations_when_they_stop(
    tmp_path: Path,
) -> None:
    """Sightings buffered in each worker (flushes come every 10 s) are written at shutdown."""
    db = tmp_path / "site.sqlite3"
    env = {"CORS_GATE_IT_SQLITE": str(db), "CORS_GATE_IT_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    done = run_django(["migrate", "--noinput"], env, SQLITE_SETTINGS)
    assert done.returncode == 0, done.stderr[-3000:]
    server = Gunicorn(tmp_path / "gunicorn", env, settings=SQLITE_SETTINGS, workers=2)
    origins = [f"https://seen-{i}.shutdown.example" for i in range(20)]
    try:
        server.start()
        seen = hammer(server.port, origins, seconds=3.0, max_requests=200, threads=2)
        assert seen and all(s.status == 200 for s in seen)
    finally:
        server.stop()  # SIGTERM: gunicorn's graceful shutdown, workers exit normally
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT origin, count FROM cors_gate_observedorigin"))
    sent = {o: sum(1 for s in seen if s.origin == o) for o in origins}
    # The client may drop the results of its last in-flight requests (one per thread).
    assert {o for o, n in sent.items() if n} <= set(stored)
    assert all(sent[o] <= stored[o] <= sent[o] + 2 for o in sent if sent[o])
