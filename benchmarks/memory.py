"""Memory a snapshot of the stored rules costs, measured in a fresh process.

Run by benchmarks/run.py as `python -m benchmarks.memory` against the benchmark database, so
nothing else the benchmark built (django-cors-headers' lists, earlier snapshots) is counted.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")
    import django

    django.setup()
    from cors_gate.models import AllowedOrigin
    from cors_gate.policy import build_snapshot

    rules = AllowedOrigin.objects.count()
    build_snapshot()  # warm imports, query compilation and the connection
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    kept = build_snapshot()
    build_s = time.perf_counter() - started
    gc.collect()
    after = rss_bytes()

    # tracemalloc separately: it slows allocation, so it must not touch the timed build.
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    second = build_snapshot()
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(kept.matcher) == len(second.matcher) >= rules
    print(
        json.dumps(
            {
                "rules": rules,
                "build_s": build_s,
                "rss_growth_bytes": after - before,
                "traced_retained_bytes": retained - base,
                "traced_peak_bytes": peak - base,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
