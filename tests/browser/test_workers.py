"""The admin scenario across processes: gunicorn with two workers on one SQLite file.

The admin's save is handled by one worker; the front end's fetches land on either. Each
worker keeps its own policy snapshot and (with a process-local cache) checks the database
revision at most once per CORS_GATE_REFRESH_SECONDS, so every worker must let the new
origin in within that interval.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import Site
from .harness import BrowserProbe

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
REFRESH_SECONDS = 1.0  # test_settings.CORS_GATE_REFRESH_SECONDS
PASSWORD = "admin-pass-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def gunicorn_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("workers") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.browser.gunicorn_settings",
        "CORS_GATE_DB": str(db),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _manage(env, "migrate", "--noinput")
    _manage(
        env,
        "createsuperuser",
        "--noinput",
        "--username",
        "operator",
        "--email",
        "operator@example.com",
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "tests.browser.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                _, err = server.communicate()
                pytest.fail(f"gunicorn did not start: {err.decode()[-2000:]}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.communicate(timeout=20)


def test_admin_change_reaches_every_worker_within_refresh_interval(
    probe: BrowserProbe, site: Site, gunicorn_api: str
) -> None:
    url = f"{gunicorn_api}/tb/echo/"
    # Warm both workers' snapshots (each fetch is a new connection: either worker answers).
    for _ in range(6):
        blocked = probe.run_fetch(site.other_page, url, credentials="include")
        assert blocked.cors_error == "MissingAllowOriginHeader"

    admin = probe.page.context.new_page()
    admin.goto(f"{gunicorn_api}/admin/login/?next=/admin/cors_gate/allowedorigin/add/")
    admin.fill("#id_username", "operator")
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.fill("#id_pattern", site.other_page)
    admin.click("input[name=_save]")
    saved_at = time.monotonic()
    expect(admin.locator("#result_list")).to_contain_text(site.other_page)

    first_ok: float | None = None
    while time.monotonic() - saved_at < REFRESH_SECONDS + 1.5:
        verdict = probe.run_fetch(site.other_page, url, credentials="include")
        if verdict.ok and first_ok is None:
            first_ok = time.monotonic() - saved_at
        elif first_ok is not None:  # once one worker allows it, none may refuse for long
            late = time.monotonic() - saved_at
            assert verdict.ok or late <= REFRESH_SECONDS, f"{verdict.outcome} after {late:.2f}s"
        time.sleep(0.05)
    assert first_ok is not None, "no worker allowed the new origin"
    assert first_ok <= REFRESH_SECONDS + 0.5, f"first allowed {first_ok:.2f}s after saving"

    # Past the interval every worker allows it: ask until both have answered.
    served_by: set[int] = set()
    deadline = time.monotonic() + 10
    while len(served_by) < 2 and time.monotonic() < deadline:
        verdict = probe.run_fetch(site.other_page, url, credentials="include")
        assert verdict.ok, verdict.outcome
        served_by.add(json.loads(verdict.body)["pid"])
    assert len(served_by) == 2, f"only worker(s) {served_by} answered"
