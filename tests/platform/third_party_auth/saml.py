"""The names openedx-platform's third_party_auth/saml.py defines that settings and rows use."""

from __future__ import annotations

from social_core.backends.saml import SAMLAuth

STANDARD_SAML_PROVIDER_KEY = "standard_saml_provider"
SAP_SUCCESSFACTORS_SAML_KEY = "sap_success_factors"


class SAMLAuthBackend(SAMLAuth):
    """Listed in AUTHENTICATION_BACKENDS as the platform lists its own: the name is what the
    provider registry matches a SAMLProviderConfig.backend_name against."""

    name = "tpa-saml"


def get_saml_idp_choices() -> tuple[tuple[str, str], ...]:
    return (
        (STANDARD_SAML_PROVIDER_KEY, "Standard SAML provider"),
        (SAP_SUCCESSFACTORS_SAML_KEY, "SAP SuccessFactors provider"),
    )
