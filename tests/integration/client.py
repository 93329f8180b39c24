"""A loopback HTTP client for the gunicorn tests: who answered, with which CORS headers, when."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

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


class ApiClient:
    """cors_gate's REST API (/api/cors_gate/v1/) as a logged-in staff superuser.

    It logs in once through the admin's login form, as a person would, and then sends the
    session cookie and the CSRF token: the password is hashed once, not on every call.
    """

    BASE = "/api/cors_gate/v1"

    def __init__(self, port: int, username: str, password: str) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self._login(username, password)

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=30)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, raw, response

    def _login(self, username: str, password: str) -> None:
        self._send("GET", "/admin/login/", None, {})
        form = urlencode(
            {
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
                "username": username,
                "password": password,
                "next": "/admin/",
            }
        ).encode()
        status, raw, _ = self._send(
            "POST",
            "/admin/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise AssertionError(f"admin login failed: {status} {raw[:300]!r}")

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, raw, _ = self._send(method, self.BASE + path, data, headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")[:500]
        return status, parsed

    def create_origin(self, pattern: str) -> int:
        status, data = self.call("POST", "/origins/", {"pattern": pattern})
        if status != 201:
            raise AssertionError(f"POST origins {pattern}: {status} {data}")
        return int(data["id"])

    def delete_origin(self, rule_id: int) -> None:
        status, data = self.call("DELETE", f"/origins/{rule_id}/")
        if status != 204:
            raise AssertionError(f"DELETE origins/{rule_id}: {status} {data}")

    def patterns(self) -> set[str]:
        found: set[str] = set()
        for page in range(100):  # bounded: 100 pages of 1000
            status, data = self.call("GET", f"/origins/?limit=1000&offset={page * 1000}")
            if status != 200:
                raise AssertionError(f"GET origins: {status} {data}")
            found.update(row["pattern"] for row in data["results"])
            if not data.get("next"):
                return found
        raise AssertionError("more than 100,000 rules listed")
