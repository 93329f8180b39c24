"""Stand-in for openedx-platform's safe_sessions middleware (not installable here).

The real SafeSessionMiddleware is a subclass of Django's SessionMiddleware; so is this one.
"""

from __future__ import annotations

from django.contrib.sessions.middleware import SessionMiddleware
from platform_standins import PassThrough


class SafeSessionMiddleware(SessionMiddleware):
    pass


class EmailChangeMiddleware(PassThrough):
    pass
