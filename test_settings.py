"""Settings for the test suite and the SQLite demo (`make demo`).

A minimal Open edX-like project: admin, sessions, DRF, social-auth and cors_gate.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent
# Stand-ins for openedx-platform apps (third_party_auth) import by their platform label.
PLATFORM_DIR = str(BASE_DIR / "tests" / "platform")
if PLATFORM_DIR not in sys.path:
    sys.path.append(PLATFORM_DIR)

SECRET_KEY = os.environ.get("CORS_GATE_SECRET_KEY", "insecure-test-only-key")
DEBUG = bool(os.environ.get("CORS_GATE_DEBUG"))
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "social_django",
    "third_party_auth",
    "cors_gate",
]
SITE_ID = 1

MIDDLEWARE = [
    "cors_gate.middleware.CorsGateMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "test_urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_SQLITE_OPTIONS: dict[str, object] = {"timeout": 20}
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CORS_GATE_DB", str(BASE_DIR / "demo.sqlite3")),
        # runserver's threads and the observation flush write concurrently: wait for a lock
        # rather than fail at once.
        "OPTIONS": _SQLITE_OPTIONS,
    }
}
if django.VERSION >= (5, 1):
    # WAL lets readers go on while one thread writes; IMMEDIATE takes the write lock when a
    # transaction starts, so a read-then-write transaction never fails half-way with
    # "database is locked" (Django's SQLite notes, "Database is locked errors"). Django 4.2
    # has neither option and keeps the rollback journal and the timeout.
    _SQLITE_OPTIONS.update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    }
}

AUTHENTICATION_BACKENDS = [
    # As an Open edX LMS with SAML turned on lists it (third_party_auth stand-in).
    "third_party_auth.saml.SAMLAuthBackend",
    "django.contrib.auth.backends.ModelBackend",
]
FEATURES = {"ENABLE_THIRD_PARTY_AUTH": True}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
LANGUAGE_CODE = "en-us"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"cors_gate": {"handlers": ["console"], "level": "INFO"}},
}

# Open edX answers every front end with credentials; cors_gate defaults to the same.
CORS_GATE_REFRESH_SECONDS = 1
