"""The Django system checks built on the audit rules, and the database view behind them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import checks
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cors_gate.audit import database_view
from cors_gate.audit.rules import RULES
from tests.audit.test_command import ROOT, manage


def ids(*, deploy: bool) -> list[str]:
    messages = checks.run_checks(include_deployment_checks=deploy, tags=[checks.Tags.security])
    return [m.id for m in messages if m.id and m.id.startswith("cors_gate.")]


def test_rules_page_table_matches_the_rules() -> None:
    """The documented table (generated from the declarations) is the one the checks use."""
    doc = (ROOT / "docs" / "reference" / "rules.rst").read_text(encoding="utf-8")
    rows = re.findall(
        r"^   \* - (\d{3})\n     - ``(\S+)``\n     - (deploy|always)$", doc, flags=re.MULTILINE
    )
    assert rows == [(f"{r.number:03d}", r.id, "deploy" if r.deploy else "always") for r in RULES]


def test_readme_lists_every_check_number() -> None:
    readme = (ROOT / "README.rst").read_text(encoding="utf-8")
    missing = [r.id for r in RULES if r.id not in readme]
    assert missing == []


@override_settings(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True)
def test_allow_all_with_credentials_is_a_deploy_error() -> None:
    assert "cors_gate.E001" in ids(deploy=True)
    assert "cors_gate.E001" not in ids(deploy=False)  # runserver/migrate are not blocked


@override_settings(CORS_ALLOWED_ORIGIN_REGEXES=["("])
def test_broken_regex_fails_every_check() -> None:
    assert "cors_gate.E009" in ids(deploy=False)


@override_settings(
    MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "cors_gate.middleware.CorsGateMiddleware",
    ]
)
def test_middleware_order_is_a_deploy_warning() -> None:
    # An error here would stop `migrate` on every stock LMS and Studio.
    assert "cors_gate.W016" not in ids(deploy=False)
    messages = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
    [order] = [m for m in messages if m.id == "cors_gate.W016"]
    assert isinstance(order, checks.Warning)
    assert order.obj == "cors_gate.middleware.CorsGateMiddleware"
    assert order.hint and "Move cors_gate.middleware.CorsGateMiddleware above" in order.hint


@override_settings(
    CORS_ALLOWED_ORIGINS=["http://localhost:3000", "http://apps.example.com"],
    CORS_ALLOW_CREDENTIALS=True,
)
def test_letter_follows_the_finding_severity() -> None:
    found = ids(deploy=True)
    assert "cors_gate.W005" in found  # loopback: a development setting
    assert "cors_gate.E005" in found  # a public http origin


def test_clean_test_project_has_no_cors_gate_messages() -> None:
    assert ids(deploy=False) == []


def test_deploy_checks_survive_blocked_database_access() -> None:
    # No django_db mark: pytest-django refuses queries; the checks must still answer.
    with override_settings(CORS_PREFLIGHT_MAX_AGE=86400):
        assert "cors_gate.W019" in ids(deploy=True)


@pytest.mark.django_db
def test_database_rules_become_deploy_checks() -> None:
    from cors_gate.models import AllowedOrigin, CorsPolicy

    AllowedOrigin.objects.create(
        pattern="https://old.example.com",
        expires_at=timezone.now() - datetime.timedelta(days=1),
        note="spring course",
    )
    AllowedOrigin.objects.create(pattern="https://paused.example.com", enabled=False)
    # Saving refuses this while credentials are on; bulk_create skips save(), as a row stored
    # before that refusal existed (or by raw SQL) did: the deploy check still reports it.
    CorsPolicy(mode="report-only", max_age=86400, urls_regex=r"^/api/").save()
    AllowedOrigin.objects.bulk_create([AllowedOrigin(pattern="https://*.github.io")])
    found = ids(deploy=True)
    for expected in (
        "cors_gate.W022",  # expired
        "cors_gate.I023",  # disabled
        "cors_gate.E006",  # *.github.io with credentials
        "cors_gate.W019",  # max_age
        "cors_gate.W020",  # report-only
        "cors_gate.W024",  # urls_regex misses /oauth2/ ...
    ):
        assert expected in found
    assert not any(i.startswith("cors_gate.") for i in ids(deploy=False))


@pytest.mark.django_db
def test_database_view_reads_the_rows() -> None:
    from cors_gate.models import AllowedOrigin

    AllowedOrigin.objects.create(
        pattern="https://Apps.Example.com/",
        paths=["/api/"],
        csrf_trusted=True,
        note="MFEs",
    )
    from cors_gate.models import CorsPolicy

    policies = CorsPolicy.objects.count()
    loaded = database_view.load()
    assert loaded.view is not None
    [row] = loaded.view.rules
    assert (row.pattern, row.paths, row.csrf_trusted, row.note) == (
        "https://apps.example.com",
        ("/api/",),
        True,
        "MFEs",
    )
    assert loaded.view.policy.mode == "enforce"
    assert CorsPolicy.objects.count() == policies  # the audit reads, never writes


@pytest.mark.django_db
def test_missing_tables_give_no_view_and_no_crash() -> None:
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute("ALTER TABLE cors_gate_allowedorigin RENAME TO cors_gate_hidden")
    loaded = database_view.load()
    assert loaded.view is None
    assert "OperationalError" in loaded.problem
    with override_settings(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True):
        assert "cors_gate.E001" in ids(deploy=True)


def test_check_deploy_before_migrate(tmp_path: object) -> None:
    from pathlib import Path

    db = Path(str(tmp_path)) / "fresh.sqlite3"
    done = manage("check", "--deploy", db=db, settings="tests.audit.openedx_settings")
    assert "Traceback" not in done.stderr
    assert "(cors_gate.E001)" in done.stderr
    assert "(cors_gate.E018)" in done.stderr  # two CORS middlewares, read without tables
    assert done.returncode == 1  # Django refuses deploy with a security error


@pytest.mark.django_db
@override_settings(USE_TZ=False)
def test_naive_expiry_dates_are_compared_safely() -> None:
    from cors_gate.models import AllowedOrigin

    AllowedOrigin.objects.create(
        pattern="https://old.example.com",
        expires_at=datetime.datetime.now() - datetime.timedelta(days=1),
    )
    loaded = database_view.load()
    assert loaded.view is not None
    [row] = loaded.view.rules
    assert row.expires_at is not None and timezone.is_aware(row.expires_at)
    assert "cors_gate.W022" in ids(deploy=True)


@pytest.mark.django_db
def test_two_middlewares_claim_matches_the_real_stack() -> None:
    """cors_gate first and enforcing: django-cors-headers' allowed origin is refused."""
    from corsheaders.middleware import CorsMiddleware
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from cors_gate.audit.report import load_input
    from cors_gate.audit.rules.middleware import two_cors_middlewares
    from cors_gate.middleware import CorsGateMiddleware

    listed = "https://learning.example.com"
    settings = {
        "CORS_ALLOWED_ORIGINS": [listed],
        "CORS_ALLOW_CREDENTIALS": True,
        "MIDDLEWARE": [
            "cors_gate.middleware.CorsGateMiddleware",
            "corsheaders.middleware.CorsMiddleware",
        ],
    }

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    with override_settings(**settings):
        [finding] = list(two_cors_middlewares(load_input()))
        stack = CorsGateMiddleware(CorsMiddleware(view))
        request = RequestFactory().get("/api/user/v1/me", HTTP_ORIGIN=listed)
        response = stack(request)
        alone = CorsMiddleware(view)(RequestFactory().get("/api/x", HTTP_ORIGIN=listed))
    assert finding.severity.value == "error"
    assert f"refused although django-cors-headers lists them: {listed}" in finding.detail
    assert alone.headers.get("access-control-allow-origin") == listed
    assert "access-control-allow-origin" not in response.headers
