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
from pathlib import Path

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


def self_signed(directory: Path, host: str = LOOPBACK) -> tuple[Path, Path]:
    """A fresh self-signed certificate for `host` (no CA trusts it): (cert, key) files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def serve_tls(server: ScriptedServer, cert: Path, key: Path) -> None:
    """Make `server` answer over TLS with this certificate (call before entering it)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.url = f"https://{LOOPBACK}:{server.port}"
