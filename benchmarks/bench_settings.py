"""Django settings for `make bench`: the smallest project both CORS middlewares run in.

MIDDLEWARE is chosen per handler by benchmarks/handlers.py; django-cors-headers reads its
CORS_* settings per request, so benchmarks/run.py overrides them for each N.
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "corsheaders",
    "cors_gate",
]
# The floor every handler shares; the CORS middleware under test goes first, as documented.
BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
MIDDLEWARE = list(BASE_MIDDLEWARE)
ROOT_URLCONF = "benchmarks.bench_urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # A file, so the rows live in the page cache and not in the measured process.
        "NAME": os.environ.get("CORS_GATE_BENCH_DB", "build/bench/bench.sqlite3"),
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGGING_CONFIG = None
CORS_GATE_REFRESH_SECONDS = 1  # cors_gate defaults throughout: observations recorded too
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOWED_ORIGIN_REGEXES: list[str] = []
