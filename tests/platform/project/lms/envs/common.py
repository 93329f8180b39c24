"""LMS-shaped common settings: the stock MIDDLEWARE, then the plugin apps and their settings.

Shaped like openedx-platform's lms/envs/common.py (master): the MIDDLEWARE list is the
platform's, in its order, comments included; plugin apps are added to INSTALLED_APPS and
their "common" plugin_settings run at the same place as there.
"""

from __future__ import annotations

from edx_django_utils.plugins import add_plugins, get_plugin_apps
from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType
from openedx.envs.common import *  # noqa: F403

SERVICE_VARIANT = "lms"
ROOT_URLCONF = "lms.urls"
LMS_ROOT_URL = "http://localhost"

################################# Middleware ###################################

MIDDLEWARE = [
    "openedx.core.lib.x_forwarded_for.middleware.XForwardedForMiddleware",
    "edx_django_utils.security.csp.middleware.content_security_policy_middleware",
    "crum.CurrentRequestUserMiddleware",
    # Resets the request cache.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    # Various monitoring middleware
    "edx_django_utils.monitoring.CachedCustomMonitoringMiddleware",
    "edx_django_utils.monitoring.CookieMonitoringMiddleware",
    "edx_django_utils.monitoring.DeploymentMonitoringMiddleware",
    "edx_django_utils.monitoring.FrontendMonitoringMiddleware",
    # Monitoring and logging for ignored errors
    "openedx.core.lib.request_utils.IgnoredErrorMiddleware",
    "lms.djangoapps.mobile_api.middleware.AppVersionUpgrade",
    "openedx.core.djangoapps.header_control.middleware.HeaderControlMiddleware",
    "lms.djangoapps.discussion.django_comment_client.middleware.AjaxExceptionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sites.middleware.CurrentSiteMiddleware",
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    # Allows us to define redirects via Django admin
    "django_sites_extensions.middleware.RedirectMiddleware",
    # Instead of SessionMiddleware, we use a more secure version
    "openedx.core.djangoapps.safe_sessions.middleware.SafeSessionMiddleware",
    # Instead of AuthenticationMiddleware, we use a cached backed version
    "openedx.core.djangoapps.cache_toolbox.middleware.CacheBackedAuthenticationMiddleware",
    # Middleware to flush user's session in other browsers when their email is changed.
    "openedx.core.djangoapps.safe_sessions.middleware.EmailChangeMiddleware",
    "common.djangoapps.student.middleware.UserStandingMiddleware",
    # Adds user tags to tracking events
    "openedx.core.djangoapps.user_api.middleware.UserTagsEventContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.djangoapps.track.middleware.TrackMiddleware",
    # CORS and CSRF
    "django.middleware.csrf.CsrfViewMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware",
    "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware",
    "openedx.core.djangoapps.embargo.middleware.EmbargoMiddleware",
    "enterprise.middleware.EnterpriseLanguagePreferenceMiddleware",
    "openedx.core.djangoapps.lang_pref.middleware.LanguagePreferenceMiddleware",
    "openedx.core.djangoapps.dark_lang.middleware.DarkLangMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "lms.djangoapps.discussion.django_comment_client.utils.ViewNameMiddleware",
    "codejail.django_integration.ConfigureCodeJailMiddleware",
    # for expiring inactive sessions
    "openedx.core.djangoapps.session_inactivity_timeout.middleware.SessionInactivityTimeout",
    # use Django built in clickjacking protection
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # to redirected unenrolled students to the course info page
    "lms.djangoapps.courseware.middleware.CacheCourseIdMiddleware",
    "lms.djangoapps.courseware.middleware.RedirectMiddleware",
    "lms.djangoapps.course_wiki.middleware.WikiAccessMiddleware",
    "openedx.core.djangoapps.theming.middleware.CurrentSiteThemeMiddleware",
    "waffle.middleware.WaffleMiddleware",
    # Enables force_django_cache_miss functionality for TieredCache.
    "edx_django_utils.cache.middleware.TieredCacheMiddleware",
    # Adds monitoring attributes to requests.
    "edx_rest_framework_extensions.middleware.RequestCustomAttributesMiddleware",
    "edx_rest_framework_extensions.auth.jwt.middleware.EnsureJWTAuthSettingsMiddleware",
    # Handles automatically storing user ids in django-simple-history tables when possible.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Third-party auth exception handling for social auth redirects
    "common.djangoapps.third_party_auth.middleware.ExceptionMiddleware",
    # This must be last
    "openedx.core.djangoapps.site_configuration.middleware.SessionCookieDomainOverrideMiddleware",
]

############## Plugin Django Apps #########################

INSTALLED_APPS.extend(get_plugin_apps(ProjectType.LMS))  # noqa: F405
add_plugins(__name__, ProjectType.LMS, SettingsType.COMMON)
