"""The project and settings types openedx-platform passes to edx_django_utils.plugins.

Same values as openedx-platform's openedx/core/djangoapps/plugins/constants.py.
"""

from __future__ import annotations


class ProjectType:
    LMS = "lms.djangoapp"
    CMS = "cms.djangoapp"


class SettingsType:
    PRODUCTION = "production"
    COMMON = "common"
    DEVSTACK = "devstack"
    TEST = "test"
