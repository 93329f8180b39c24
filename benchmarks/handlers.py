"""Django handlers with different middleware chains, and the interleaved timing loop.

Each handler is Django's own BaseHandler with `load_middleware()` run under its MIDDLEWARE,
so a timed call is exactly what a WSGI worker runs for a request minus socket I/O.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.http.response import HttpResponseBase
from django.test.utils import override_settings

from benchmarks.workload import Scenario

FLOOR = "floor"
CORSHEADERS = "django-cors-headers"
CORS_GATE = "cors_gate"

_FIRST = {
    FLOOR: None,
    CORSHEADERS: "corsheaders.middleware.CorsMiddleware",
    CORS_GATE: "cors_gate.middleware.CorsGateMiddleware",
}


def build_handler(kind: str) -> BaseHandler:
    first = _FIRST[kind]
    base: list[str] = settings.BASE_MIDDLEWARE  # type: ignore[misc]  # the bench's own setting
    chain = ([first] if first else []) + base
    with override_settings(MIDDLEWARE=chain):
        handler = BaseHandler()
        handler.load_middleware()
    return handler


def check_response(kind: str, scenario: Scenario, response: HttpResponseBase) -> None:
    """Refuse to time a handler that does not do the job it is timed for."""
    if response.status_code != 200:
        raise SystemExit(f"{kind} / {scenario.name}: status {response.status_code}, not 200")
    acao = response.get("Access-Control-Allow-Origin")
    expected = scenario.origin if scenario.allowed and kind != FLOOR else None
    if acao != expected:
        raise SystemExit(
            f"{kind} / {scenario.name}: Access-Control-Allow-Origin {acao!r}, expected {expected!r}"
        )


@dataclass
class Samples:
    ns: list[int] = field(default_factory=list)

    def median_us(self) -> float:
        return statistics.median(self.ns) / 1000.0

    def p99_us(self) -> float:
        ordered = sorted(self.ns)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000.0


def time_interleaved(
    handlers: dict[str, BaseHandler],
    scenarios: Sequence[Scenario],
    samples_per_kind: dict[str, int],
    rounds: int,
    seed: int = 9,
) -> dict[tuple[str, str], Samples]:
    """Rounds of (handler, scenario) batches in shuffled order, one call timed at a time.

    Interleaving spreads drift (CPU frequency, other processes) evenly over the handlers;
    handlers with a smaller sample budget take part in fewer rounds, spread evenly.
    """
    rng = random.Random(seed)
    results = {(k, s.name): Samples() for k in handlers for s in scenarios}
    for kind, handler in handlers.items():
        for s in scenarios:
            check_response(kind, s, handler.get_response(s.make()))
            for _ in range(min(200, samples_per_kind[kind])):  # warm caches and the CPU
                handler.get_response(s.make())
    plan: dict[str, tuple[int, int]] = {}
    for kind in handlers:
        wanted = samples_per_kind[kind]
        active = min(rounds, wanted)
        plan[kind] = (active, -(-wanted // active))  # (rounds taking part, calls per round)
    for r in range(rounds):
        pairs = [
            (kind, s)
            for kind in handlers
            for s in scenarios
            if r * plan[kind][0] // rounds != (r + 1) * plan[kind][0] // rounds
        ]
        rng.shuffle(pairs)
        for kind, s in pairs:
            handler, bucket = handlers[kind], results[(kind, s.name)].ns
            for _ in range(plan[kind][1]):
                request = s.make()
                t0 = time.perf_counter_ns()
                handler.get_response(request)
                bucket.append(time.perf_counter_ns() - t0)
    return results
