"""The matcher alone: compile time and lookup median at 100,000 rules.

Half the rules are exact origins, half wildcard patterns; lookups cycle through allowed
exact, allowed wildcard and denied origins. Run: `.venv/bin/python -m benchmarks.matcher`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from cors_gate.matcher import Matcher, Rule
from cors_gate.origins import RequestOrigin, parse_pattern, parse_request_origin


def make_entries(n: int) -> list[str]:
    half = n // 2
    exact = [f"https://app{i}.tenant{i % 997}.example.com" for i in range(half)]
    wild = [f"https://*.site{i}.partner{i % 991}.org" for i in range(n - half)]
    return exact + wild


def measure(n: int, repeats: int = 200_000) -> dict[str, float]:
    entries = make_entries(n)
    started = time.perf_counter()
    patterns = [parse_pattern(e) for e in entries]
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    matcher = Matcher(Rule(id=i, pattern=p, data=None) for i, p in enumerate(patterns))
    compile_s = time.perf_counter() - started

    probes: list[RequestOrigin] = []
    for text in (
        f"https://app{n // 4}.tenant{(n // 4) % 997}.example.com",  # allowed, exact
        f"https://x.site{n - 3}.partner{(n - 3) % 991}.org",  # allowed, wildcard
        "https://evil.example.net",  # denied
        "https://x.y.site1.partner1.org",  # denied (one label too many)
    ):
        origin = parse_request_origin(text)
        assert origin is not None
        probes.append(origin)

    results: dict[str, float] = {"rules": n, "parse_s": parse_s, "compile_s": compile_s}
    for name, origin in zip(("exact", "wildcard", "denied", "denied_deep"), probes, strict=True):
        samples = []
        for _ in range(25):
            batch = repeats // 25
            t0 = time.perf_counter()
            for _ in range(batch):
                matcher.match(origin)
            samples.append((time.perf_counter() - t0) / batch)
        results[f"lookup_{name}_us"] = statistics.median(samples) * 1e6
    return results


def main() -> int:
    rows = [measure(n) for n in (1_000, 100_000)]
    head = ("rules", "parse s", "compile s", "exact µs", "wild µs", "denied µs", "deep µs")
    print("{:>8} {:>8} {:>10} {:>9} {:>8} {:>10} {:>8}".format(*head))
    for r in rows:
        print(
            f"{int(r['rules']):>8} {r['parse_s']:>8.3f} {r['compile_s']:>10.3f} "
            f"{r['lookup_exact_us']:>9.2f} "
            f"{r['lookup_wildcard_us']:>8.2f} {r['lookup_denied_us']:>10.2f} "
            f"{r['lookup_denied_deep_us']:>8.2f}"
        )
    out = Path("build/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "matcher.json").write_text(json.dumps(rows, indent=2))
    big = rows[-1]
    worst = max(v for k, v in big.items() if k.startswith("lookup_"))
    ok = big["compile_s"] <= 1.0 and worst <= 2.0
    verdict = "met" if ok else "NOT met"
    print(f"targets (100,000 rules: compile <= 1 s, lookup median <= 2 µs): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
