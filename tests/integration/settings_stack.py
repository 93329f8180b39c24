"""gunicorn workers (and the rule agent) of the multi-process tests: MariaDB + Redis.

Django's own RedisCache carries cors_gate's revision between the workers; log lines carry
the process id and time so the tests can tell workers apart and count errors per interval.
"""

from __future__ import annotations

import os

from tests.integration.settings_mariadb import *  # noqa: F403
from tests.integration.settings_workers import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CORS_GATE_IT_REDIS_URL"],
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
