"""Instructions per request, counted by valgrind (load on a shared machine does not move them).

One process pushes COUNT requests with distinct Origins through one handler (floor, limit or
cors_gate, WSGI, N rules already stored by `benchmarks/run.py`'s store_rules) and exits;
`--count 0` builds the same requests and sends none. `python -m benchmarks.instructions
--table` runs every (handler, case) under `valgrind --tool=cachegrind` twice (COUNT and 0)
and prints the difference per request, over the floor and as a multiple of the limit's.
All threads are counted, so work handed to helper threads is not hidden.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = 2_000
CASES = ("allowed exact", "allowed wildcard", "denied")
KINDS = ("floor", "limit", "cors_gate")


def drive(
    kind: str, case_name: str, n: int, count: int, db: Path, record: bool = True, fold: bool = False
) -> None:
    from benchmarks.request_path import Runner, _setup, build_handler, cases

    _setup(db)
    from django.test.utils import override_settings

    from cors_gate import observe, policy

    # The request path alone: no policy check or observation flush falls inside the counted
    # requests (under valgrind they take longer than either interval).
    override_settings(CORS_GATE_REFRESH_SECONDS=3600, CORS_GATE_RECORD_OBSERVATIONS=record).enable()
    policy.reset_for_tests()
    observe.reset_for_tests(interval=float("inf"))
    # The queued sightings are folded into the buffer by a helper thread every DRAIN_AT
    # requests; `--fold` counts that work once, after the requests, instead.
    observe.DRAIN_AT = 10**9
    case = next(c for c in cases(n) if c.name == case_name)
    runner = Runner(is_async=False)
    handler = build_handler(kind, False)
    # Warm up (first snapshot load, imports) with origins the counted requests never send.
    for request in runner.requests([o.replace("://", "://w", 1) for o in case.origins[:20]]):
        runner.call(handler, request)
    origins = [case.origins[i % len(case.origins)] for i in range(COUNT)]
    requests = runner.requests(origins)
    get = handler.get_response
    for request in requests[:count]:
        get(request)
    if fold:
        observe.recorder().drain()
    # What the requests recorded would be written at exit (off the request path, in a helper
    # thread every 10 s in a server): drop it so it is not counted per request.
    observe.reset_for_tests()


def _instructions(args: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out}",
                sys.executable,
                "-m",
                "benchmarks.instructions",
                *args,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            # One hash seed: dict layouts (and so counts) then repeat between runs.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        summary = re.search(r"^summary: (\d+)", out.read_text(), re.M)
        if summary is None:
            raise SystemExit("cachegrind wrote no summary")
        return int(summary.group(1))


def table(n: int, db: Path, kinds: tuple[str, ...], case_names: tuple[str, ...]) -> None:
    per: dict[tuple[str, str], float] = {}
    for case_name in case_names:
        for kind in kinds:
            base = ["--kind", kind, "--case", case_name, "--n", str(n), "--db", str(db)]
            full = _instructions([*base, "--count", str(COUNT)])
            empty = _instructions([*base, "--count", "0"])
            per[(kind, case_name)] = (full - empty) / COUNT
            print(f"{kind:10} {case_name:17} {per[(kind, case_name)]:10,.0f}", flush=True)
    print(f"instructions per request, N={n}, WSGI, {COUNT:,} distinct-origin requests")
    for case_name in case_names:
        floor = per.get(("floor", case_name))
        if floor is None:
            continue
        limit = per.get(("limit", case_name), floor) - floor
        gate = per.get(("cors_gate", case_name), floor) - floor
        ratio = gate / limit if limit else float("inf")
        print(
            f"  {case_name:17} floor {floor / 1000:6.1f} k  limit +{limit / 1000:5.1f} k  "
            f"cors_gate +{gate / 1000:5.1f} k  ({ratio:.2f}x limit)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--case", choices=CASES)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--db", default=str(ROOT / "build" / "bench" / "instructions.sqlite3"))
    parser.add_argument("--table", action="store_true")
    parser.add_argument(
        "--no-record", action="store_true", help="CORS_GATE_RECORD_OBSERVATIONS off"
    )
    parser.add_argument("--fold", action="store_true", help="fold the queued sightings in")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    db = Path(args.db)
    if args.table:
        db.parent.mkdir(parents=True, exist_ok=True)
        if not db.exists() or os.environ.get("CORS_GATE_BENCH_RESTORE"):
            from benchmarks.request_path import _setup

            _setup(db)
            from benchmarks.run import reset_database, store_rules
            from benchmarks.workload import rule_set

            reset_database(db)
            store_rules(rule_set(args.n).entries)
        table(args.n, db, tuple(args.kinds.split(",")), tuple(args.cases.split(",")))
        return 0
    drive(args.kind, args.case, args.n, args.count, db, not args.no_record, args.fold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
