"""Instructions per request, counted by callgrind (load on a shared machine does not move them).

`python -m benchmarks.instructions --table` stores N rules (10% wildcards, as `make bench`
does) and runs one process per (N, interface) under `valgrind --tool=callgrind
--instr-atstart=no`. That process builds the three handlers of benchmarks/request_path.py
(floor, limit, cors_gate; WSGI: Django's chain, ASGI: the CORS middleware alone before an
async view) and every request uncounted, then for each (case, handler) zeroes the counters,
pushes COUNT requests with distinct Origins through the handler and dumps the counters under
a label (client requests from benchmarks/callgrind_marks.c, compiled on first use). All
threads are counted. The policy check and the observation flush fall outside the counted
requests (under valgrind they take longer than either interval); folding the queued sightings
into the per-origin buffer, which a helper thread does every few thousand requests, is
counted on its own after each cors_gate batch and shown in its own column.

`--keep DIR` keeps the callgrind dumps (one per batch) for `callgrind_annotate`.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COUNT = 1_000
SIZES = (10, 1_000, 10_000, 100_000)
INTERFACES = ("WSGI", "ASGI")
CASES = ("allowed exact", "allowed wildcard", "denied")
KINDS = ("floor", "limit", "cors_gate")
FOLD = "fold"  # the helper thread's work per sighting, counted apart
MARKS_SOURCE = ROOT / "benchmarks" / "callgrind_marks.c"
MARKS_LIBRARY = ROOT / "build" / "bench" / "callgrind_marks.so"
DB = ROOT / "build" / "bench" / "instructions.sqlite3"


def marks_library() -> Path:
    """The client-request shim, compiled from its C source when missing or older."""
    if MARKS_LIBRARY.exists() and MARKS_LIBRARY.stat().st_mtime >= MARKS_SOURCE.stat().st_mtime:
        return MARKS_LIBRARY
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise SystemExit("instruction counts need a C compiler (cc) for callgrind_marks.c")
    MARKS_LIBRARY.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [cc, "-O1", "-shared", "-fPIC", "-o", str(MARKS_LIBRARY), str(MARKS_SOURCE)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            "could not compile benchmarks/callgrind_marks.c (valgrind's headers, "
            f"<valgrind/callgrind.h>, are needed):\n{done.stderr}"
        )
    return MARKS_LIBRARY


def available() -> str | None:
    """None when counting can run here, else why not (one line)."""
    if shutil.which("valgrind") is None:
        return "valgrind is not installed"
    if shutil.which(os.environ.get("CC", "cc")) is None:
        return "no C compiler (cc) for benchmarks/callgrind_marks.c"
    return None


def drive(n: int, interface: str, count: int, db: Path) -> None:
    """The process under callgrind: set up uncounted, then one labelled dump per batch."""
    from benchmarks.request_path import Runner, _setup, build_handler, cases, check

    marks = ctypes.CDLL(str(MARKS_LIBRARY))
    _setup(db)
    from django.test.utils import override_settings

    from cors_gate import observe, policy

    override_settings(CORS_GATE_REFRESH_SECONDS=3600).enable()
    policy.reset_for_tests()
    observe.reset_for_tests(interval=float("inf"))
    observe.DRAIN_AT = 10**9  # folded in below, counted apart
    runner = Runner(is_async=interface == "ASGI")
    handlers = {kind: build_handler(kind, runner.is_async) for kind in KINDS}
    plan: list[tuple[str, str, list[Any]]] = []
    for case in cases(n):
        origins = [case.origins[i % len(case.origins)] for i in range(count)]
        # Warm up (first snapshot load, imports) with origins the counted requests never
        # send, except where there are only as many allowed exact origins as exact rules.
        warm = case.origins[:20] if case.name == "allowed exact" else None
        if warm is None:
            warm = [o.replace("://", "://w", 1) for o in case.origins[:20]]
        for kind, handler in handlers.items():
            for request in runner.requests(warm):
                runner.call(handler, request)
            check(kind, case, origins[0], runner.call(handler, runner.requests(origins[:1])[0]))
            plan.append((kind, case.name, runner.requests(origins)))
    observe.reset_for_tests(interval=float("inf"))
    marks.marks_start()
    for kind, case_name, requests in plan:
        # Every batch starts from the same collector state, and a full collection does not
        # walk the thousands of requests built for the other batches (a server holds none).
        gc.collect()
        gc.freeze()
        marks.marks_zero()
        runner.run_batch(handlers[kind], requests)
        marks.marks_dump(f"{kind}|{case_name}".encode())
        if kind == "cors_gate":
            marks.marks_zero()
            observe.recorder().drain()
            marks.marks_dump(f"{FOLD}|{case_name}".encode())
        # What was recorded is written by a helper thread every 10 s in a server: drop it.
        observe.reset_for_tests(interval=float("inf"))


_LABEL = re.compile(r"^desc: Trigger: Client Request: (.*)$", re.M)
_EVENTS = re.compile(r"^events: (.*)$", re.M)
_TOTAL = re.compile(r"^summary: (.*)$", re.M)
# With --cache-sim: the simulated last-level cache's misses (instruction, data read, data write).
LL_MISSES = ("ILmr", "DLmr", "DLmw")


def count_in_valgrind(
    n: int, interface: str, count: int, db: Path, keep: Path | None, cache_sim: bool = False
) -> dict[str, dict[str, int]]:
    """{"kind|case": {event: count}} for one (N, interface), from callgrind's labelled dumps
    (the event "Ir", instructions, and with `cache_sim` the simulated cache misses)."""
    marks_library()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--cache-sim={'yes' if cache_sim else 'no'}",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "benchmarks.instructions",
                "--drive",
                "--n",
                str(n),
                "--interface",
                interface,
                "--count",
                str(count),
                "--db",
                str(db),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            # One hash seed: dict layouts (and so counts) then repeat between runs.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if done.returncode != 0:
            raise SystemExit(f"counting N={n} {interface} failed:\n{done.stderr[-4000:]}")
        found: dict[str, dict[str, int]] = {}
        for dump in sorted(Path(tmp).glob("callgrind.out.*")):
            text = dump.read_text()
            label, events, total = _LABEL.search(text), _EVENTS.search(text), _TOTAL.search(text)
            if label and events and total:
                found[label.group(1).strip()] = dict(
                    zip(events.group(1).split(), map(int, total.group(1).split()), strict=True)
                )
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                name = label.group(1).strip() if label else dump.name
                safe = re.sub(r"[^A-Za-z0-9]+", "_", name)
                shutil.copy(dump, keep / f"N{n}_{interface}_{safe}.callgrind")
    missing = [f"{k}|{c}" for c in CASES for k in (*KINDS, FOLD) if f"{k}|{c}" not in found]
    if missing:
        raise SystemExit(f"callgrind wrote no dump for {', '.join(missing)} (N={n} {interface})")
    return found


def rows_for(
    n: int, interface: str, totals: dict[str, dict[str, int]], count: int
) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        floor, limit, gate, fold = (totals[f"{k}|{case}"]["Ir"] / count for k in (*KINDS, FOLD))
        limit_over, gate_over = limit - floor, gate - floor
        row: dict[str, Any] = {
            "rules": n,
            "interface": interface,
            "request": case,
            "floor": floor,
            "limit_over_floor": limit_over,
            "cors_gate_over_floor": gate_over,
            "fold": fold,
            "x_limit": gate_over / limit_over,
            "x_limit_with_fold": (gate_over + fold) / limit_over,
        }
        if "DLmr" in totals[f"floor|{case}"]:
            # Simulated last-level cache misses per request (each one a trip to memory).
            for kind in (*KINDS, FOLD):
                events = totals[f"{kind}|{case}"]
                row[f"ll_misses_{kind}"] = sum(events[e] for e in LL_MISSES) / count
        rows.append(row)
    return rows


def verdicts(rows: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    from benchmarks.request_path import ALLOWED_X_LIMIT, DENIED_X_LIMIT

    found = []
    for label, bound, chosen in (
        ("allowed", ALLOWED_X_LIMIT, [r for r in rows if r["request"] != "denied"]),
        ("denied", DENIED_X_LIMIT, [r for r in rows if r["request"] == "denied"]),
    ):
        worst = max(chosen, key=lambda r: r["x_limit_with_fold"])
        found.append(
            (
                f"{label} <= {bound}x the header-writing limit in instructions, the fold "
                "included (every N, WSGI and ASGI)",
                f"worst {worst['x_limit_with_fold']:.2f}x, {worst['x_limit']:.2f}x without "
                f"(N={worst['rules']:,} {worst['interface']}, {worst['request']})",
                worst["x_limit_with_fold"] <= bound,
            )
        )
    return found


def print_table(rows: list[dict[str, Any]], count: int) -> None:
    print(
        f"instructions per request (callgrind, {count:,} distinct-origin requests per case; "
        "fold: the helper thread's work per sighting)"
    )
    head: tuple[str, ...] = ("N", "iface", "request", "floor k", "limit +k", "cors_gate +k")
    head = (*head, "x limit", "fold k", "x with fold")
    widths = (8, 5, 17, 8, 9, 13, 8, 7, 11)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i in (1, 2) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(head))
    cache = [r for r in rows if "ll_misses_floor" in r]
    for r in rows:
        print(
            line(
                (
                    f"{r['rules']:,}",
                    r["interface"],
                    r["request"],
                    f"{r['floor'] / 1000:.1f}",
                    f"{r['limit_over_floor'] / 1000:+.1f}",
                    f"{r['cors_gate_over_floor'] / 1000:+.1f}",
                    f"{r['x_limit']:.2f}",
                    f"{r['fold'] / 1000:.1f}",
                    f"{r['x_limit_with_fold']:.2f}",
                )
            )
        )
    if cache:
        print(
            "simulated last-level cache misses per request: floor, limit and cors_gate over "
            "it, fold"
        )
        for r in cache:
            floor = r["ll_misses_floor"]
            print(
                f"  N={r['rules']:<8,} {r['interface']} {r['request']:17} {floor:7.1f}  "
                f"{r['ll_misses_limit'] - floor:+6.1f}  {r['ll_misses_cors_gate'] - floor:+6.1f}  "
                f"{r['ll_misses_fold']:6.1f}"
            )


def table(
    sizes: list[int],
    interfaces: list[str],
    count: int,
    db: Path,
    keep: Path | None,
    cache_sim: bool = False,
) -> dict[str, Any]:
    from benchmarks.request_path import _setup

    _setup(db)
    from benchmarks.run import reset_database, store_rules
    from benchmarks.workload import rule_set

    reset_database(db)
    rows: list[dict[str, Any]] = []
    for n in sorted(sizes):
        store_rules(rule_set(n).entries)  # each N's rules are a superset of the last
        for interface in interfaces:
            print(f"instructions: N={n:,} {interface} ...", file=sys.stderr, flush=True)
            totals = count_in_valgrind(n, interface, count, db, keep, cache_sim)
            rows.extend(rows_for(n, interface, totals, count))
    return {"count": count, "rows": rows, "targets": verdicts(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="count every N and interface")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--interfaces", default=",".join(INTERFACES))
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--interface", choices=INTERFACES, default="WSGI")
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--db", default=str(DB))
    parser.add_argument("--keep", help="keep the callgrind dumps in this directory")
    parser.add_argument(
        "--cache-sim", action="store_true", help="also count simulated cache misses (slower)"
    )
    parser.add_argument("--json", default=str(ROOT / "build" / "bench" / "instructions.json"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    db = Path(args.db)
    if args.drive:
        drive(args.n, args.interface, args.count, db)
        return 0
    why_not = available()
    if why_not:
        print(f"instruction counts skipped: {why_not}")
        return 0
    db.parent.mkdir(parents=True, exist_ok=True)
    result = table(
        [int(s.replace("_", "")) for s in args.sizes.split(",") if s],
        [i.strip().upper() for i in args.interfaces.split(",") if i.strip()],
        args.count,
        db,
        Path(args.keep) if args.keep else None,
        args.cache_sim,
    )
    print_table(result["rows"], result["count"])
    from benchmarks.request_path import report_targets

    report_targets(result, Path(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
