"""The Tutor plugin (tutor_cors_gate/corsgate.py) rendered by the real `tutor config save`.

No Docker: Tutor renders its whole environment (Dockerfile, LMS and Studio settings) into
TUTOR_ROOT from its templates. The rendered settings patch is then loaded into the
LMS-shaped project, after the platform's production settings, the way Tutor's own
lms/envs/tutor/production.py does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform.helpers import GATE, PROBE, Site, stock_middleware

pytestmark = pytest.mark.openedx

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "tutor_cors_gate" / "corsgate.py"
TUTOR = Path(sys.executable).parent / "tutor"
BEGIN, END = "# cors_gate (Tutor plugin corsgate)", "# end of cors_gate"


def tutor(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "TUTOR_ROOT": str(root / "tutor"),
        "TUTOR_PLUGINS_ROOT": str(root / "plugins"),
    }
    done = subprocess.run(
        [str(TUTOR), *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def tutor_root(tmp_path: Path) -> Path:
    (tmp_path / "plugins").mkdir()
    shutil.copy(PLUGIN, tmp_path / "plugins" / "corsgate.py")
    tutor(tmp_path, "plugins", "enable", "corsgate")
    return tmp_path


def settings_patch(root: Path, service: str, kind: str = "production") -> str:
    text = (root / "tutor/env/apps/openedx/settings" / service / f"{kind}.py").read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def test_config_save_renders_requirement_and_settings(tutor_root: Path) -> None:
    tutor(tutor_root, "config", "save")
    dockerfile = (tutor_root / "tutor/env/build/openedx/Dockerfile").read_text()
    assert "$PIP_COMMAND install 'cors_gate==0.1.0'" in dockerfile
    # Installed with the image's other Python requirements, before the assets are built.
    assert dockerfile.index("install 'cors_gate==0.1.0'") < dockerfile.index("nodejs-requirements")
    for service in ("lms", "cms"):
        for kind in ("production", "development"):
            patch = settings_patch(tutor_root, service, kind)
            assert "CORS_GATE_AUTO_MIDDLEWARE = True" in patch
            assert 'CORS_GATE_INITIAL_MODE = "report-only"' in patch
            assert "CORS_GATE_ALLOWED_ORIGINS = []" in patch
    config = (tutor_root / "tutor/config.yml").read_text()
    assert "corsgate" in config  # enabled plugins are saved with the configuration


def test_tutor_values_become_django_settings(tutor_root: Path) -> None:
    tutor(
        tutor_root,
        "config",
        "save",
        "--set",
        "CORSGATE_AUTO_MIDDLEWARE=false",
        "--set",
        'CORSGATE_ALLOWED_ORIGINS=["https://apps.example.com"]',
        "--set",
        "CORSGATE_INITIAL_MODE=enforce",
        "--set",
        "CORSGATE_PIP_REQUIREMENT=git+https://git.example.com/cors_gate.git@v0.1.0",
    )
    dockerfile = (tutor_root / "tutor/env/build/openedx/Dockerfile").read_text()
    assert "install 'git+https://git.example.com/cors_gate.git@v0.1.0'" in dockerfile
    namespace: dict[str, object] = {}
    exec(settings_patch(tutor_root, "cms"), namespace)  # the rendered patch is Python
    assert namespace["CORS_GATE_AUTO_MIDDLEWARE"] is False
    assert namespace["CORS_GATE_ALLOWED_ORIGINS"] == ["https://apps.example.com"]
    assert namespace["CORS_GATE_INITIAL_MODE"] == "enforce"
    assert namespace["CORS_GATE_REFRESH_SECONDS"] == 1


def _tutor_settings_module(root: Path, patch: str) -> Path:
    """Tutor's lms/envs/tutor/production.py in small: the platform's production settings,
    then the plugins' settings patches."""
    package = root / "tutor_settings"
    package.mkdir(exist_ok=True)
    (package / "tutor_lms.py").write_text(
        f"from lms.envs.production import *  # noqa: F403\n\n{patch}\n", encoding="utf-8"
    )
    return package


@pytest.mark.parametrize("opt_out", [True, False], ids=["opt-out", "default"])
def test_opt_out_from_a_tutor_settings_patch(tutor_root: Path, opt_out: bool) -> None:
    """The patch runs after both plugin phases: MIDDLEWARE still lists the gate, but the gate
    steps out of the chain when Django loads it, and the audit sees it gone."""
    args = ["--set", "CORSGATE_AUTO_MIDDLEWARE=false"] if opt_out else []
    tutor(
        tutor_root,
        "config",
        "save",
        "--set",
        'CORSGATE_ALLOWED_ORIGINS=["https://apps.example.com"]',
        "--set",
        "CORSGATE_INITIAL_MODE=enforce",
        *args,
    )
    package = _tutor_settings_module(tutor_root, settings_patch(tutor_root, "lms"))
    site = Site("lms", tutor_root / "site")
    kwargs = {"settings": None, "settings_module": "tutor_lms", "pythonpath": str(package)}
    migrate = site.manage("migrate", "--noinput", **kwargs)
    assert migrate.returncode == 0, migrate.output
    seen = site.probe(PROBE, **kwargs)
    assert seen["middleware"] == [GATE, *stock_middleware("lms")]  # listed either way
    if opt_out:
        assert GATE not in seen["effective"]
        assert seen["allowed"]["acao"] is None  # the gate did not run
    else:
        assert seen["effective"][0] == GATE
        assert seen["allowed"]["acao"] == "https://apps.example.com"
    deploy = site.manage("check", "--deploy", **kwargs)
    assert deploy.returncode == 0, deploy.output
    assert ("cors_gate.W017" in deploy.output) is opt_out  # "decides nothing"


def test_the_package_installs_and_tutor_finds_it_by_its_entry_point(tmp_path: Path) -> None:
    """`pip install ./tutor_cors_gate` (README and docs/how-to/install-open-edx.rst) gives a
    plugin Tutor lists."""
    target = tmp_path / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(PLUGIN.parent),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "plugins").mkdir()  # empty: the plugin can only come from the entry point
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "TUTOR_ROOT": str(tmp_path / "tutor"),
        "TUTOR_PLUGINS_ROOT": str(tmp_path / "plugins"),
    }
    listed = subprocess.run(
        [str(TUTOR), "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    [row] = [line.split() for line in listed.stdout.splitlines() if line.startswith("corsgate")]
    assert row == ["corsgate", "installed", "0.1.0"]
