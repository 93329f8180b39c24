"""The request path on traffic no per-origin cache can absorb: cors_gate against the limit.

Each case cycles at least 20,011 distinct `Origin` values (a random-Origin flood looks like
this), except "allowed exact", which can only cycle the N-minus-wildcards exact rules there are.
Three handlers run in one process, timed side by side:

- floor: no CORS middleware;
- limit: a middleware that writes an allowed origin's headers and decides nothing
  (benchmarks/limit.py), the physical limit of a Django CORS middleware;
- cors_gate, enforce mode, credentials on, observations recorded (the defaults).

WSGI runs Django's BaseHandler with SecurityMiddleware and CommonMiddleware after the CORS
middleware; ASGI runs the async handler with the CORS middleware alone and an async view
(Django's sync middleware would add a thread hop per request that dwarfs what is measured).

Timing: the differences measured (a few µs) are the size of what a shared machine's
neighbours do to a 30 µs request, so the three handlers are interleaved finely. A round
builds, per case, MINI_BATCHES mini-batches of MINI requests per handler and times them in
rotation (floor, limit, cors_gate in shuffled order, mini-batch after mini-batch), so all
three meet the same machine within milliseconds. A mini-batch's figure is the mean of the
request thread's CPU time (time.thread_time) over its requests, garbage collections included;
a cell's cost over the floor is the median, over every round's turns, of the difference
from the floor's mini-batch in the same turn, so neither a disturbed mini-batch nor the
machine drifting between turns decides it. Work in other threads (cors_gate's observation fold and
flush, and its policy check) is not counted: it is off the request path. django-cors-headers
is timed at N = 10 in a separate process on the same cases.

    .venv/bin/python -m benchmarks.request_path [--sizes 10,1000] [--rounds 15] [--mini-batches 25]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DISTINCT = 20_011
MINI = 40  # requests per mini-batch
MINI_BATCHES = 25  # mini-batches per handler, case and round
ROUNDS = 15
SIZES = (10, 1_000, 10_000, 100_000)
ALLOWED_X_LIMIT = 1.5
DENIED_X_LIMIT = 1.0
CORSHEADERS_RATIO = 0.5
HOST = "testserver"  # the site's own host, in ALLOWED_HOSTS

FLOOR, LIMIT, CORS_GATE, CORSHEADERS = "floor", "limit", "cors_gate", "django-cors-headers"
_FIRST = {
    FLOOR: None,
    LIMIT: "benchmarks.limit.HeaderWritingLimitMiddleware",
    CORS_GATE: "cors_gate.middleware.CorsGateMiddleware",
    CORSHEADERS: "corsheaders.middleware.CorsMiddleware",
}


@dataclass(frozen=True)
class Case:
    name: str
    origins: list[str]
    allowed: bool


def cases(n: int) -> list[Case]:
    from benchmarks.workload import rule_set

    rules = rule_set(n)
    k = len(rules.wildcards) // 2
    return [
        Case("allowed exact", rules.exact[:DISTINCT], True),
        Case(
            "allowed wildcard",
            [f"https://u{i}.site{k}.partner{k % 991}.org" for i in range(DISTINCT)],
            True,
        ),
        Case("denied", [f"https://junk{i}.example.net" for i in range(DISTINCT)], False),
    ]


def build_handler(kind: str, is_async: bool) -> Any:
    from django.conf import settings
    from django.core.handlers.base import BaseHandler
    from django.test.utils import override_settings

    first = _FIRST[kind]
    base: list[str] = [] if is_async else list(settings.BASE_MIDDLEWARE)
    with override_settings(MIDDLEWARE=([first] if first else []) + base):
        handler = BaseHandler()
        handler.load_middleware(is_async=is_async)
    return handler


class Runner:
    """Builds requests outside the timed loop and times one batch through one handler."""

    def __init__(self, is_async: bool) -> None:
        from django.test import RequestFactory

        self.is_async = is_async
        self.path = "/api/ok-async/" if is_async else "/api/ok/"
        self.factory = RequestFactory()
        self.loop = asyncio.new_event_loop() if is_async else None

    def requests(self, origins: list[str]) -> list[Any]:
        # With the Host header every browser sends (RequestFactory sends none by default).
        return [self.factory.get(self.path, HTTP_HOST=HOST, HTTP_ORIGIN=o) for o in origins]

    def call(self, handler: Any, request: Any) -> Any:
        if self.loop is not None:
            return self.loop.run_until_complete(handler.get_response_async(request))
        return handler.get_response(request)

    def run_batch(self, handler: Any, batch: list[Any]) -> None:
        """Every request of the batch through the handler (one coroutine for ASGI)."""
        if self.loop is None:
            get = handler.get_response
            for request in batch:
                get(request)
            return

        async def run() -> None:
            get = handler.get_response_async
            for request in batch:
                await get(request)

        self.loop.run_until_complete(run())

    def time_batch(self, handler: Any, batch: list[Any]) -> float:
        """Mean µs of the request thread's CPU time per request over the batch."""
        if self.loop is None:
            get = handler.get_response
            t0 = time.thread_time_ns()
            for request in batch:
                get(request)
            return (time.thread_time_ns() - t0) / len(batch) / 1000.0

        async def run() -> int:
            get = handler.get_response_async
            t0 = time.thread_time_ns()
            for request in batch:
                await get(request)
            return time.thread_time_ns() - t0

        return self.loop.run_until_complete(run()) / len(batch) / 1000.0


def check(kind: str, case: Case, origin: str, response: Any) -> None:
    """Refuse to time a handler that does not do the job it is timed for."""
    if response.status_code != 200:
        raise SystemExit(f"{kind} / {case.name}: status {response.status_code}")
    acao = response.get("Access-Control-Allow-Origin")
    if kind == FLOOR:
        expected = None
    elif kind == LIMIT:
        expected = origin
    else:
        expected = origin if case.allowed else None
    if acao != expected:
        raise SystemExit(
            f"{kind} / {case.name}: Access-Control-Allow-Origin {acao!r}, expected {expected!r}"
        )


def measure(
    kinds: list[str],
    n: int,
    is_async: bool,
    rounds: int,
    mini_batches: int = MINI_BATCHES,
    seed: int = 14,
) -> dict[str, dict[str, float]]:
    """Median mini-batch mean, µs per request, per (kind, case) at N rules already stored."""
    from cors_gate import observe, policy

    policy.reset_for_tests()
    observe.reset_for_tests()
    runner = Runner(is_async)
    handlers = {kind: build_handler(kind, is_async) for kind in kinds}
    all_cases = cases(n)
    streams: dict[tuple[str, str], Iterator[str]] = {
        (k, c.name): cycle(c.origins) for k in kinds for c in all_cases
    }
    for kind, handler in handlers.items():
        for case in all_cases:
            # Warm with origins of the same shape that the timed rounds never send.
            warm = [o.replace("://", "://w", 1) for o in case.origins[:50]]
            if case.allowed and case.name == "allowed exact":
                warm = case.origins[:50]
            for request in runner.requests(warm):
                runner.call(handler, request)
            probe = runner.requests(case.origins[:1])[0]
            check(kind, case, case.origins[0], runner.call(handler, probe))
    rng = random.Random(seed)
    means: dict[tuple[str, str], list[float]] = {(k, c.name): [] for k in kinds for c in all_cases}
    for _ in range(rounds):
        order = list(all_cases)
        rng.shuffle(order)
        for case in order:
            minis = {
                kind: [
                    runner.requests(list(islice(streams[(kind, case.name)], MINI)))
                    for _ in range(mini_batches)
                ]
                for kind in kinds
            }
            # Each case's block starts from the same collector state: the requests just
            # built are not collected inside the timed loop.
            gc.collect()
            for j in range(mini_batches):
                turn = list(kinds)
                rng.shuffle(turn)
                for kind in turn:
                    means[(kind, case.name)].append(
                        runner.time_batch(handlers[kind], minis[kind][j])
                    )
            del minis
    if runner.loop is not None:
        runner.loop.close()
    return {kind: {c.name: _figure(means, kind, c.name) for c in all_cases} for kind in kinds}


def _figure(means: dict[tuple[str, str], list[float]], kind: str, case: str) -> float:
    """The floor's median mini-batch mean; any other handler's is the floor's plus the median
    of its differences from the floor mini-batch timed in the same turn, so a drift of the
    machine between turns cancels out of the cost over the floor."""
    floor = means[(FLOOR, case)]
    if kind == FLOOR:
        return statistics.median(floor)
    paired = [mine - theirs for mine, theirs in zip(means[(kind, case)], floor, strict=True)]
    return statistics.median(floor) + statistics.median(paired)


def _setup(db: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ["CORS_GATE_BENCH_DB"] = str(db)
    import django

    django.setup()


def _corsheaders_child(argv: list[str]) -> int:
    """`--corsheaders-child N DB ROUNDS MINI_BATCHES`: floor and django-cors-headers, WSGI, as
    JSON."""
    n, db, rounds, mini_batches = int(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    _setup(db)
    from django.test.utils import override_settings

    from benchmarks.workload import rule_set

    with override_settings(**rule_set(n).corsheaders_settings()):
        figures = measure([FLOOR, CORSHEADERS], n, False, rounds, mini_batches)
    print(json.dumps(figures))
    return 0


def corsheaders_in_child(n: int, db: Path, rounds: int, mini_batches: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.request_path",
            "--corsheaders-child",
            *(str(v) for v in (n, db, rounds, mini_batches)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"django-cors-headers process failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def rows_for(n: int, interface: str, figures: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    rows = []
    for name, floor in figures[FLOOR].items():
        limit = figures[LIMIT][name] - floor
        gate = figures[CORS_GATE][name] - floor
        rows.append(
            {
                "rules": n,
                "interface": interface,
                "request": name,
                "floor_us": floor,
                "limit_over_floor_us": limit,
                "cors_gate_over_floor_us": gate,
                "x_limit": gate / limit if limit > 0 else float("inf"),
            }
        )
    return rows


def verdicts(rows: list[dict[str, Any]], ratio: float | None) -> list[tuple[str, str, bool]]:
    allowed = [r for r in rows if r["request"] != "denied"]
    denied = [r for r in rows if r["request"] == "denied"]
    found = []
    worst = max(allowed, key=lambda r: r["x_limit"])
    found.append(
        (
            f"allowed <= {ALLOWED_X_LIMIT}x the header-writing limit (every N, WSGI and ASGI)",
            f"worst {worst['x_limit']:.2f}x (N={worst['rules']:,} {worst['interface']}, "
            f"{worst['request']})",
            worst["x_limit"] <= ALLOWED_X_LIMIT,
        )
    )
    worst = max(denied, key=lambda r: r["x_limit"])
    found.append(
        (
            f"denied <= {DENIED_X_LIMIT}x the header-writing limit (every N, WSGI and ASGI)",
            f"worst {worst['x_limit']:.2f}x (N={worst['rules']:,} {worst['interface']})",
            worst["x_limit"] <= DENIED_X_LIMIT,
        )
    )
    if ratio is not None:
        found.append(
            (
                f"cors_gate / django-cors-headers <= {CORSHEADERS_RATIO} at N=10 (whole request)",
                f"worst {ratio:.3f}",
                ratio <= CORSHEADERS_RATIO,
            )
        )
    return found


def print_table(rows: list[dict[str, Any]], ratios: dict[str, float]) -> None:
    print(
        f"distinct Origins per case: {DISTINCT:,} (allowed exact: as many as there are exact "
        "rules); median of interleaved mini-batch means per request"
    )
    head = ("N", "iface", "request", "floor µs", "limit +µs", "cors_gate +µs", "x limit")
    widths = (8, 5, 17, 9, 10, 14, 8)
    print(
        "  ".join(
            h.ljust(w) if i in (1, 2) else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    )
    for r in rows:
        cells = (
            f"{r['rules']:,}",
            r["interface"],
            r["request"],
            f"{r['floor_us']:.1f}",
            f"{r['limit_over_floor_us']:+.1f}",
            f"{r['cors_gate_over_floor_us']:+.1f}",
            f"{r['x_limit']:.2f}",
        )
        print(
            "  ".join(
                c.ljust(w) if i in (1, 2) else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    if ratios:
        shown = ", ".join(f"{name} {value:.3f}" for name, value in ratios.items())
        print(f"cors_gate / django-cors-headers at N=10, WSGI, whole request: {shown}")


def run(
    sizes: list[int], rounds: int, mini_batches: int, db: Path, store: Callable[[int], None]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    ratios: dict[str, float] = {}
    for n in sorted(sizes):
        store(n)
        for interface, is_async in (("WSGI", False), ("ASGI", True)):
            print(f"request path: N={n:,} {interface} ...", file=sys.stderr, flush=True)
            figures = measure([FLOOR, LIMIT, CORS_GATE], n, is_async, rounds, mini_batches)
            rows.extend(rows_for(n, interface, figures))
            if n == 10 and not is_async:
                theirs = corsheaders_in_child(n, db, rounds, mini_batches)
                for name, value in theirs[CORSHEADERS].items():
                    # Each process's own floor: the ratio compares whole requests.
                    ours = figures[CORS_GATE][name] - figures[FLOOR][name] + theirs[FLOOR][name]
                    ratios[name] = ours / value
    return {
        "distinct_origins": DISTINCT,
        "rounds": rounds,
        "mini_batches": mini_batches,
        "mini_batch_requests": MINI,
        "rows": rows,
        "corsheaders_ratio_n10": ratios,
        "targets": verdicts(rows, max(ratios.values()) if ratios else None),
    }


def report_targets(result: dict[str, Any], out: Path) -> None:
    """Print each target's verdict under a table and keep the whole result as JSON."""
    for target, figure, met in result["targets"]:
        print(f"  [{'met' if met else 'NOT MET'}] {target}: {figure}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list and args_list[0] == "--corsheaders-child":
        return _corsheaders_child(args_list[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--mini-batches", type=int, default=MINI_BATCHES)
    parser.add_argument("--json", default=str(ROOT / "build" / "bench" / "request_path.json"))
    args = parser.parse_args(args_list)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    db = ROOT / "build" / "bench" / "request_path.sqlite3"
    _setup(db)
    from benchmarks.run import reset_database, store_rules
    from benchmarks.workload import rule_set

    reset_database(db)
    result = run(
        [int(s.replace("_", "")) for s in args.sizes.split(",") if s],
        args.rounds,
        args.mini_batches,
        db,
        lambda n: store_rules(rule_set(n).entries),
    )
    print_table(result["rows"], result["corsheaders_ratio_n10"])
    report_targets(result, Path(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
