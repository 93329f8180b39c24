"""`make bench`: cors_gate against django-cors-headers and against no CORS middleware at all.

Every request goes through Django's full handler (RequestFactory -> middleware chain ->
trivial view), the three handlers interleaved in one run, at N = 10, 1,000, 10,000 and
100,000 rules (10% wildcards), for an allowed exact origin, an allowed wildcard origin, a
denied origin and a preflight (a few distinct origins: the table as it always was), then the
request-path table of benchmarks/request_path.py (20,011 distinct origins per case, against
the header-writing limit, WSGI and ASGI) and the same cases counted in instructions under
valgrind (benchmarks/instructions.py, when valgrind is installed). Also: the time to build
cors_gate's snapshot from the database and the memory a 100,000-rule snapshot costs. Prints
the tables and writes
build/bench/results.json, build/bench/request_path.json and build/bench/instructions.json.

    .venv/bin/python benchmarks/run.py [--sizes 10,1000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from the Makefile: make the project importable
os.chdir(ROOT)
DB_PATH = ROOT / "build" / "bench" / "bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
os.environ["CORS_GATE_BENCH_DB"] = str(DB_PATH)

SIZES = (10, 1_000, 10_000, 100_000)
OVERHEAD_US_MAX = 10.0  # cors_gate minus floor, median, every N and request
RATIO_MAX = {10: 0.5, 10_000: 0.01}  # cors_gate / django-cors-headers, whole request
BUILD_S_MAX_100K = 2.0
MEMORY_MB_MAX_100K = 100.0
ROUNDS = 20
FAST_SAMPLES = 1_000  # per request kind, for the floor and cors_gate


def corsheaders_samples(n: int) -> int:
    """django-cors-headers is linear in N (about 5 µs a rule): fewer samples as N grows."""
    if n <= 100:
        return FAST_SAMPLES
    if n <= 1_000:
        return 200
    if n <= 10_000:
        return 20
    return 5


def reset_database(path: Path = DB_PATH) -> None:
    """An empty, migrated benchmark database at `path` (the one the settings point at)."""
    from django.core.management import call_command

    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def store_rules(entries: list[str]) -> None:
    """Insert the entries not stored yet (each larger N is a superset of the smaller ones)."""
    from cors_gate.models import AllowedOrigin, CorsPolicy
    from cors_gate.policy import bump_revision

    CorsPolicy.load()
    have = set(AllowedOrigin.objects.values_list("pattern", flat=True))
    new = [AllowedOrigin(pattern=e) for e in entries if e not in have]
    AllowedOrigin.objects.bulk_create(new, batch_size=2_000)  # valid by construction
    bump_revision()


def time_builds(n: int) -> list[float]:
    from cors_gate.policy import build_snapshot

    times = []
    for _ in range(3 if n < 100_000 else 2):
        t0 = time.perf_counter()
        snapshot = build_snapshot()
        times.append(time.perf_counter() - t0)
        assert len(snapshot.matcher) == n
    return times


def measure_size(n: int) -> dict[str, Any]:
    from django.test.utils import override_settings

    from benchmarks.handlers import CORS_GATE, CORSHEADERS, FLOOR, build_handler, time_interleaved
    from benchmarks.workload import rule_set, scenarios
    from cors_gate import policy

    rules = rule_set(n)
    store_rules(rules.entries)
    builds = time_builds(n)
    with override_settings(**rules.corsheaders_settings()):
        policy.reset_for_tests()
        handlers = {kind: build_handler(kind) for kind in (FLOOR, CORSHEADERS, CORS_GATE)}
        budget = {FLOOR: FAST_SAMPLES, CORS_GATE: FAST_SAMPLES, CORSHEADERS: corsheaders_samples(n)}
        cases = scenarios(rules)
        samples = time_interleaved(handlers, cases, budget, ROUNDS)
    rows = []
    for case in cases:
        floor = samples[(FLOOR, case.name)]
        ch = samples[(CORSHEADERS, case.name)]
        cg = samples[(CORS_GATE, case.name)]
        rows.append(
            {
                "request": case.name,
                "floor_us": floor.median_us(),
                "corsheaders_us": ch.median_us(),
                "cors_gate_us": cg.median_us(),
                "floor_p99_us": floor.p99_us(),
                "cors_gate_p99_us": cg.p99_us(),
                "overhead_us": cg.median_us() - floor.median_us(),
                "ratio": cg.median_us() / ch.median_us(),
                "samples": {
                    "floor": len(floor.ns),
                    "corsheaders": len(ch.ns),
                    "cors_gate": len(cg.ns),
                },
            }
        )
    return {
        "rules": n,
        "wildcards": len(rules.wildcards),
        "snapshot_build_s": statistics.median(builds),
        "requests": rows,
    }


def code_version() -> str:
    """The commit measured, and whether cors_gate/ had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "cors_gate"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head}{' + uncommitted cors_gate changes' if dirty else ''}"


def measure_memory() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"memory probe failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def verdicts(sizes: list[dict[str, Any]], memory: dict[str, Any] | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    worst = max((r["overhead_us"], s["rules"], r["request"]) for s in sizes for r in s["requests"])
    found.append(
        {
            "target": f"cors_gate overhead over the floor <= {OVERHEAD_US_MAX:.0f} µs "
            "(median, every N and request)",
            "figure": f"worst {worst[0]:.2f} µs (N={worst[1]:,}, {worst[2]})",
            "met": worst[0] <= OVERHEAD_US_MAX,
        }
    )
    for n, limit in RATIO_MAX.items():
        at = [s for s in sizes if s["rules"] == n]
        if at:
            ratio = max(r["ratio"] for r in at[0]["requests"])
            found.append(
                {
                    "target": f"cors_gate / django-cors-headers <= {limit} at N={n:,}",
                    "figure": f"worst {ratio:.4f}",
                    "met": ratio <= limit,
                }
            )
    big = [s for s in sizes if s["rules"] == 100_000]
    if big:
        build = big[0]["snapshot_build_s"]
        found.append(
            {
                "target": f"snapshot build for 100,000 rules <= {BUILD_S_MAX_100K} s",
                "figure": f"{build:.2f} s",
                "met": build <= BUILD_S_MAX_100K,
            }
        )
    if memory is not None:
        mb = max(memory["rss_growth_bytes"], memory["traced_retained_bytes"]) / 1e6
        found.append(
            {
                "target": f"memory for 100,000 rules <= {MEMORY_MB_MAX_100K:.0f} MB",
                "figure": f"{mb:.1f} MB (RSS growth {memory['rss_growth_bytes'] / 1e6:.1f} MB, "
                f"traced {memory['traced_retained_bytes'] / 1e6:.1f} MB)",
                "met": mb <= MEMORY_MB_MAX_100K,
            }
        )
    return found


def fmt_us(value: float) -> str:
    return f"{value:,.1f}" if value < 10_000 else f"{value:,.0f}"


def row(cells: tuple[str, ...]) -> str:
    widths = (8, 17, 9, 16, 13, 12, 8)
    return "  ".join(
        c.ljust(w) if i == 1 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def print_table(result: dict[str, Any]) -> None:
    from benchmarks import bulk_writes

    print(
        f"cors_gate {result['code']}, Python {result['python']}, Django {result['django']}, "
        f"django-cors-headers {result['django_cors_headers']}, {result['machine']}; "
        "medians per request"
    )
    print(
        row(("N", "request", "floor µs", "cors-headers µs", "cors_gate µs", "overhead µs", "ratio"))
    )
    for size in result["sizes"]:
        for r in size["requests"]:
            cells = (
                f"{size['rules']:,}",
                r["request"],
                fmt_us(r["floor_us"]),
                fmt_us(r["corsheaders_us"]),
                fmt_us(r["cors_gate_us"]),
                f"{r['overhead_us']:+.1f}",
                f"{r['ratio']:.4f}",
            )
            print(row(cells))
    print()
    print("snapshot build (database read + parse + compile), median:")
    for size in result["sizes"]:
        print(f"  {size['rules']:>8,} rules: {size['snapshot_build_s'] * 1000:,.1f} ms")
    mem = result.get("memory_100k")
    if mem:
        print(
            f"memory for {mem['rules']:,} rules: "
            f"RSS growth {mem['rss_growth_bytes'] / 1e6:.1f} MB, "
            f"retained (tracemalloc) {mem['traced_retained_bytes'] / 1e6:.1f} MB, "
            f"peak while building {mem['traced_peak_bytes'] / 1e6:.1f} MB"
        )
    bulk_writes.print_lines(result["bulk_writes"])
    print()
    for v in result["targets"]:
        print(f"  [{'met' if v['met'] else 'NOT MET'}] {v['target']}: {v['figure']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--json", default=str(ROOT / "build" / "bench" / "results.json"))
    parser.add_argument(
        "--few-origins-only",
        action="store_true",
        help="skip the distinct-origins request-path table (benchmarks/request_path.py)",
    )
    parser.add_argument(
        "--no-instructions",
        action="store_true",
        help="skip the instruction counts (benchmarks/instructions.py, needs valgrind)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]

    from importlib.metadata import version

    import corsheaders  # noqa: F401  (fail early and clearly if it is missing)
    import django

    django.setup()
    started = time.perf_counter()
    reset_database()
    measured = []
    for n in sorted(sizes):
        print(f"measuring N={n:,} ...", file=sys.stderr, flush=True)
        measured.append(measure_size(n))
    memory = measure_memory() if 100_000 in sizes else None
    from benchmarks import bulk_writes

    print("measuring bulk writes ...", file=sys.stderr, flush=True)
    bulk = bulk_writes.measure_bulk_writes()
    result: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": code_version(),
        "python": platform.python_version(),
        "django": version("Django"),
        "django_cors_headers": version("django-cors-headers"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "method": "median per request through BaseHandler.get_response, handlers interleaved",
        "sizes": measured,
        "memory_100k": memory,
        "bulk_writes": bulk,
    }
    result["targets"] = [*verdicts(measured, memory), bulk_writes.verdict(bulk)]
    result["duration_s"] = time.perf_counter() - started
    print_table(result)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(
        f"\nwritten {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
        f"in {result['duration_s']:.0f} s"
    )
    if not args.few_origins_only:
        # Traffic no per-origin cache absorbs, against the header-writing limit: a process
        # of its own (its own database and snapshot), the same sizes.
        print("\nrequest path, 20,011 distinct origins per case:", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.request_path", "--sizes", args.sizes],
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            return done.returncode
    if not args.no_instructions:
        # The same cases counted in instructions (valgrind), which load on the machine does
        # not move; skipped with a one-line reason where valgrind or a C compiler is missing.
        print("\ninstructions per request, 1,000 distinct origins per case:", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.instructions", "--table", "--sizes", args.sizes],
            cwd=ROOT,
            check=False,
        )
        return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
