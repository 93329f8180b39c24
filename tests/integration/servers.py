"""Real servers for the integration suite: MariaDB, Redis and gunicorn, on 127.0.0.1 only.

Each server runs in a temporary directory on a free loopback port, as a child of the test
process, and is stopped by the fixture that started it. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
MARIADBD = "/usr/sbin/mariadbd"
MARIADB_INSTALL_DB = "/usr/bin/mariadb-install-db"
REDIS_SERVER = "/usr/bin/redis-server"
DB_USER = "cors_gate"
DB_PASSWORD = "it-only-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((LOOPBACK, port)) == 0


def wait_until(
    what: str,
    ready: Any,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting:\n{tail}")
        try:
            if ready():
                return
        except Exception:  # not ready yet: the server is still coming up
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} was not ready within {timeout} s:\n{tail}")


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM the process we started (its own session), then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class MariaDB:
    """mariadbd with its own datadir; a password-protected user reaches it over TCP."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def socket_path(self) -> Path:
        return self.workdir / "mariadb.sock"

    @property
    def log(self) -> Path:
        return self.workdir / "mariadb.log"

    def install(self) -> None:
        args = [
            MARIADB_INSTALL_DB,
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{out.stdout}\n{out.stderr}")

    def start(self) -> None:
        args = [
            MARIADBD,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            f"--bind-address={LOOPBACK}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.workdir / 'mariadb.pid'}",
            f"--log-error={self.log}",
            "--skip-log-bin",
            "--skip-name-resolve",  # no reverse DNS for each loopback connection
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--innodb-buffer-pool-size=64M",
            # A throwaway server: durability of every commit is not what is tested.
            "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=200",
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        # A plain socket probe: a refused PyMySQL connect would leak its socket.
        wait_until("mariadbd", lambda: port_open(self.port), 60, self.proc, self.log)

    def create_user(self) -> None:
        """The application's account: a password, TCP from 127.0.0.1, its own databases."""
        conn = pymysql.connect(unix_socket=str(self.socket_path), user="root", autocommit=True)
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE USER IF NOT EXISTS '{DB_USER}'@'{LOOPBACK}' IDENTIFIED BY %s",
                (DB_PASSWORD,),
            )
            # pytest-django creates test_<name> databases, so the account may create databases.
            cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{DB_USER}'@'{LOOPBACK}'")
        conn.close()

    def stop(self) -> None:
        stop_process(self.proc, timeout=30)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def connect(self, database: str | None = None) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(
            host=LOOPBACK,
            port=self.port,
            user=DB_USER,
            password=DB_PASSWORD,
            database=database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, name: str) -> None:
        conn = self.connect()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        conn.close()

    def env(self, database: str) -> dict[str, str]:
        """What tests/integration/settings_*.py read to reach this server."""
        return {
            "CORS_GATE_IT_DB_PORT": str(self.port),
            "CORS_GATE_IT_DB_NAME": database,
            "CORS_GATE_IT_DB_USER": DB_USER,
            "CORS_GATE_IT_DB_PASSWORD": DB_PASSWORD,
        }


@dataclass
class Redis:
    """redis-server on loopback, nothing saved to disk."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.workdir / "redis.log"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--logfile",
            str(self.log),
            "--protected-mode",
            "yes",
        ]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_until("redis-server", self.ping, 20, self.proc, self.log)

    def client(self) -> Any:
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=2)

    def ping(self) -> bool:
        return bool(self.client().ping())

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


@dataclass
class Gunicorn:
    """The test project under gunicorn, several sync workers, logging to a file."""

    workdir: Path
    env: dict[str, str]
    workers: int = 4
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    settings: str = "tests.integration.settings_stack"

    @property
    def log(self) -> Path:
        return self.workdir / "gunicorn.log"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--chdir",
            str(ROOT),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--backlog",
            "256",
            "--log-level",
            "warning",
            "tests.integration.wsgi:application",
        ]
        env = {
            **os.environ,
            **self.env,
            "DJANGO_SETTINGS_MODULE": self.settings,
        }
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        wait_until(
            "gunicorn",
            lambda: len(self.worker_pids()) == self.workers and port_open(self.port),
            60,
            self.proc,
            self.log,
        )

    def worker_pids(self) -> set[int]:
        """The workers are the master's children (read from /proc, no extra package)."""
        if self.proc is None:
            return set()
        master = self.proc.pid
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == master:
                pids.add(int(stat.parent.name))
        return pids

    def stop(self) -> None:
        stop_process(self.proc, timeout=20)
        self.proc = None


def cleanup_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
