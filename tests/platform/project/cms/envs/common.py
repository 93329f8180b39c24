"""Studio-shaped common settings: the stock MIDDLEWARE, then the plugin apps and their settings.

Shaped like openedx-platform's cms/envs/common.py (master): the MIDDLEWARE list is the
platform's, in its order, comments included; plugin apps are added to INSTALLED_APPS and
their "common" plugin_settings run at the same place as there.
"""

from __future__ import annotations

from edx_django_utils.plugins import add_plugins, get_plugin_apps
from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType
from openedx.envs.common import *  # noqa: F403

SERVICE_VARIANT = "cms"
ROOT_URLCONF = "cms.urls"
CMS_ROOT_URL = "http://localhost"

################################# Middleware ###################################

MIDDLEWARE = [
    "openedx.core.lib.x_forwarded_for.middleware.XForwardedForMiddleware",
    "edx_django_utils.security.csp.middleware.content_security_policy_middleware",
    "crum.CurrentRequestUserMiddleware",
    # Resets the request cache.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    # Various monitoring middleware
    "edx_django_utils.monitoring.CookieMonitoringMiddleware",
    "edx_django_utils.monitoring.DeploymentMonitoringMiddleware",
    "edx_django_utils.monitoring.FrontendMonitoringMiddleware",
    "edx_django_utils.monitoring.MonitoringMemoryMiddleware",
    "openedx.core.djangoapps.header_control.middleware.HeaderControlMiddleware",
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sites.middleware.CurrentSiteMiddleware",
    # CORS and CSRF
    "django.middleware.csrf.CsrfViewMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware",
    # JWT auth
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    # Allows us to define redirects via Django admin
    "django_sites_extensions.middleware.RedirectMiddleware",
    # Instead of SessionMiddleware, we use a more secure version
    "openedx.core.djangoapps.safe_sessions.middleware.SafeSessionMiddleware",
    "method_override.middleware.MethodOverrideMiddleware",
    # Instead of AuthenticationMiddleware, we use a cache-backed version
    "openedx.core.djangoapps.cache_toolbox.middleware.CacheBackedAuthenticationMiddleware",
    "common.djangoapps.student.middleware.UserStandingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.djangoapps.track.middleware.TrackMiddleware",
    # This is used to set or update the user language preferences.
    "openedx.core.djangoapps.lang_pref.middleware.LanguagePreferenceMiddleware",
    # Allows us to dark-launch particular languages
    "openedx.core.djangoapps.dark_lang.middleware.DarkLangMiddleware",
    "openedx.core.djangoapps.embargo.middleware.EmbargoMiddleware",
    # Detects user-requested locale from 'accept-language' header in http request
    "django.middleware.locale.LocaleMiddleware",
    "codejail.django_integration.ConfigureCodeJailMiddleware",
    # for expiring inactive sessions
    "openedx.core.djangoapps.session_inactivity_timeout.middleware.SessionInactivityTimeout",
    "openedx.core.djangoapps.theming.middleware.CurrentSiteThemeMiddleware",
    # use Django built in clickjacking protection
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    # Enables force_django_cache_miss functionality for TieredCache.
    "edx_django_utils.cache.middleware.TieredCacheMiddleware",
    # Adds monitoring attributes to requests.
    "edx_rest_framework_extensions.middleware.RequestCustomAttributesMiddleware",
    "edx_rest_framework_extensions.auth.jwt.middleware.EnsureJWTAuthSettingsMiddleware",
    # Handles automatically storing user ids in django-simple-history tables when possible.
    "simple_history.middleware.HistoryRequestMiddleware",
    # This must be last so that it runs first in the process_response chain
    "openedx.core.djangoapps.site_configuration.middleware.SessionCookieDomainOverrideMiddleware",
]

EXTRA_MIDDLEWARE_CLASSES: list[str] = []

############## Plugin Django Apps #########################

INSTALLED_APPS.extend(get_plugin_apps(ProjectType.CMS))  # noqa: F405
add_plugins(__name__, ProjectType.CMS, SettingsType.COMMON)
