"""Settings for the multi-process scenario: the test project plus the suite's /tb/ views,
on the file-based SQLite database named by CORS_GATE_DB (shared by every worker)."""

from __future__ import annotations

from test_settings import *  # noqa: F403

ROOT_URLCONF = "tests.browser.urls"
