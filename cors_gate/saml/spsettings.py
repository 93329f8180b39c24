"""The python3-saml settings dict the SP would build (as social-core's
`SAMLAuth.generate_saml_config` does), and python3-saml's own verdict on it."""

from __future__ import annotations

from typing import Any

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from cors_gate.saml.types import NAMEID_UNSPECIFIED, ProviderConfig

PLACEHOLDER_ACS = "https://lms.example.com"  # only when no LMS URL is known: syntax checks


def settings_dict(
    provider: ProviderConfig,
    acs_url: str,
    *,
    idp_certs: tuple[str, ...] = (),
) -> dict[str, Any]:
    sp = provider.sp
    config: dict[str, Any] = {
        "strict": True,  # social-core forces strict mode
        "debug": False,
        "sp": {
            "entityId": sp.entity_id,
            "assertionConsumerService": {"url": acs_url, "binding": C.BINDING_HTTP_POST},
            "x509cert": sp.public_cert,
            "privateKey": sp.private_key,
        },
        "idp": {
            "entityId": provider.entity_id,
            "singleSignOnService": {
                "url": provider.idp_sso_url or "https://idp.invalid/sso",
                "binding": C.BINDING_HTTP_REDIRECT,
            },
        },
        "security": {"metadataValidUntil": "", "metadataCacheDuration": "P10D"},
        "contactPerson": {
            "technical": sp.technical_contact,
            "support": sp.support_contact,
        },
        "organization": sp.org_info,
    }
    config["security"].update(dict(sp.security))
    config["sp"].update(dict(sp.sp_extra))
    if idp_certs:
        config["idp"]["x509certMulti"] = {"signing": list(idp_certs)}
    return config


_FALLBACK_SECURITY = {
    "wantMessagesSigned": False,
    "wantAssertionsSigned": False,
    "rejectDeprecatedAlgorithm": False,
    "authnRequestsSigned": False,
}


def sp_verdict(config: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """python3-saml's verdict on the SP part, from one OneLogin_Saml2_Settings: its error
    codes ([] when it accepts the settings), and SECURITY_CONFIG with its defaults filled in
    (wantMessagesSigned, ...; for refused settings, ours under the configured values)."""
    try:
        settings = OneLogin_Saml2_Settings(config, sp_validation_only=True)
    except OneLogin_Saml2_Error as exc:
        text = str(exc)
        codes = text.split(":", 1)[1] if ":" in text else text
        errors = [c.strip() for c in codes.split(",") if c.strip()]
    except Exception as exc:
        # Odd shapes (a contact that is a string, ...) crash python3-saml, and the login with
        # it: report that as refused settings, never as our traceback.
        errors = [f"crash:{type(exc).__name__}"]
    else:
        return [], dict(settings.get_security_data())
    return errors, {**_FALLBACK_SECURITY, **config.get("security", {})}


def effective_security(config: dict[str, Any]) -> dict[str, Any]:
    """SECURITY_CONFIG with python3-saml's defaults filled in (wantMessagesSigned, ...)."""
    return sp_verdict(config)[1]


def sp_name_id_format(provider: ProviderConfig) -> str:
    return str(provider.sp.sp_extra.get("NameIDFormat") or NAMEID_UNSPECIFIED)
