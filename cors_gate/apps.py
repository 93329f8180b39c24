"""App configuration, including the Open edX plugin declaration."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig

_SETTINGS = {
    "common": {"relative_path": "settings.common"},
    "production": {"relative_path": "settings.production"},
}
_URLS = {"namespace": "cors_gate", "regex": r"^api/cors_gate/", "relative_path": "api.urls"}


class CorsGateConfig(AppConfig):
    name = "cors_gate"
    verbose_name = "CORS gate"
    default_auto_field = "django.db.models.BigAutoField"

    # Read by Open edX's plugin framework (edx-django-utils) for the LMS and Studio.
    plugin_app: dict[str, Any] = {
        "url_config": {"lms.djangoapp": _URLS, "cms.djangoapp": _URLS},
        "settings_config": {"lms.djangoapp": _SETTINGS, "cms.djangoapp": _SETTINGS},
    }

    def ready(self) -> None:
        # Cache-invalidation receivers and system checks register on import.
        from cors_gate import checks, signals  # noqa: F401
        from cors_gate.conf import corsheaders_signal

        if corsheaders_signal():  # opt-in: sites that keep django-cors-headers
            from cors_gate.integrations.corsheaders import connect

            connect()
