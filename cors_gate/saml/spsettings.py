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
    idp_sso_url: str = "",
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
                "url": idp_sso_url or provider.idp_sso_url or "https://idp.invalid/sso",
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


def settings_errors(config: dict[str, Any]) -> list[str]:
    """python3-saml's error codes for the SP part ([] when it accepts the settings)."""
    try:
        OneLogin_Saml2_Settings(config, sp_validation_only=True)
    except OneLogin_Saml2_Error as exc:
        text = str(exc)
        codes = text.split(":", 1)[1] if ":" in text else text
        return [c.strip() for c in codes.split(",") if c.strip()]
    except Exception as exc:
        # Odd shapes (a contact that is a string, ...) crash python3-saml, and the login with
        # it: report that as refused settings, never as our traceback.
        return [f"crash:{type(exc).__name__}"]
    return []


def effective_security(config: dict[str, Any]) -> dict[str, Any]:
    """SECURITY_CONFIG with python3-saml's defaults filled in (wantMessagesSigned, ...)."""
    try:
        settings = OneLogin_Saml2_Settings(config, sp_validation_only=True)
    except Exception:  # refused or crashing settings: reported by settings_errors
        defaults = {
            "wantMessagesSigned": False,
            "wantAssertionsSigned": False,
            "rejectDeprecatedAlgorithm": False,
            "authnRequestsSigned": False,
        }
        return {**defaults, **config.get("security", {})}
    return dict(settings.get_security_data())


def sp_name_id_format(provider: ProviderConfig) -> str:
    return str(provider.sp.sp_extra.get("NameIDFormat") or NAMEID_UNSPECIFIED)
