"""Loopback HTTP servers for the --url tests (127.0.0.1 only).

`ScriptedServer` answers each path with a scripted preflight answer and a scripted actual
answer, so every answer a misconfigured server can give is reproducible over real HTTP.
An `idp()` server plays an SSO provider that sends no CORS headers at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"


@dataclass
class Script:
    """The answers for one path: to OPTIONS, and to every other method."""

    preflight_status: int = 204
    preflight_headers: list[tuple[str, str]] = field(default_factory=list)
    actual_status: int = 200
    actual_headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]


class ScriptedServer:
    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.default = Script()
        self.received: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                server.received.append(
                    Received(self.command, self.path, {k: v for k, v in self.headers.items()})
                )
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                script = server.scripts.get(self.path.split("?")[0], server.default)
                if self.command == "OPTIONS":
                    status, headers = script.preflight_status, script.preflight_headers
                else:
                    status, headers = script.actual_status, script.actual_headers
                body = b"" if self.command in ("OPTIONS", "HEAD") else b"<html>hello</html>"
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value.replace("{port}", str(server.port)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def idp() -> Iterator[ScriptedServer]:
    """An SSO provider like Okta: 200 to everything, no CORS headers."""
    server = ScriptedServer()
    server.default = Script(preflight_status=200, actual_status=200)
    with server:
        yield server


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])
