"""Stand-in for openedx-platform's cache_toolbox middleware (not installable here).

The real CacheBackedAuthenticationMiddleware is a subclass of Django's
AuthenticationMiddleware; so is this one.
"""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware


class CacheBackedAuthenticationMiddleware(AuthenticationMiddleware):
    pass
