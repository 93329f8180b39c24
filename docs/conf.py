"""Sphinx configuration for the cors_gate documentation (``make docs``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The version lives in one place; read it without importing Django.
_match = re.search(
    r'^__version__ = "([^"]+)"', (ROOT / "cors_gate" / "__init__.py").read_text(), re.M
)
assert _match is not None

project = "cors_gate"
author = "cors_gate contributors"
copyright = "cors_gate contributors, AGPL-3.0"
release = version = _match.group(1)

extensions: list[str] = []
root_doc = "index"
exclude_patterns = ["_build", "ARCHITECTURE.md"]
html_theme = "alabaster"
html_title = f"cors_gate {release}"
pygments_style = "sphinx"
