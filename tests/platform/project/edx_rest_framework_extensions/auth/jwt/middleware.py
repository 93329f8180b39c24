"""Stand-in for openedx-platform's edx_rest_framework_extensions.auth.jwt.middleware.

The real module cannot be installed here; this one keeps its dotted path in MIDDLEWARE
and passes every request on.
"""

from __future__ import annotations

from platform_standins import PassThrough


class JwtAuthCookieMiddleware(PassThrough):
    pass


class EnsureJWTAuthSettingsMiddleware(PassThrough):
    pass
