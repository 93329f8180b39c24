"""What every gunicorn worker of the integration suite shares, whatever its database:
the URL conf, the policy check interval, and log lines that carry the process id and time
(the tests tell workers apart and count errors per interval from them)."""

from __future__ import annotations

import os

ROOT_URLCONF = "tests.integration.urls"
CORS_GATE_REFRESH_SECONDS = float(os.environ.get("CORS_GATE_IT_REFRESH_SECONDS", "1"))
DEBUG = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "pid": {"format": "%(created).3f pid=%(process)d %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "pid"}},
    "loggers": {
        "cors_gate": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
