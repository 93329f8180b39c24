"""LMS-shaped devstack settings: production plus development overrides.

Shaped like openedx-platform's lms/envs/devstack.py: imports production (so the YAML is
read too), opens CORS to every origin, and runs the plugins' "devstack" plugin_settings.
"""

from __future__ import annotations

from edx_django_utils.plugins import add_plugins
from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType

from .production import *  # noqa: F403

DEBUG = True

###################### Cross-domain requests ######################
ENABLE_CORS_HEADERS = True
CORS_ALLOW_CREDENTIALS = True
CORS_ORIGIN_WHITELIST = ()
CORS_ORIGIN_ALLOW_ALL = True

add_plugins(__name__, ProjectType.LMS, SettingsType.DEVSTACK)
