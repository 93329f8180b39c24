"""The policy snapshot: no queries per request, refresh, failure behaviour, propagation."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from cors_gate import policy
from cors_gate.models import AllowedOrigin, CorsPolicy

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.middleware_urls")]

ROOT = Path(__file__).resolve().parent.parent
MFE = "https://apps.example.com"


def acao(client: Client, origin: str) -> str | None:
    return client.get("/api/plain/", HTTP_ORIGIN=origin).get("Access-Control-Allow-Origin")


def test_zero_queries_per_request_in_steady_state(
    client: Client, django_assert_num_queries: Any
) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    AllowedOrigin.objects.create(pattern="https://*.partner.org", paths=["/api/"])
    assert acao(client, MFE) == MFE  # builds the snapshot
    with django_assert_num_queries(0):
        for _ in range(50):
            assert acao(client, MFE) == MFE
            assert acao(client, "https://x.partner.org") == "https://x.partner.org"
            assert acao(client, "https://evil.com") is None
            client.options("/api/plain/", HTTP_ORIGIN=MFE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT")


def test_a_change_in_this_process_applies_at_once(client: Client) -> None:
    assert acao(client, MFE) is None
    rule = AllowedOrigin.objects.create(pattern=MFE)
    assert acao(client, MFE) == MFE
    rule.enabled = False
    rule.save()
    assert acao(client, MFE) is None


def test_policy_rows_refuse_insecure_combinations() -> None:
    set_credentials_off = CorsPolicy.load()
    set_credentials_off.allow_credentials = False
    set_credentials_off.save()
    AllowedOrigin.objects.create(pattern="https://*")  # fine without credentials
    policy_row = CorsPolicy.load()
    policy_row.allow_credentials = True
    with pytest.raises(ValidationError, match="allows every origin"):
        policy_row.save()
    assert CorsPolicy.load().allow_credentials is False  # nothing half-written


def test_policy_cannot_be_deleted() -> None:
    with pytest.raises(ValidationError):
        CorsPolicy.load().delete()
    assert CorsPolicy.objects.count() == 1


@pytest.fixture
def broken_database() -> Iterator[Any]:
    """Make the rule table unreadable for real (the query fails in SQLite), then repair it."""

    class Breaker:
        broken = False

        def break_(self) -> None:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE cors_gate_allowedorigin RENAME TO cors_gate_gone")
            self.broken = True

        def repair(self) -> None:
            if self.broken:
                with connection.cursor() as cursor:
                    cursor.execute("ALTER TABLE cors_gate_gone RENAME TO cors_gate_allowedorigin")
                self.broken = False

    breaker = Breaker()
    yield breaker
    breaker.repair()


def test_database_failure_keeps_the_last_good_snapshot(
    client: Client, broken_database: Any, caplog: Any, settings: Any
) -> None:
    settings.CORS_GATE_REFRESH_SECONDS = 0.2
    AllowedOrigin.objects.create(pattern=MFE)
    assert acao(client, MFE) == MFE
    CorsPolicy.objects.filter(pk=1).update(revision="changed-elsewhere")  # forces a rebuild
    broken_database.break_()
    with caplog.at_level(logging.ERROR, logger="cors_gate.policy"):
        started = time.monotonic()
        served = 0
        while time.monotonic() - started < 0.5:
            response = client.get("/api/plain/", HTTP_ORIGIN=MFE)
            assert response.status_code == 200
            assert response["Access-Control-Allow-Origin"] == MFE  # last good snapshot
            served += 1
    errors = [r for r in caplog.records if "could not refresh" in r.getMessage()]
    assert served > 20
    assert 1 <= len(errors) <= 4  # once per 0.2 s interval, not once per request
    broken_database.repair()
    AllowedOrigin.objects.filter(pattern=MFE).delete()
    assert acao(client, MFE) is None  # the database is back and the change is picked up


def test_no_snapshot_ever_built_denies_cors_but_serves_the_request(
    client: Client, broken_database: Any, caplog: Any
) -> None:
    AllowedOrigin.objects.create(pattern=MFE)
    policy.reset_for_tests()
    broken_database.break_()
    with caplog.at_level(logging.ERROR, logger="cors_gate.policy"):
        response = client.get("/api/plain/", HTTP_ORIGIN=MFE)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "denying CORS until it loads" in caplog.text


def test_cache_outage_falls_back_to_the_database(client: Client, settings: Any) -> None:
    # A real Redis client pointed at a port where nothing listens: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    AllowedOrigin.objects.create(pattern=MFE)
    assert acao(client, MFE) == MFE


# -- two processes --------------------------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.propagation_worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.ask(None) == "ready"

    def ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.mark.parametrize(
    "cache_backend",
    [
        "django.core.cache.backends.filebased.FileBasedCache",  # shared between processes
        "django.core.cache.backends.locmem.LocMemCache",  # process-local: database fallback
    ],
)
def test_a_rule_added_in_one_process_is_enforced_by_another(
    tmp_path: Path, cache_backend: str
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.propagation_settings",
        "CORS_GATE_TEST_DB": str(tmp_path / "shared.sqlite3"),
        "CORS_GATE_TEST_CACHE_BACKEND": cache_backend,
        "CORS_GATE_TEST_CACHE_LOCATION": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server, editor = Worker(env), Worker(env)
    try:
        assert server.ask(f"get {MFE}") == "-"
        assert editor.ask(f"add {MFE}") == "ok"
        added = time.monotonic()
        while server.ask(f"get {MFE}") != MFE:
            assert time.monotonic() - added < 2.5, "not propagated within refresh + 1.5 s"
            time.sleep(0.05)
        assert editor.ask(f"remove {MFE}") == "ok"
        removed = time.monotonic()
        while server.ask(f"get {MFE}") != "-":
            assert time.monotonic() - removed < 2.5, "removal not propagated"
            time.sleep(0.05)
    finally:
        server.close()
        editor.close()


def test_settings_pinned_entries_are_part_of_the_policy(client: Client, settings: Any) -> None:
    settings.CORS_GATE_ALLOWED_ORIGINS = ["https://pinned.example.com", "https://bad_host.com"]
    assert acao(client, "https://pinned.example.com") == "https://pinned.example.com"
    assert acao(client, "https://other.example.com") is None


def test_a_pinned_any_origin_entry_is_refused_while_credentials_are_on(
    client: Client, settings: Any, caplog: Any
) -> None:
    settings.CORS_GATE_ALLOWED_ORIGINS = ["*", "https://pinned.example.com"]
    with caplog.at_level(logging.ERROR, logger="cors_gate.policy"):
        assert acao(client, "https://evil.com") is None
    assert "allows every origin" in caplog.text
    assert acao(client, "https://pinned.example.com") == "https://pinned.example.com"
    policy_row = CorsPolicy.load()
    policy_row.allow_credentials = False
    policy_row.save()
    assert acao(client, "https://evil.com") == "https://evil.com"  # without cookies: allowed


def test_rules_over_a_public_suffix_are_not_served_while_credentials_are_on(
    client: Client, settings: Any, caplog: Any
) -> None:
    # A row stored before the write paths refused it (bulk_create skips validation, as an
    # old release did), and a pinned entry: neither may reach a browser with cookies.
    policy_row = CorsPolicy.load()
    AllowedOrigin.objects.bulk_create([AllowedOrigin(pattern="https://*.com")])
    policy.bump_revision()
    settings.CORS_GATE_ALLOWED_ORIGINS = ["https://*.co.uk", "https://pinned.example.com"]
    with caplog.at_level(logging.ERROR, logger="cors_gate.policy"):
        assert acao(client, "https://evil.com") is None
        assert acao(client, "https://evil.co.uk") is None
    assert "skipping stored rule 'https://*.com'" in caplog.text
    assert "public suffix 'co.uk'" in caplog.text
    assert acao(client, "https://pinned.example.com") == "https://pinned.example.com"
    policy_row.allow_credentials = False
    policy_row.save()
    # Without cookies they may be saved and served (the audit warns about them).
    assert acao(client, "https://evil.com") == "https://evil.com"
    assert acao(client, "https://evil.co.uk") == "https://evil.co.uk"


@pytest.mark.django_db(transaction=True)
def test_a_change_is_published_only_after_its_transaction_commits(settings: Any) -> None:
    """Other processes look in the cache: a revision published before commit would let
    them rebuild from rows they cannot see yet, and keep that stale build."""
    from django.core.cache import caches
    from django.db import transaction

    settings.CORS_GATE_REFRESH_SECONDS = 0.2

    cache = caches["default"]
    policy.reset_for_tests()
    policy.bump_revision()  # outside a transaction: committed, published at once
    first = cache.get(policy.CACHE_KEY)
    assert first == CorsPolicy.objects.get(pk=1).revision
    with transaction.atomic():
        AllowedOrigin.objects.create(pattern=MFE)
        assert cache.get(policy.CACHE_KEY) == first  # not yet
    published = cache.get(policy.CACHE_KEY)
    assert published != first
    assert published == CorsPolicy.objects.get(pk=1).revision
    assert policy.current_snapshot().decide(MFE, "/").allowed

    gone = "https://rolled-back.example"

    def change_then_fail() -> None:
        with transaction.atomic():
            AllowedOrigin.objects.create(pattern=gone)
            assert policy.current_snapshot().decide(gone, "/").allowed  # this connection's view
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert cache.get(policy.CACHE_KEY) == published  # nothing published for a rollback
    # This process forgets the rolled-back rule at its next check: the revision it built
    # from was never committed.
    time.sleep(0.3)
    deadline = time.monotonic() + 2.0  # the check runs in a helper thread
    while policy.current_snapshot().decide(gone, "/").allowed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not policy.current_snapshot().decide(gone, "/").allowed
    assert policy.current_snapshot().decide(MFE, "/").allowed
