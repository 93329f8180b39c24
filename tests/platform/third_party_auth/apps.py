from __future__ import annotations

from django.apps import AppConfig


class ThirdPartyAuthConfig(AppConfig):
    name = "third_party_auth"
    label = "third_party_auth"  # the platform's label: apps.get_model finds it the same way
    verbose_name = "Third-party authentication (stand-in)"
    default_auto_field = "django.db.models.AutoField"  # the platform's tables use int ids
