"""cors_gate on a real MariaDB server (Debian mariadb-server), utf8mb4, through PyMySQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.apps import apps

from tests.integration.conftest import run_django
from tests.integration.servers import ROOT, MariaDB

pytestmark = pytest.mark.integration

SETTINGS = "tests.integration.settings_mariadb"


def app_tables() -> set[str]:
    return {m._meta.db_table for m in apps.get_app_config("cors_gate").get_models()}


def tables(server: MariaDB, database: str) -> set[str]:
    conn = server.connect(database)
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        found = {row[0] for row in cur.fetchall()}
    conn.close()
    return {t for t in found if t.startswith("cors_gate_")}


def test_migrations_apply_roll_back_and_apply_again(mariadb: MariaDB) -> None:
    mariadb.create_database("cg_migrations")
    env = mariadb.env("cg_migrations")

    done = run_django(["migrate", "--noinput"], env, SETTINGS)
    assert done.returncode == 0, done.stderr[-3000:]
    assert tables(mariadb, "cg_migrations") == app_tables()

    conn = mariadb.connect("cg_migrations")
    with conn.cursor() as cur:
        cur.execute(
            "SHOW INDEX FROM cors_gate_allowedorigin WHERE Column_name = 'pattern' "
            "AND Non_unique = 0"
        )
        assert cur.fetchall(), "no unique index on cors_gate_allowedorigin.pattern"
        cur.execute(
            "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
            "'cg_migrations' AND TABLE_NAME = 'cors_gate_allowedorigin' AND COLUMN_NAME = 'pattern'"
        )
        assert cur.fetchone() == ("utf8mb4",)
    conn.close()

    back = run_django(["migrate", "cors_gate", "zero", "--noinput"], env, SETTINGS)
    assert back.returncode == 0, back.stderr[-3000:]
    assert tables(mariadb, "cg_migrations") == set()

    again = run_django(["migrate", "cors_gate", "--noinput"], env, SETTINGS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert tables(mariadb, "cg_migrations") == app_tables()


def test_the_middleware_suite_and_the_utf8mb4_cases_pass_on_mariadb(mariadb: MariaDB) -> None:
    """The whole middleware suite (tests/test_middleware.py), unchanged, with Django's
    database on MariaDB."""
    env = {**os.environ, **mariadb.env("cg_suite"), "DJANGO_SETTINGS_MODULE": SETTINGS}
    args = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_middleware.py",
        "tests/integration/mariadb_cases.py",
        f"--ds={SETTINGS}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfEs",
        "--create-db",
    ]
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(f"on MariaDB: {summary}")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary
