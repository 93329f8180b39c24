"""gunicorn workers on one SQLite file, as a small site runs them (the never-wait tests).

Django's default SQLite setup on purpose (rollback journal, 5 s busy timeout, a process-local
cache, so each worker reads the revision from the database): another process holding
`BEGIN EXCLUSIVE` then blocks every reader, and a policy check that waited on the database
would stall requests for the whole lock.
"""

from __future__ import annotations

import os

from test_settings import *  # noqa: F403
from tests.integration.settings_workers import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["CORS_GATE_IT_SQLITE"],
        "OPTIONS": {"timeout": 5},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
