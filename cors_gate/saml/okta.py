"""The Okta side: an app as Okta's Apps API returns it (`GET /api/v1/apps/{id}`) for a
SAML 2.0 app, reduced to what decides whether an Open edX login works.

`settings.signOn` holds the fields the admin UI shows under "SAML Settings"; the
`*Override` fields win over the plain ones when set, as in Okta.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cors_gate.exceptions import SamlDocumentError

SHA1_NAMES = {"RSA_SHA1", "SHA1", "SHA-1"}


class OktaAppError(SamlDocumentError):
    """The JSON is not a SAML 2.0 app; the message says what is missing."""


@dataclass(frozen=True)
class OktaApp:
    default_relay_state: str
    sso_acs_url: str
    recipient: str
    destination: str
    audience: str
    name_id_format: str
    response_signed: bool | None
    assertion_signed: bool | None
    signature_algorithm: str
    digest_algorithm: str
    assertion_encrypted: bool
    attribute_names: tuple[str, ...] = ()  # the names of Okta's Attribute Statements


def _str(sign_on: Mapping[str, Any], key: str) -> str:
    value = sign_on.get(key)
    return value.strip() if isinstance(value, str) else ""


def _effective(sign_on: Mapping[str, Any], key: str) -> str:
    return _str(sign_on, key + "Override") or _str(sign_on, key)


def _bool(sign_on: Mapping[str, Any], key: str) -> bool | None:
    value = sign_on.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"signed", "unsigned", "true", "false"}:
        return value.lower() in {"signed", "true"}
    return None


def parse_okta_app(app: Mapping[str, Any]) -> OktaApp:
    mode = app.get("signOnMode")
    if mode is not None and mode != "SAML_2_0":
        raise OktaAppError(f"signOnMode is {mode!r}, not 'SAML_2_0'")
    settings = app.get("settings")
    sign_on = settings.get("signOn") if isinstance(settings, Mapping) else None
    if not isinstance(sign_on, Mapping):
        raise OktaAppError("no settings.signOn object (not a SAML 2.0 app export)")
    if not (_str(sign_on, "ssoAcsUrl") or _str(sign_on, "ssoAcsUrlOverride")):
        raise OktaAppError("settings.signOn.ssoAcsUrl is missing")
    raw_statements = sign_on.get("attributeStatements") or []
    if not isinstance(raw_statements, list):
        raise OktaAppError("settings.signOn.attributeStatements must be a list")
    names = []
    for i, raw in enumerate(raw_statements):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise OktaAppError(f"settings.signOn.attributeStatements[{i}] has no name")
        names.append(raw["name"])
    encrypted = sign_on.get("assertionEncrypted")
    return OktaApp(
        default_relay_state=_str(sign_on, "defaultRelayState"),
        sso_acs_url=_effective(sign_on, "ssoAcsUrl"),
        recipient=_effective(sign_on, "recipient"),
        destination=_effective(sign_on, "destination"),
        audience=_effective(sign_on, "audience"),
        name_id_format=_str(sign_on, "subjectNameIdFormat"),
        response_signed=_bool(sign_on, "responseSigned"),
        assertion_signed=_bool(sign_on, "assertionSigned"),
        signature_algorithm=_str(sign_on, "signatureAlgorithm"),
        digest_algorithm=_str(sign_on, "digestAlgorithm"),
        # Not in every API version; cors_gate reads it when present (admin UI's
        # "Assertion Encryption: Encrypted").
        assertion_encrypted=encrypted is True or encrypted == "ENCRYPTED",
        attribute_names=tuple(names),
    )
