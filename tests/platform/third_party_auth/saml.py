"""The tpa-saml login path of openedx-platform's third_party_auth/saml.py, ported in its own
terms so that real logins (pysaml2 IdP, social-core, python3-saml) can run over the rows:
the backend finds the IdP in SAMLProviderConfig rows, builds python3-saml's settings from
the provider's SAMLConfiguration, and the identity provider answers a default (or None)
for an attribute the IdP did not send. cors_gate's validator never calls any of this.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from social_core.backends.saml import SAMLAuth, SAMLIdentityProvider
from social_core.exceptions import SocialAuthBaseException

STANDARD_SAML_PROVIDER_KEY = "standard_saml_provider"
SAP_SUCCESSFACTORS_SAML_KEY = "sap_success_factors"


def get_saml_idp_choices() -> tuple[tuple[str, str], ...]:
    return (
        (STANDARD_SAML_PROVIDER_KEY, "Standard SAML provider"),
        (SAP_SUCCESSFACTORS_SAML_KEY, "SAP SuccessFactors provider"),
    )


class AuthNotConfigured(SocialAuthBaseException):
    """No valid SAMLProviderData for the provider: the platform refuses the login."""

    def __init__(self, provider_name: str) -> None:
        super().__init__()
        self.provider_name = provider_name

    def __str__(self) -> str:
        return f"Authentication with {self.provider_name} is currently unavailable."


class EdXSAMLIdentityProvider(SAMLIdentityProvider):
    """A missing attribute is the provider's default_* value, or None: never an error."""

    def get_attr(
        self,
        attributes: dict[str, Any],
        conf_key: str,
        default_attributes: tuple[str, ...],
        *,
        validate_defaults: bool = False,
    ) -> Any:
        fallback = self.conf.get("attr_defaults", {}).get(conf_key) or None
        key = self.conf.get(conf_key)
        if key is None:
            key = next((name for name in default_attributes if name in attributes), None)
        if key is None or key not in attributes:
            return fallback
        value = attributes[key]
        if isinstance(value, list):
            return value[0] if value else fallback
        return value

    @property
    def saml_sp_configuration(self) -> Any:
        return self.conf["saml_sp_configuration"]


def sp_setting(configuration: Any, name: str) -> Any:
    """SAMLConfiguration.get_setting: row fields, the slug's key settings, other_config_str."""
    if name == "ORG_INFO":
        return json.loads(configuration.org_info_str)
    if name == "SP_ENTITY_ID":
        return configuration.entity_id
    if name in ("SP_PUBLIC_CERT", "SP_PRIVATE_KEY"):
        value = configuration.public_key if name == "SP_PUBLIC_CERT" else configuration.private_key
        if value:
            return value
        setting = "SOCIAL_AUTH_SAML_" + name
        if configuration.slug == "default":
            return getattr(settings, setting, "")
        return getattr(settings, setting + "_DICT", {}).get(configuration.slug, "")
    contact = {
        "givenName": f"{getattr(settings, 'PLATFORM_NAME', 'Your Platform Name Here')} Support",
        "emailAddress": getattr(settings, "TECH_SUPPORT_EMAIL", "technical@example.com"),
    }
    other = {"GET_ALL_EXTRA_DATA": True, "TECHNICAL_CONTACT": contact, "SUPPORT_CONTACT": contact}
    other.update(json.loads(configuration.other_config_str))
    return other[name]


class SAMLAuthBackend(SAMLAuth):
    """Listed in AUTHENTICATION_BACKENDS as the platform lists its own: the name is what the
    provider registry matches a SAMLProviderConfig.backend_name against."""

    name = "tpa-saml"

    def get_idp(self, idp_name: str | None) -> SAMLIdentityProvider:
        from third_party_auth.models import SAMLProviderConfig

        return SAMLProviderConfig.current(idp_name).get_config(self)

    def _idp_setting(self, idp: EdXSAMLIdentityProvider, name: str, default: Any = None) -> Any:
        try:
            return sp_setting(idp.saml_sp_configuration, name)
        except KeyError:
            return self.setting(name, default)

    def generate_saml_config(self, idp: SAMLIdentityProvider | None = None) -> dict[str, Any]:
        if not isinstance(idp, EdXSAMLIdentityProvider):
            return dict(super().generate_saml_config(idp))
        config: dict[str, Any] = {
            "contactPerson": {
                "technical": self._idp_setting(idp, "TECHNICAL_CONTACT"),
                "support": self._idp_setting(idp, "SUPPORT_CONTACT"),
            },
            "debug": True,
            "idp": idp.saml_config_dict,
            "organization": self._idp_setting(idp, "ORG_INFO"),
            "security": {"metadataValidUntil": "", "metadataCacheDuration": "P10D"},
            "sp": {
                "assertionConsumerService": {
                    "url": self.redirect_uri,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "entityId": self._idp_setting(idp, "SP_ENTITY_ID"),
                "x509cert": self._idp_setting(idp, "SP_PUBLIC_CERT"),
                "privateKey": self._idp_setting(idp, "SP_PRIVATE_KEY"),
            },
            "strict": True,
        }
        config["security"].update(self._idp_setting(idp, "SECURITY_CONFIG", {}))
        config["sp"].update(self._idp_setting(idp, "SP_EXTRA", {}))
        return config
