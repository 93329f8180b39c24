"""Several processes: gunicorn with 4 workers, Django's cache on Redis, MariaDB.

A rule changed in one process must be enforced by every worker within
CORS_GATE_REFRESH_SECONDS + 1 s, and stay correct under concurrent load while rules change.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict

import pytest

from tests.integration.client import Seen, hammer
from tests.integration.conftest import Stack
from tests.integration.watch import allowed, wait_for_every_worker

pytestmark = pytest.mark.integration


def test_a_rule_change_reaches_every_worker_within_the_refresh_interval(stack: Stack) -> None:
    origin = f"https://mfe-{uuid.uuid4().hex[:8]}.propagation.example"
    workers = stack.gunicorn.worker_pids()
    assert len(workers) == 4
    limit = stack.refresh + 1.0

    # Every worker has its snapshot and denies the origin before the change.
    before = wait_for_every_worker(
        stack.port, workers, origin, allow=False, since=time.time(), limit=limit
    )
    assert before.requests > 0

    # Measured from the moment the change was asked for (its commit comes a little later).
    asked, answered = stack.add(origin)
    added = wait_for_every_worker(stack.port, workers, origin, allow=True, since=asked, limit=limit)
    asked_removal, _ = stack.remove(origin)
    removed = wait_for_every_worker(
        stack.port, workers, origin, allow=False, since=asked_removal, limit=limit
    )
    print(
        f"\npropagation to all 4 workers (refresh {stack.refresh:g} s): "
        f"added {added.seconds:.3f} s, removed {removed.seconds:.3f} s after the API call began "
        f"(the POST itself took {answered - asked:.3f} s; "
        f"{added.requests + removed.requests} requests)"
    )
    assert added.seconds <= limit, added.per_worker
    assert removed.seconds <= limit, removed.per_worker


Story = list[tuple[str, float, float]]  # (add|remove, call began, call finished), in order


def allowed_spans(story: Story, *, certain: bool) -> list[tuple[float, float]]:
    """When the rule existed: `certain` from the add's end to the remove's start; otherwise
    (possibly) from the add's start to the remove's end (each commit falls inside its call)."""
    spans: list[tuple[float, float]] = []
    opened: float | None = None
    for verb, began, finished in story:
        if verb == "add":
            opened = finished if certain else began
        elif opened is not None:
            spans.append((opened, began if certain else finished))
            opened = None
    if opened is not None:
        spans.append((opened, float("inf")))
    return spans


def allowed_at_some_point(story: Story, start: float, end: float) -> bool:
    return any(lo <= end and hi >= start for lo, hi in allowed_spans(story, certain=False))


def allowed_throughout(story: Story, start: float, end: float) -> bool:
    return any(lo <= start and hi >= end for lo, hi in allowed_spans(story, certain=True))


def misjudged(
    results: list[Seen], history: dict[str, Story], pool: list[str], slack: float
) -> tuple[list[Seen], list[Seen]]:
    """The answers for changing origins that no timing of the rule changes can explain:
    allowed while never allowed in their window, and refused while allowed throughout it."""
    too_open: list[Seen] = []
    lost: list[Seen] = []
    for s in results:
        if s.origin not in pool:
            continue
        story = history.get(s.origin, [])
        if allowed(s) and not allowed_at_some_point(story, s.sent - slack, s.received):
            too_open.append(s)
        if not allowed(s) and allowed_throughout(story, s.sent - slack, s.received):
            lost.append(s)
    return too_open, lost


def test_load_while_rules_change(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    pool = [f"https://t{i}-{tag}.load.example" for i in range(6)]
    stable = f"https://stable-{tag}.load.example"
    never = f"https://never-{tag}.load.example"
    workers = stack.gunicorn.worker_pids()
    slack = stack.refresh + 1.0

    started, _ = stack.add(stable)
    wait_for_every_worker(stack.port, workers, stable, allow=True, since=started, limit=slack)

    history: dict[str, Story] = defaultdict(list)
    present: set[str] = set()
    stop = threading.Event()
    errors: list[str] = []
    durations: list[float] = []

    def change_rules() -> None:
        rng = random.Random(9)
        for _ in range(40):  # bounded: at most 40 changes, one every ~0.35 s
            if stop.is_set():
                return
            origin = rng.choice(pool)
            verb = "remove" if origin in present else "add"
            try:
                began, finished = stack.add(origin) if verb == "add" else stack.remove(origin)
            except AssertionError as exc:
                errors.append(str(exc))
                return
            history[origin].append((verb, began, finished))
            durations.append(finished - began)
            (present.discard if verb == "remove" else present.add)(origin)
            stop.wait(0.35)

    changer = threading.Thread(target=change_rules, daemon=True)
    changer.start()
    results = hammer(stack.port, [*pool, stable, never], seconds=15, max_requests=40_000, threads=8)
    stop.set()
    changer.join(timeout=30)
    assert not errors, errors
    changes = sum(len(v) for v in history.values())
    print(
        f"\nload: {len(results)} requests over {len({s.pid for s in results})} workers, "
        f"{changes} rule changes through the API (median call "
        f"{sorted(durations)[len(durations) // 2] if durations else 0:.3f} s), "
        f"{len(results) / max(1e-9, results[-1].received - results[0].sent):.0f} requests/s"
    )
    assert changes >= 8

    failures = [s for s in results if s.status != 200 or s.error]
    assert not failures, f"{len(failures)} failed requests (5xx or connection), first {failures[0]}"
    assert all("origin" in s.vary.lower() for s in results)
    wrong_value = [s for s in results if s.acao is not None and s.acao != s.origin]
    assert not wrong_value, wrong_value[:3]
    assert not [s for s in results if s.origin == never and s.acao is not None]
    assert all(allowed(s) for s in results if s.origin == stable)

    too_open, lost = misjudged(results, history, pool, slack)
    assert not too_open, f"CORS allowed for an origin that was not allowed then: {too_open[:3]}"
    assert not lost, f"an allowed origin was refused long after its rule was added: {lost[:3]}"

    # No lost rule: what is stored is what was left, and every worker enforces exactly that.
    stored = stack.stored() & {*pool, stable}
    assert stored == present | {stable}
    now = time.time()
    for origin in pool:
        wait_for_every_worker(
            stack.port, workers, origin, allow=origin in present, since=now, limit=slack
        )
    for origin in [*present, stable]:
        stack.remove(origin)
