"""Studio-shaped test settings: common plus test overrides, no YAML.

Shaped like openedx-platform's cms/envs/test.py: imports common (not production) and
runs the plugins' "test" plugin_settings.
"""

from __future__ import annotations

from edx_django_utils.plugins import add_plugins
from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType

from .common import *  # noqa: F403

CORS_ORIGIN_WHITELIST = ["https://sandbox.edx.org"]
CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

add_plugins(__name__, ProjectType.CMS, SettingsType.TEST)
