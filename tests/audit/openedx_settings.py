"""A realistic Open edX production configuration, as the first answer in the Open edX forum
thread "Cross-Origin Resource Sharing error: Preflight Missing Allow Origin Header" had it.

The test project's settings plus what an LMS's production settings end up with: django-cors-
headers on (ENABLE_CORS_HEADERS forces credentials), the wildcard whitelist the thread warns
about, an MFE origin list (with a development origin left in), cross-domain CSRF cookies.
"""

from __future__ import annotations

from test_settings import *  # noqa: F403
from test_settings import INSTALLED_APPS, MIDDLEWARE

FEATURES = {
    "ENABLE_CORS_HEADERS": True,
    "ENABLE_CROSS_DOMAIN_CSRF_COOKIE": True,
    "ENABLE_THIRD_PARTY_AUTH": True,
}
LMS_ROOT_URL = "https://lms.example.com"
CMS_ROOT_URL = "https://studio.example.com"
ALLOWED_HOSTS = ["lms.example.com", "testserver"]

INSTALLED_APPS = [*INSTALLED_APPS, "corsheaders"]
MIDDLEWARE = [
    "cors_gate.middleware.CorsGateMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    *[m for m in MIDDLEWARE if m != "cors_gate.middleware.CorsGateMiddleware"],
]

# lms/envs/production.py: `if FEATURES['ENABLE_CORS_HEADERS']: CORS_ALLOW_CREDENTIALS = True`
CORS_ALLOW_CREDENTIALS = True
CORS_ORIGIN_ALLOW_ALL = True  # EDXAPP_CORS_ORIGIN_ALLOW_ALL: true
CORS_ORIGIN_WHITELIST = [
    "https://apps.example.com",
    "https://learning.example.com",
    "https://authn.example.com",
    "https://studio.example.com",
    "http://localhost:2000",  # the learning MFE's dev server, left in
    "profile.example.com",  # the forum's amended advice: bare host names (pre-3.0 format)
]
CSRF_TRUSTED_ORIGINS = ["https://apps.example.com", "https://studio.example.com"]
CROSS_DOMAIN_CSRF_COOKIE_NAME = "example-csrftoken"
CROSS_DOMAIN_CSRF_COOKIE_DOMAIN = ".example.com"
SESSION_COOKIE_DOMAIN = ".example.com"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
