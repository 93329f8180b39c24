"""Servers for the integration suite, started once per session on 127.0.0.1 and stopped after.

A missing binary skips with the Debian package to install; CI installs them all (`make test`
runs `make system-deps`), so nothing skips there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pymysql
import pytest

from tests.integration.client import ApiClient, hammer
from tests.integration.servers import (
    MARIADB_INSTALL_DB,
    MARIADBD,
    REDIS_SERVER,
    ROOT,
    Gunicorn,
    MariaDB,
    Redis,
    cleanup_dir,
)

pymysql.install_as_MySQLdb()  # before anything imports Django's MySQL backend

STACK_DB = "cg_stack"
ADMIN = "it-admin"
ADMIN_PASSWORD = "it-admin-password"
REFRESH_SECONDS = 1.0


def require(binary: str, package: str) -> None:
    if not os.access(binary, os.X_OK):
        pytest.skip(f"{binary} not found: install the Debian package {package}")


def run_django(
    args: list[str], env: dict[str, str], settings: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`python -m django ...` against another database, in a process of its own."""
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings}
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    require(MARIADBD, "mariadb-server")
    require(MARIADB_INSTALL_DB, "mariadb-server")
    workdir = tmp_path_factory.mktemp("mariadb")
    server = MariaDB(workdir)
    server.install()
    try:
        server.start()
        server.create_user()
        yield server
    finally:
        server.stop()
        cleanup_dir(workdir)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    require(REDIS_SERVER, "redis-server")
    workdir = tmp_path_factory.mktemp("redis")
    server = Redis(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        cleanup_dir(workdir)


@dataclass
class Stack:
    """gunicorn (4 workers) + MariaDB + Redis; rules change through the REST API, served by
    whichever worker the kernel hands the connection to."""

    gunicorn: Gunicorn
    mariadb: MariaDB
    redis: Redis
    env: dict[str, str]
    refresh: float = REFRESH_SECONDS
    ids: dict[str, int] = field(default_factory=dict)
    _api: ApiClient | None = None

    @property
    def port(self) -> int:
        return self.gunicorn.port

    def api(self) -> ApiClient:
        if self._api is None:
            self._api = ApiClient(self.port, ADMIN, ADMIN_PASSWORD)
        return self._api

    def add(self, pattern: str) -> tuple[float, float]:
        """Add a rule; returns (before the call, after its response) in epoch seconds."""
        started = time.time()
        self.ids[pattern] = self.api().create_origin(pattern)
        return started, time.time()

    def remove(self, pattern: str) -> tuple[float, float]:
        started = time.time()
        self.api().delete_origin(self.ids.pop(pattern))
        return started, time.time()

    def stored(self) -> set[str]:
        return self.api().patterns()

    def log_since(self, offset: int) -> str:
        with self.gunicorn.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.gunicorn.log.stat().st_size if self.gunicorn.log.exists() else 0


def warm_up(server: Gunicorn) -> None:
    """Until every worker has answered once: each loads Django's URLs and its first snapshot
    on its first request, which on a busy machine takes seconds."""
    workers = server.worker_pids()
    seen = hammer(
        server.port,
        ["https://warm-up.example"],
        seconds=90,
        max_requests=5_000,
        threads=4,
        done=lambda results: {s.pid for s in results} >= workers,
    )
    assert {s.pid for s in seen} >= workers, f"not every worker answered: {seen[-3:]}"


@pytest.fixture(scope="session")
def stack(
    mariadb: MariaDB, redis_server: Redis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    mariadb.create_database(STACK_DB)
    env = {
        **mariadb.env(STACK_DB),
        "CORS_GATE_IT_REDIS_URL": redis_server.url,
        "CORS_GATE_IT_REFRESH_SECONDS": str(REFRESH_SECONDS),
    }
    done = run_django(["migrate", "--noinput"], env, "tests.integration.settings_stack")
    assert done.returncode == 0, done.stderr[-3000:]
    admin = run_django(
        ["createsuperuser", "--noinput", "--username", ADMIN, "--email", "it@example.com"],
        {**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
        "tests.integration.settings_stack",
    )
    assert admin.returncode == 0, admin.stderr[-3000:]
    workdir = tmp_path_factory.mktemp("gunicorn")
    server = Gunicorn(workdir, env)
    try:
        server.start()
        warm_up(server)
        yield Stack(server, mariadb, redis_server, env)
    finally:
        server.stop()  # its log stays in pytest's temporary directory for a failed run
