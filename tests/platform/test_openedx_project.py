"""cors_gate installed into LMS- and Studio-shaped projects, run as an operator runs them.

The project (tests/platform/project) calls edx_django_utils.plugins where openedx-platform
does, keeps the platform's stock MIDDLEWARE in its order, and reads its YAML config the way
current production.py does. Each command runs in its own process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.platform.helpers import (
    CORSHEADERS,
    GATE,
    LAST,
    PROBE,
    SERVICES,
    Site,
    stock_middleware,
)

pytestmark = pytest.mark.openedx

# An Open edX site with front ends on other subdomains, configured as the platform documents.
WITH_CORS = {
    "FEATURES": {"ENABLE_CORS_HEADERS": True},
    "CORS_ORIGIN_WHITELIST": ["https://apps.example.com", "https://learning.example.com"],
    "CSRF_TRUSTED_ORIGINS": ["https://apps.example.com", "https://learning.example.com"],
}


def cors_gate_ids(output: str, letter: str = "EWI") -> list[str]:
    return sorted(set(re.findall(rf"cors_gate\.[{letter}]\d{{3}}", output)))


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("config", [{}, WITH_CORS], ids=["stock", "with-cors"])
def test_check_migrate_and_deploy_check_pass_on_a_stock_site(
    service: str, config: dict[str, object], tmp_path: Path
) -> None:
    site = Site(service, tmp_path, config)
    check = site.manage("check")
    assert check.returncode == 0, check.output
    assert cors_gate_ids(check.output) == []
    migrate = site.manage("migrate", "--noinput")
    assert migrate.returncode == 0, migrate.output
    assert "Applying cors_gate.0001" in migrate.output
    deploy = site.manage("check", "--deploy")
    assert deploy.returncode == 0, deploy.output
    assert cors_gate_ids(deploy.output, "E") == []
    # The stock order (CommonMiddleware before CorsMiddleware) is still reported, as a
    # warning that names the way out while the new policy is report-only.
    assert "cors_gate.W016" in deploy.output
    assert "Switch cors_gate's policy to 'enforce'" in deploy.output
    assert "cors_gate.W020" in deploy.output  # report-only: what the plugin starts in


@pytest.mark.parametrize("service", SERVICES)
def test_plugin_is_found_placed_first_once_and_mounts_its_api(service: str, tmp_path: Path) -> None:
    site = Site(service, tmp_path)
    assert site.manage("migrate", "--noinput").returncode == 0
    seen = site.probe(PROBE)
    assert "cors_gate.apps.CorsGateConfig" in seen["installed"]  # from the entry point
    stock = stock_middleware(service)
    assert seen["middleware"] == [GATE, *stock]
    assert seen["middleware"].count(GATE) == 1 and seen["middleware"][-1] == LAST
    assert seen["effective"] == seen["middleware"]
    assert seen["api_namespace"] == "cors_gate"
    assert seen["api_reverse"] == "/api/cors_gate/v1/policy/"
    # Report-only and no rules yet: the plugin blocks nothing, decides nothing.
    assert seen["stranger"] == {"status": 200, "acao": None}


@pytest.mark.parametrize("settings", ["devstack", "test"])
def test_every_settings_type_gets_the_gate_first(settings: str, tmp_path: Path) -> None:
    site = Site("lms", tmp_path)
    seen = site.probe(
        "import json; from django.conf import settings as s; print(json.dumps(s.MIDDLEWARE))",
        settings=settings,
    )
    assert seen == [GATE, *stock_middleware("lms")]


@pytest.mark.parametrize("service", SERVICES)
def test_opt_out_from_the_yaml_config(service: str, tmp_path: Path) -> None:
    """CORS_GATE_AUTO_MIDDLEWARE: false in lms.yml / cms.yml, read after the common phase."""
    site = Site(service, tmp_path, {"CORS_GATE_AUTO_MIDDLEWARE": False})
    seen = site.probe(
        "import json; from django.conf import settings as s; print(json.dumps(s.MIDDLEWARE))"
    )
    assert seen == stock_middleware(service)
    deploy = site.manage("check", "--deploy")
    assert deploy.returncode == 0, deploy.output
    assert "cors_gate.W017" in deploy.output  # the audit says the allow-list decides nothing


def test_the_gate_decides_through_the_whole_stock_chain(tmp_path: Path) -> None:
    """django-cors-headers allows every origin (devstack-style), the gate enforces first."""
    config = {
        "FEATURES": {"ENABLE_CORS_HEADERS": True},
        "CORS_ORIGIN_ALLOW_ALL": True,
        "CORS_GATE_INITIAL_MODE": "enforce",
        "CORS_GATE_ALLOWED_ORIGINS": ["https://apps.example.com"],
    }
    site = Site("lms", tmp_path, config)
    assert site.manage("migrate", "--noinput").returncode == 0
    seen = site.probe(PROBE)
    assert seen["allowed"] == {"status": 200, "acao": "https://apps.example.com"}
    assert seen["stranger"] == {"status": 200, "acao": None}
    deploy = site.manage("check", "--deploy")
    assert "cors_gate.W016" not in deploy.output  # enforcing first: corsheaders' place is moot


def test_read_only_commands_run_when_another_apps_check_fails(tmp_path: Path) -> None:
    """A bare host in CORS_ORIGIN_WHITELIST is corsheaders.E013: `check` fails, and with it
    every command that runs the checks. The migration docs/how-to/migrate-from-allow-all.rst
    describes must not."""
    config = {
        "FEATURES": {"ENABLE_CORS_HEADERS": True},
        "CORS_ORIGIN_WHITELIST": ["apps.example.com", "https://learning.example.com"],
    }
    site = Site("lms", tmp_path, config)
    check = site.manage("check")
    assert check.returncode == 1 and "corsheaders.E013" in check.output
    site.write_config({})
    assert site.manage("migrate", "--noinput").returncode == 0
    site.write_config(config)

    imported = site.manage("cors_gate_origins", "import", "--from-settings")
    assert imported.returncode == 0, imported.output
    assert "add https://learning.example.com" in imported.stdout
    assert "skip 'apps.example.com'" in imported.stdout
    assert "nearest pattern: https://apps.example.com" in imported.stdout
    listed = site.manage("cors_gate_origins", "list")
    assert listed.returncode == 0 and "https://learning.example.com" in listed.stdout
    for command in (
        ["cors_gate_origins", "export"],
        ["cors_gate_audit", "--format", "json"],
        ["cors_gate_explain", "--origin", "https://learning.example.com", "--path", "/heartbeat"],
        ["cors_gate_saml", "check"],
    ):
        run = site.manage(*command)
        assert "SystemCheckError" not in run.output and "Traceback" not in run.output, command
        assert "corsheaders.E013" not in run.output, command
    # A write through the same command still validates every entry.
    bad = site.manage("cors_gate_origins", "add", "apps.example.com")
    assert bad.returncode != 0 and "Traceback" not in bad.output


def test_gate_first_keeps_the_platform_cors_middleware_in_place(tmp_path: Path) -> None:
    """Only the gate moves: django-cors-headers and the platform's cors_csrf stay together."""
    site = Site("cms", tmp_path, WITH_CORS)
    seen = site.probe(
        "import json; from django.conf import settings as s; print(json.dumps(s.MIDDLEWARE))"
    )
    stock = stock_middleware("cms")
    position = stock.index(CORSHEADERS)
    assert seen[position + 1 : position + 4] == stock[position : position + 3]
