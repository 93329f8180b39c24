"""Stand-in for openedx-platform's openedx.core.djangoapps.embargo.middleware.

The real module cannot be installed here; this one keeps its dotted path in MIDDLEWARE
and passes every request on.
"""

from __future__ import annotations

from platform_standins import PassThrough


class EmbargoMiddleware(PassThrough):
    pass
