"""Stand-in for openedx-platform's openedx.core.djangoapps.dark_lang.middleware.

The real module cannot be installed here; this one keeps its dotted path in MIDDLEWARE
and passes every request on.
"""

from __future__ import annotations

from platform_standins import PassThrough


class DarkLangMiddleware(PassThrough):
    pass
