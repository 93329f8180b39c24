"""Run the LMS- and Studio-shaped project (tests/platform/project) the way an operator does.

Every command is a subprocess of ``manage.py lms|cms`` with a YAML config named by
LMS_CFG / CMS_CFG and its own SQLite file: the settings load once, from scratch, exactly
as they would on a server, and cors_gate is found through its installed entry points.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent / "project"
GATE = "cors_gate.middleware.CorsGateMiddleware"
CORSHEADERS = "corsheaders.middleware.CorsMiddleware"
LAST = "openedx.core.djangoapps.site_configuration.middleware.SessionCookieDomainOverrideMiddleware"
SERVICES = ("lms", "cms")


def stock_middleware(service: str) -> list[str]:
    """The MIDDLEWARE list written in <service>/envs/common.py, before any plugin ran."""
    tree = ast.parse((PROJECT / service / "envs" / "common.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "MIDDLEWARE" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"no MIDDLEWARE in {service}/envs/common.py")


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        """The last line of stdout, as JSON (what the probe scripts print)."""
        return json.loads(self.stdout.strip().splitlines()[-1])


class Site:
    """One LMS or Studio: its YAML config and database in a temporary directory."""

    def __init__(self, service: str, root: Path, config: dict[str, Any] | None = None) -> None:
        self.service = service
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_file = root / f"{service}.yml"
        self.database = root / f"{service}.sqlite3"
        self.write_config(config or {})

    def write_config(self, config: dict[str, Any]) -> None:
        self.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")

    def env(self, settings_module: str | None = None, pythonpath: str = "") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env[f"{self.service.upper()}_CFG"] = str(self.config_file)
        env["PLATFORM_SQLITE"] = str(self.database)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, str(PROJECT)) if p)
        if settings_module:
            env["DJANGO_SETTINGS_MODULE"] = settings_module
        return env

    def manage(
        self,
        *args: str,
        settings: str | None = "production",
        settings_module: str | None = None,
        pythonpath: str = "",
    ) -> Run:
        """``manage.py <service> [--settings NAME] ARGS``; settings=None: DJANGO_SETTINGS_MODULE."""
        command = [sys.executable, "manage.py", self.service]
        if settings:
            command += ["--settings", settings]
        done = subprocess.run(
            [*command, *args],
            cwd=PROJECT,
            env=self.env(settings_module, pythonpath),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def probe(self, code: str, **kwargs: Any) -> Any:
        """Run `code` in ``manage.py shell``; it prints one JSON line, returned decoded."""
        run = self.manage("shell", "-c", code, **kwargs)
        assert run.returncode == 0, run.output
        return run.json()


# What a server would tell about itself: the middleware, the apps, the API URLs, and the
# headers a cross-origin request gets back through the whole stock middleware chain.
PROBE = """
import json
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse
from cors_gate.audit.settings_view import SettingsView

def ask(origin):
    response = Client().get("/heartbeat", HTTP_ORIGIN=origin, HTTP_HOST="lms.example.com")
    acao = response.headers.get("Access-Control-Allow-Origin")
    return {"status": response.status_code, "acao": acao}

match = resolve("/api/cors_gate/v1/policy/")
print(json.dumps({
    "middleware": list(settings.MIDDLEWARE),
    "effective": SettingsView.from_django().middleware,
    "installed": list(settings.INSTALLED_APPS),
    "api_namespace": match.namespace,
    "api_reverse": reverse("cors_gate:policy"),
    "allowed": ask("https://apps.example.com"),
    "stranger": ask("https://evil.example"),
}))
"""
