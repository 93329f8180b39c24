"""The test project with one warning-level CORS problem and nothing worse."""

from __future__ import annotations

from test_settings import *  # noqa: F403

CORS_PREFLIGHT_MAX_AGE = 86400
