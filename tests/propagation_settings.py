"""Settings for worker processes in the propagation tests: a shared file database and a
cache chosen by the test (file-based = shared between processes; locmem = process-local)."""

from __future__ import annotations

import os

from test_settings import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["CORS_GATE_TEST_DB"]}
}
CACHES = {
    "default": {
        "BACKEND": os.environ["CORS_GATE_TEST_CACHE_BACKEND"],
        "LOCATION": os.environ.get("CORS_GATE_TEST_CACHE_LOCATION", ""),
    }
}
ROOT_URLCONF = "tests.middleware_urls"
CORS_GATE_REFRESH_SECONDS = 1
