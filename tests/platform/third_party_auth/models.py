"""SAMLConfiguration, SAMLProviderConfig and SAMLProviderData with the field names, types,
defaults and keys of openedx-platform's common/djangoapps/third_party_auth/models.py.

The validator reaches its verdicts from these rows on its own; `get_config` (and saml.py)
port the platform's login path only so that tests can sign in through the rows for real.
"""

from __future__ import annotations

import json
from typing import Any

from config_models.models import ConfigurationModel
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import models
from django.utils import timezone
from third_party_auth.saml import (
    STANDARD_SAML_PROVIDER_KEY,
    AuthNotConfigured,
    EdXSAMLIdentityProvider,
    get_saml_idp_choices,
)


def _get_site_id_from_settings() -> int:
    # The platform's default for the site foreign keys (kept out of the migration's values).
    return int(settings.SITE_ID)


# The attributes that have a default_* field (attr_user_permanent_id has none).
DEFAULT_FIELDS = {
    "attr_full_name": "default_full_name",
    "attr_first_name": "default_first_name",
    "attr_last_name": "default_last_name",
    "attr_username": "default_username",
    "attr_email": "default_email",
}


class ProviderConfig(ConfigurationModel):
    """The abstract base of every provider configuration (OAuth2, SAML, LTI)."""

    KEY_FIELDS: tuple[str, ...] = ("slug",)

    icon_class = models.CharField(max_length=50, blank=True, default="fa-sign-in")
    icon_image = models.FileField(blank=True)
    name = models.CharField(max_length=50, blank=True)
    slug = models.SlugField(max_length=30, db_index=True, default="default")
    secondary = models.BooleanField(default=False)
    site = models.ForeignKey(
        Site,
        default=_get_site_id_from_settings,
        related_name="%(class)ss",
        on_delete=models.CASCADE,
    )
    skip_hinted_login_dialog = models.BooleanField(default=False)
    skip_registration_form = models.BooleanField(default=False)
    skip_email_verification = models.BooleanField(default=False)
    send_welcome_email = models.BooleanField(default=False)
    visible = models.BooleanField(default=False)
    max_session_length = models.PositiveIntegerField(null=True, blank=True, default=None)
    send_to_registration_first = models.BooleanField(default=False)
    sync_learner_profile_data = models.BooleanField(default=False)
    enable_sso_id_verification = models.BooleanField(default=False)
    disable_for_enterprise_sso = models.BooleanField(default=False)
    was_valid_at = models.DateTimeField(blank=True, null=True)

    class Meta:
        app_label = "third_party_auth"
        abstract = True


class SAMLConfiguration(ConfigurationModel):
    """The SP side, per (site, slug); the login uses the site's 'default' one."""

    KEY_FIELDS = ("site_id", "slug")

    site = models.ForeignKey(
        Site,
        default=_get_site_id_from_settings,
        related_name="%(class)ss",
        on_delete=models.CASCADE,
    )
    slug = models.SlugField(max_length=30, default="default", blank=True)
    private_key = models.TextField(blank=True)
    public_key = models.TextField(blank=True)
    entity_id = models.CharField(
        max_length=255, default="http://saml.example.com", verbose_name="Entity ID"
    )
    org_info_str = models.TextField(
        verbose_name="Organization Info",
        default='{"en-US": {"url": "http://www.example.com", "displayname": "Example Inc.", '
        '"name": "example"}}',
    )
    other_config_str = models.TextField(
        default='{\n"SECURITY_CONFIG": {"metadataCacheDuration": 604800, "signMetadata": false}\n}'
    )
    is_public = models.BooleanField(default=False)

    class Meta:
        app_label = "third_party_auth"
        verbose_name = "SAML Configuration"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"SAMLConfiguration {self.site_id}: {self.slug} on {self.change_date}"


class SAMLProviderConfig(ProviderConfig):
    """One SAML identity provider, keyed by slug alone (not by site)."""

    prefix = "saml"
    display_name = models.CharField(max_length=35, blank=True)
    backend_name = models.CharField(max_length=50, default="tpa-saml", blank=True)
    entity_id = models.CharField(max_length=255, verbose_name="Entity ID", blank=True)
    metadata_source = models.CharField(max_length=255, blank=True)
    attr_user_permanent_id = models.CharField(max_length=128, blank=True)
    attr_full_name = models.CharField(max_length=128, blank=True)
    default_full_name = models.CharField(max_length=255, blank=True)
    attr_first_name = models.CharField(max_length=128, blank=True)
    default_first_name = models.CharField(max_length=255, blank=True)
    attr_last_name = models.CharField(max_length=128, blank=True)
    default_last_name = models.CharField(max_length=255, blank=True)
    attr_username = models.CharField(max_length=128, blank=True)
    default_username = models.CharField(max_length=255, blank=True)
    attr_email = models.CharField(max_length=128, blank=True)
    default_email = models.CharField(max_length=255, blank=True)
    automatic_refresh_enabled = models.BooleanField(default=True)
    identity_provider_type = models.CharField(
        max_length=128,
        blank=True,
        default=STANDARD_SAML_PROVIDER_KEY,
        choices=get_saml_idp_choices(),
    )
    debug_mode = models.BooleanField(default=False)
    country = models.CharField(max_length=128, blank=True)
    skip_hinted_login_dialog = models.BooleanField(default=True)
    skip_registration_form = models.BooleanField(default=True)
    skip_email_verification = models.BooleanField(default=True)
    send_to_registration_first = models.BooleanField(default=True)
    marketing_emails_opt_in_optional = models.BooleanField(default=False)
    other_settings = models.TextField(verbose_name="Advanced settings", blank=True)
    archived = models.BooleanField(default=False)
    saml_configuration = models.ForeignKey(
        SAMLConfiguration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        app_label = "third_party_auth"
        verbose_name = "Provider Configuration (SAML IdP)"
        verbose_name_plural = "Provider Configuration (SAML IdPs)"

    def __str__(self) -> str:
        return f"SAMLProviderConfig {self.slug}"

    def get_config(self, backend: Any) -> EdXSAMLIdentityProvider:
        """The IdP for social-core: this row's attr_* fields, every valid stored data row's
        certificate, and the SAMLConfiguration in force (its own, else the site default)."""
        conf: dict[str, Any] = json.loads(self.other_settings) if self.other_settings else {}
        conf["attr_defaults"] = {}
        for field in (
            "attr_user_permanent_id",
            "attr_full_name",
            "attr_first_name",
            "attr_last_name",
            "attr_username",
            "attr_email",
            "entity_id",
            "country",
        ):
            value = getattr(self, field)
            if value:
                conf[field] = value
            default_field = DEFAULT_FIELDS.get(field)
            conf["attr_defaults"][field] = getattr(self, default_field) if default_field else None
        keys: list[str] = []
        sso_url = ""
        for record in SAMLProviderData.objects.filter(entity_id=self.entity_id):
            if record.is_valid():
                keys.append(record.public_key)
                sso_url = record.sso_url
        if not keys:
            raise AuthNotConfigured(provider_name=self.name)
        conf["x509certMulti"] = {"signing": keys}
        conf["x509cert"] = ""
        conf["url"] = sso_url
        conf["saml_sp_configuration"] = self.saml_configuration or SAMLConfiguration.current(
            self.site_id, "default"
        )
        return EdXSAMLIdentityProvider(backend, self.slug, **conf)


class SAMLProviderData(models.Model):
    """What `manage.py lms saml --pull` stored from an IdP's metadata; rows accumulate."""

    fetched_at = models.DateTimeField(db_index=True, null=False)
    expires_at = models.DateTimeField(db_index=True, null=True)
    entity_id = models.CharField(max_length=255, db_index=True)
    sso_url = models.URLField(verbose_name="SSO URL")
    public_key = models.TextField()

    class Meta:
        app_label = "third_party_auth"
        verbose_name = "SAML Provider Data"
        verbose_name_plural = verbose_name
        ordering = ("-fetched_at",)

    def __str__(self) -> str:
        return f"SAMLProviderData {self.entity_id} fetched {self.fetched_at}"

    def is_valid(self) -> bool:
        if self.expires_at and timezone.now() > self.expires_at:
            return False
        return bool(self.entity_id and self.sso_url and self.public_key)
