"""Loopback servers for the browser suite.

* ``DjangoServer``: the project under test, in a thread of the test process, so it shares
  the in-memory SQLite test database and the local-memory cache (where cors_gate keeps its
  policy version) with the tests. Every request is logged before Django sees it, so the
  suite counts the OPTIONS requests the server really received.
* ``PageServer``: a plain ``http.server`` on another port that serves the pages running
  ``fetch``/XHR. Reached as ``127.0.0.1`` and as ``localhost`` it gives two more origins.
  A second instance plays the SSO provider (an IdP that sends no CORS headers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

STATIC_DIR = Path(__file__).resolve().parent / "static"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as a server received it."""

    server: str
    method: str
    path: str
    origin: str | None
    request_method: str | None  # Access-Control-Request-Method
    request_headers: str | None  # Access-Control-Request-Headers
    cookie: str | None


# Chromium asks a page's server for its favicon on its own schedule; that request is the
# browser's, not one the page made, and it must not land in a scenario's request count.
BROWSER_OWN_PATHS = frozenset({"/favicon.ico"})


class RequestLog:
    """Thread-safe list of the requests every suite server received for the pages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def add(self, item: LoggedRequest) -> None:
        if item.path in BROWSER_OWN_PATHS:
            return
        with self._lock:
            self._items.append(item)

    def mark(self) -> int:
        with self._lock:
            return len(self._items)

    def since(self, mark: int) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items[mark:])


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SwitchingRecorder:
    """WSGI app that logs each request, then hands it to the active Django handler.

    Django builds a handler's middleware chain once, so a scenario that needs another
    MIDDLEWARE list (django-cors-headers beside cors_gate, or no CORS middleware at all)
    gets its own handler, built under ``override_settings`` and selected here.
    """

    def __init__(self, log: RequestLog) -> None:
        self.log = log
        self.apps: dict[str, WsgiApp] = {}
        self.active = "default"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.log.add(
            LoggedRequest(
                server="django",
                method=environ.get("REQUEST_METHOD", ""),
                path=environ.get("PATH_INFO", ""),
                origin=environ.get("HTTP_ORIGIN"),
                request_method=environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
                request_headers=environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                cookie=environ.get("HTTP_COOKIE"),
            )
        )
        return self.apps[self.active](environ, start_response)


def django_handler(middleware: list[str], **at_build: Any) -> WsgiApp:
    """A Django WSGI handler (with static files for the admin) for one MIDDLEWARE list,
    built while ``at_build`` settings are in force."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware, **at_build):
        return StaticFilesHandler(WSGIHandler())  # type: ignore[no-any-return]


def _server_thread(host: str, app: WsgiApp, shared: dict[str, Any]) -> Any:
    """Django's LiveServerThread serving ``app`` (it would build its own handler)."""
    from django.db import connections
    from django.test.testcases import LiveServerThread

    class Thread(LiveServerThread):
        def run(self) -> None:
            for alias, conn in shared.items():
                connections[alias] = conn
            try:
                self.httpd = self._create_server(connections_override=shared)
                self.port = self.httpd.server_address[1]
                self.httpd.set_app(app)
                self.is_ready.set()
                self.httpd.serve_forever()
            except Exception as exc:  # reported by start(), like Django's own thread
                self.error = exc
                self.is_ready.set()
            finally:
                connections.close_all()

    return Thread(host, static_handler=None, connections_override=shared)


class DjangoServer:
    """A Django live server on 127.0.0.1, serving through a ``SwitchingRecorder``."""

    def __init__(self, log: RequestLog) -> None:
        from django.db import connections

        self.recorder = SwitchingRecorder(log)
        # Like Django's LiveServerTestCase: hand the in-memory SQLite connection to the
        # server thread, so both see the same database.
        self._shared = {
            conn.alias: conn
            for conn in connections.all()
            if conn.vendor == "sqlite" and conn.is_in_memory_db()
        }
        self.thread = _server_thread(LOOPBACK, self.recorder, self._shared)
        self.thread.daemon = True

    def start(self) -> None:
        for conn in self._shared.values():
            conn.inc_thread_sharing()
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error

    def stop(self) -> None:
        self.thread.terminate()
        for conn in self._shared.values():
            conn.dec_thread_sharing()

    @property
    def port(self) -> int:
        return int(self.thread.port)

    def url(self, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.port}"


class _PageHandler(BaseHTTPRequestHandler):
    """Serves tests/browser/static, and as the IdP, a sign-in page without CORS headers."""

    server: _PageHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the RequestLog is the suite's record; keep pytest's output clean

    def _record(self) -> None:
        h = self.headers
        self.server.log.add(
            LoggedRequest(
                server=self.server.role,
                method=self.command,
                path=self.path.split("?", 1)[0],
                origin=h.get("Origin"),
                request_method=h.get("Access-Control-Request-Method"),
                request_headers=h.get("Access-Control-Request-Headers"),
                cookie=h.get("Cookie"),
            )
        )

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self) -> None:
        self._record()
        path = self.path.split("?", 1)[0]
        if self.server.role == "idp":
            # Okta's sign-in page: HTML, and no Access-Control-* headers at all.
            self._send(200, b"<html><body>Sign in</body></html>", "text/html")
            return
        if path == "/bounce":
            # A same-origin redirect, to whatever ``?to=`` says (user info, data:, …).
            target = parse_qs(urlsplit(self.path).query).get("to", ["/runner.html"])[0]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            return
        name = path.lstrip("/") or "runner.html"
        target = (STATIC_DIR / name).resolve()
        if target.parent != STATIC_DIR or not target.is_file():
            self._send(404, b"not found", "text/plain")
            return
        kind = "text/html" if target.suffix == ".html" else "text/javascript"
        self._send(200, target.read_bytes(), f"{kind}; charset=utf-8")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self._drain()
        self.do_GET()

    def do_OPTIONS(self) -> None:
        # Neither the page server nor the IdP speaks CORS: a preflight gets a bare 200.
        self._record()
        self._send(200, b"", "text/plain")


class _PageHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, role: str, log: RequestLog) -> None:
        self.role = role
        self.log = log
        super().__init__((LOOPBACK, 0), _PageHandler)


class PageServer:
    """A static page server (role "pages") or a CORS-less SSO provider (role "idp")."""

    def __init__(self, role: str, log: RequestLog) -> None:
        self.httpd = _PageHTTPServer(role, log)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.port}"
