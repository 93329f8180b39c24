"""Defaults shared by the LMS- and Studio-shaped settings (like openedx/envs/common.py).

Only what Django and the CORS/CSRF pieces need, with the platform's default values.
"""

from __future__ import annotations

import os

SECRET_KEY = "platform-shaped-test-project-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # The suite points each run at its own file; check alone needs no file.
        "NAME": os.environ.get("PLATFORM_SQLITE", ":memory:"),
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Feature flags (the platform keeps them as top-level settings behind a FEATURES proxy).
FEATURES: dict[str, object] = {}
ENABLE_CORS_HEADERS = False
ENABLE_THIRD_PARTY_AUTH = False

########################## Cross-domain requests (platform defaults) ###################
CROSS_DOMAIN_CSRF_COOKIE_NAME = ""
CROSS_DOMAIN_CSRF_COOKIE_DOMAIN = ""
CSRF_TRUSTED_ORIGINS: list[str] = []
ENABLE_CROSS_DOMAIN_CSRF_COOKIE = False

if ENABLE_CORS_HEADERS:
    CORS_ALLOW_CREDENTIALS = True
    CORS_ORIGIN_WHITELIST: tuple[str, ...] = ()
    CORS_ORIGIN_ALLOW_ALL = False
    CORS_ALLOW_INSECURE = False

LOGIN_REDIRECT_WHITELIST: list[str] = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.humanize",
    "django.contrib.redirects",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    # CORS and cross-domain CSRF
    "corsheaders",
    "openedx.core.djangoapps.cors_csrf",
    # Database-backed configuration
    "config_models",
    "waffle",
    "rest_framework",
    "social_django",
]
