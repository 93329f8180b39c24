"""LMS-shaped production settings: common, then the YAML file named by LMS_CFG.

Shaped like openedx-platform's lms/envs/production.py (master): every YAML key lands in
this module as a setting (ENV_TOKENS / AUTH_TOKENS stay as aliases for old plugins), the
CORS settings are post-processed the same way, and the plugins' "production"
plugin_settings run at the bottom.
"""

from __future__ import annotations

import codecs
import os

import yaml
from django.core.exceptions import ImproperlyConfigured
from edx_django_utils.plugins import add_plugins
from openedx.core.djangoapps.plugins.constants import ProjectType, SettingsType

from .common import *  # noqa: F403


def get_env_setting(setting: str) -> str:
    try:
        return os.environ[setting]
    except KeyError:
        raise ImproperlyConfigured(f"Set the {setting} env variable") from None


#### YAML LOADING

CONFIG_FILE = get_env_setting("LMS_CFG")

with codecs.open(CONFIG_FILE, encoding="utf-8") as f:
    _YAML_TOKENS = yaml.safe_load(f) or {}
    vars().update(
        {
            key: value
            for key, value in _YAML_TOKENS.items()
            if key not in ["FEATURES", "JWT_AUTH", "REST_FRAMEWORK"]
        }
    )

# Required to be 'None' so the session cookie is sent on cross-site requests.
SESSION_COOKIE_SAMESITE = "None"

# The platform's FEATURES proxy writes each feature flag as a top-level setting.
for feature, value in _YAML_TOKENS.get("FEATURES", {}).items():
    globals()[feature] = value
    FEATURES[feature] = value  # noqa: F405

# Additional installed apps
for app in _YAML_TOKENS.get("ADDL_INSTALLED_APPS", []):
    INSTALLED_APPS.append(app)  # noqa: F405

if ENABLE_CORS_HEADERS or ENABLE_CROSS_DOMAIN_CSRF_COOKIE:  # noqa: F405
    CORS_ALLOW_CREDENTIALS = True
    CORS_ORIGIN_WHITELIST = _YAML_TOKENS.get("CORS_ORIGIN_WHITELIST", ())
    CORS_ORIGIN_ALLOW_ALL = _YAML_TOKENS.get("CORS_ORIGIN_ALLOW_ALL", False)
    CORS_ALLOW_INSECURE = _YAML_TOKENS.get("CORS_ALLOW_INSECURE", False)
    CROSS_DOMAIN_CSRF_COOKIE_DOMAIN = _YAML_TOKENS.get("CROSS_DOMAIN_CSRF_COOKIE_DOMAIN")

# As openedx-platform's lms/envs/production.py: with third-party auth on, the YAML's
# THIRD_PARTY_AUTH_BACKENDS (else the platform's default list, SAML included) go in front of
# the stock AUTHENTICATION_BACKENDS. Only the SAML entry has a stand-in module here.
if ENABLE_THIRD_PARTY_AUTH:  # noqa: F405
    AUTHENTICATION_BACKENDS = _YAML_TOKENS.get(
        "THIRD_PARTY_AUTH_BACKENDS",
        [
            "social_core.backends.google.GoogleOAuth2",
            "social_core.backends.linkedin.LinkedinOAuth2",
            "social_core.backends.facebook.FacebookOAuth2",
            "social_core.backends.azuread.AzureADOAuth2",
            "common.djangoapps.third_party_auth.appleid.AppleIdAuth",
            "common.djangoapps.third_party_auth.identityserver3.IdentityServer3",
            "common.djangoapps.third_party_auth.saml.SAMLAuthBackend",
            "common.djangoapps.third_party_auth.lti.LTIAuthBackend",
        ],
    ) + list(AUTHENTICATION_BACKENDS)  # noqa: F405

########################## Extra middleware classes  #######################

MIDDLEWARE.extend(_YAML_TOKENS.get("EXTRA_MIDDLEWARE_CLASSES", []))  # noqa: F405

#### LOAD SETTINGS FROM DJANGO PLUGINS

ENV_TOKENS = _YAML_TOKENS
AUTH_TOKENS = _YAML_TOKENS

add_plugins(__name__, ProjectType.LMS, SettingsType.PRODUCTION)
