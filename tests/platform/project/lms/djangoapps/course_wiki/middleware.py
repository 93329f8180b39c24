"""Stand-in for openedx-platform's lms.djangoapps.course_wiki.middleware.

The real module cannot be installed here; this one keeps its dotted path in MIDDLEWARE
and passes every request on.
"""

from __future__ import annotations

from platform_standins import PassThrough


class WikiAccessMiddleware(PassThrough):
    pass
