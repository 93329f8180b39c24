"""A loopback HTTP client for the gunicorn tests: who answered, with which CORS headers, when."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.integration.servers import LOOPBACK

WHOAMI = "/integration/whoami/"


@dataclass(frozen=True)
class Seen:
    origin: str
    status: int
    acao: str | None
    pid: int | None
    sent: float  # epoch seconds, just before the request was sent
    received: float  # epoch seconds, once the whole response was read
    vary: str = ""
    error: str = ""  # a connection-level failure (counted as a failure by the tests)
    served: float = 0.0  # epoch seconds, the worker's clock while it answered


def cors_get(port: int, origin: str, path: str = WHOAMI, timeout: float = 15.0) -> Seen:
    """One request on a new connection, so the kernel spreads them over the workers."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    sent = time.time()
    try:
        conn.request("GET", path, headers={"Origin": origin, "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        received = time.time()
    except OSError as exc:
        return Seen(origin, 0, None, None, sent, time.time(), error=repr(exc))
    finally:
        conn.close()
    pid, served = None, 0.0
    if response.status == 200:
        try:
            data = json.loads(body)
            pid, served = int(data["pid"]), float(data["at"])
        except (ValueError, KeyError, TypeError):
            pid = None
    return Seen(
        origin=origin,
        status=response.status,
        acao=response.getheader("Access-Control-Allow-Origin"),
        pid=pid,
        sent=sent,
        received=received,
        vary=response.getheader("Vary") or "",
        served=served,
    )


def hammer(
    port: int,
    origins: Sequence[str],
    *,
    seconds: float,
    max_requests: int,
    threads: int = 8,
    done: Callable[[list[Seen]], bool] | None = None,
) -> list[Seen]:
    """Concurrent requests with random origins, bounded in time and count.

    Stops early when `done(results so far)` says so (checked by the first thread, under the
    lock: keep it cheap).
    """
    results: list[Seen] = []
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        rng = random.Random(index)
        while not stop.is_set() and time.monotonic() < deadline:
            seen = cors_get(port, rng.choice(origins))
            with lock:
                if len(results) >= max_requests:
                    stop.set()
                    return
                results.append(seen)
                if index == 0 and done is not None and done(results):
                    stop.set()

    pool = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 30)
    stop.set()
    return results
