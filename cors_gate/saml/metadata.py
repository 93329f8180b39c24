"""IdP metadata (Okta's, typically): parsed with python3-saml's IdPMetadataParser after a
defusedxml pass, plus the `validUntil` python3-saml does not return."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser as Parser

from cors_gate.exceptions import SamlDocumentError
from cors_gate.saml.certs import signing_certs
from cors_gate.saml.dates import parse_instant
from cors_gate.saml.xmlsafe import XmlError, local, parse_xml

# https://<org>.okta.com/app/<exk…>/sso/saml/metadata (also Okta custom URL domains)
OKTA_METADATA_PATH = re.compile(r"^/app/[A-Za-z0-9_]+/sso/saml/metadata/?$")


class MetadataError(SamlDocumentError):
    pass


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    redirect_sso_url: str
    post_sso_url: str  # filled only when there is no redirect_sso_url
    signing_certs: tuple[str, ...]
    valid_until: dt.datetime | None


def _parse(xml: str, sso_binding: str) -> dict[str, Any]:
    try:
        return dict(Parser.parse(xml, required_sso_binding=sso_binding))
    except Exception as exc:  # lxml/xmlsec errors: the library's words, one line
        raise MetadataError(f"IdP metadata: python3-saml cannot parse it ({exc})") from exc


def parse_metadata(xml: str) -> IdpMetadata:
    root = parse_xml(xml.encode("utf-8"), "IdP metadata")
    if local(root.tag) not in {"EntityDescriptor", "EntitiesDescriptor"}:
        raise MetadataError(
            f"IdP metadata: root element is <{local(root.tag)}>, not <EntityDescriptor>"
        )
    redirect = _parse(xml, C.BINDING_HTTP_REDIRECT)
    idp = redirect.get("idp")
    if not idp or not idp.get("entityId"):
        raise MetadataError("IdP metadata: no EntityDescriptor with an IDPSSODescriptor")
    valid_until = None
    raw = root.get("validUntil")
    if raw:
        invalid = MetadataError(f"IdP metadata: validUntil {raw!r} is not a date-time")
        valid_until = parse_instant(raw.strip(), invalid)
        if valid_until is None:
            raise invalid
    redirect_sso_url = str(idp.get("singleSignOnService", {}).get("url", ""))
    post_sso_url = ""
    if not redirect_sso_url:  # only then is the HTTP-POST one worth naming
        post = _parse(xml, C.BINDING_HTTP_POST)
        post_sso_url = str((post.get("idp") or {}).get("singleSignOnService", {}).get("url", ""))
    return IdpMetadata(
        entity_id=str(idp["entityId"]),
        redirect_sso_url=redirect_sso_url,
        post_sso_url=post_sso_url,
        signing_certs=signing_certs(idp),
        valid_until=valid_until,
    )


__all__ = ["OKTA_METADATA_PATH", "IdpMetadata", "MetadataError", "XmlError", "parse_metadata"]
