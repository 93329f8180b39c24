"""What the multi-process tests measure: when every worker switched, and what they logged."""

from __future__ import annotations

import itertools
import re
import time
from collections import defaultdict
from dataclasses import dataclass

from tests.integration.client import Seen, hammer

LOG_LINE = re.compile(
    r"^(?P<at>\d+\.\d+) pid=(?P<pid>\d+) (?P<level>[A-Z]+) (?P<name>[\w.]+): (?P<msg>.*)$"
)


def allowed(seen: Seen) -> bool:
    return seen.acao == seen.origin


@dataclass(frozen=True)
class Switch:
    seconds: float  # from `since` until the slowest worker answered in the new state
    per_worker: dict[int, float]
    requests: int


def wait_for_every_worker(
    port: int, workers: set[int], origin: str, *, allow: bool, since: float, limit: float
) -> Switch:
    """Send concurrent requests until every worker answers `origin` as `allow` says.

    A worker's switch time is when it served its first new-state response (its own clock,
    same machine); after that it must never answer in the old state again. Raises
    AssertionError on a 5xx, a worker that goes back to the old state, or a worker that has
    not switched `limit` seconds after `since`.
    """
    first_new: dict[int, float] = {}
    scanned = 0

    def done(results: list[Seen]) -> bool:
        nonlocal scanned
        for seen in results[scanned:]:
            if seen.pid is not None and allowed(seen) == allow and seen.pid not in first_new:
                first_new[seen.pid] = seen.received
        scanned = len(results)
        return set(first_new) >= workers and time.time() > max(first_new.values()) + 0.3

    budget = max(0.5, since + limit + 1.0 - time.time())
    results = hammer(port, [origin], seconds=budget, max_requests=20_000, done=done)
    bad = [s for s in results if s.status != 200 or s.error]
    assert not bad, f"{len(bad)} failed requests, first: {bad[0]}"
    per_worker: dict[int, float] = {}
    by_pid: dict[int, list[Seen]] = defaultdict(list)
    for s in results:
        assert s.pid is not None
        by_pid[s.pid].append(s)
    for pid in workers:
        answers = sorted(by_pid.get(pid, []), key=lambda s: s.served)
        new = [i for i, s in enumerate(answers) if allowed(s) == allow]
        assert new, f"worker {pid} still answers {origin} as before after {budget:.1f} s"
        old_after = [s for s in answers[new[0] :] if allowed(s) != allow]
        assert not old_after, f"worker {pid} went back to the old answer for {origin}"
        per_worker[pid] = answers[new[0]].served - since
    return Switch(max(per_worker.values()), per_worker, len(results))


@dataclass(frozen=True)
class LogLine:
    at: float
    pid: int
    level: str
    name: str
    message: str


def log_lines(text: str, contains: str) -> list[LogLine]:
    found = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m and contains in m["msg"]:
            found.append(LogLine(float(m["at"]), int(m["pid"]), m["level"], m["name"], m["msg"]))
    return found


def per_worker_gaps(lines: list[LogLine]) -> dict[int, list[float]]:
    """Seconds between consecutive matching lines of each worker."""
    times: dict[int, list[float]] = defaultdict(list)
    for line in lines:
        times[line.pid].append(line.at)
    return {pid: [b - a for a, b in itertools.pairwise(ts)] for pid, ts in times.items()}
