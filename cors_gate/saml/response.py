"""A captured SAML response: decoded, read with defusedxml for the facts we compare, and
validated by python3-saml (strict) with the SP's settings. python3-saml stops at the first
problem; its OneLogin_Saml2_ValidationError code is mapped to a rule id."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from onelogin.saml2.errors import OneLogin_Saml2_ValidationError as V
from onelogin.saml2.response import OneLogin_Saml2_Response

from cors_gate.exceptions import SamlDocumentError
from cors_gate.origins import DEFAULT_PORTS
from cors_gate.saml import rules
from cors_gate.saml.dates import parse_instant
from cors_gate.saml.xmlsafe import local, parse_xml


class ResponseError(SamlDocumentError):
    pass


@dataclass(frozen=True)
class ResponseFacts:
    b64: str  # as python3-saml wants it
    destination: str
    in_response_to: str
    issuers: tuple[str, ...]
    status: str
    response_signed: bool
    assertion_signed: bool
    encrypted: bool
    signature_algorithms: tuple[str, ...]
    digest_algorithms: tuple[str, ...]
    embedded_certs: tuple[str, ...]
    audiences: tuple[str, ...]
    recipients: tuple[str, ...]
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    name_id_format: str
    has_attribute_statement: bool
    attribute_names: tuple[str, ...] = field(default_factory=tuple)


def decode(text: str) -> tuple[bytes, str]:
    """(XML bytes, base64) from what was captured: the posted base64 (maybe URL-encoded) or XML."""
    raw = text.strip()
    if raw.startswith("<"):
        xml = raw.encode("utf-8")
        return xml, base64.b64encode(xml).decode("ascii")
    if "%" in raw:  # copied from a form body / HAR: SAMLResponse=PHNhbW...%3D
        raw = urllib.parse.unquote(raw.split("SAMLResponse=", 1)[-1].split("&", 1)[0])
    compact = "".join(raw.split())
    try:
        xml = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResponseError("SAML response: neither XML nor valid base64") from exc
    if not xml.lstrip().startswith(b"<"):
        raise ResponseError("SAML response: the base64 does not decode to XML")
    return xml, compact


def _time(node: ET.Element, name: str) -> dt.datetime | None:
    value = node.get(name)
    if not value:
        return None
    invalid = ResponseError(f"SAML response: {name} {value!r} is not a possible date-time")
    return parse_instant(value.strip(), invalid)


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node if local(c.tag) == name]


def _all(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node.iter() if local(c.tag) == name]


def read_facts(text: str) -> ResponseFacts:
    xml, b64 = decode(text)
    root = parse_xml(xml, "SAML response")
    if local(root.tag) != "Response":
        raise ResponseError(f"SAML response: root element is <{local(root.tag)}>, not <Response>")
    assertions = _children(root, "Assertion")
    encrypted = bool(_children(root, "EncryptedAssertion"))
    assertion = assertions[0] if assertions else None
    issuers = [(i.text or "").strip() for i in _children(root, "Issuer")]
    status = ""
    for code in _all(root, "StatusCode"):
        status = code.get("Value", "")
        break
    conditions = _children(assertion, "Conditions") if assertion is not None else []
    subject = _children(assertion, "Subject") if assertion is not None else []
    name_ids = _children(subject[0], "NameID") if subject else []
    statements = _children(assertion, "AttributeStatement") if assertion is not None else []
    if assertion is not None:
        issuers += [(i.text or "").strip() for i in _children(assertion, "Issuer")]
    return ResponseFacts(
        b64=b64,
        destination=root.get("Destination", ""),
        in_response_to=root.get("InResponseTo", ""),
        issuers=tuple(issuers),
        status=status,
        response_signed=bool(_children(root, "Signature")),
        assertion_signed=assertion is not None and bool(_children(assertion, "Signature")),
        encrypted=encrypted,
        signature_algorithms=tuple(e.get("Algorithm", "") for e in _all(root, "SignatureMethod")),
        digest_algorithms=tuple(e.get("Algorithm", "") for e in _all(root, "DigestMethod")),
        embedded_certs=tuple(
            "".join((e.text or "").split()) for e in _all(root, "X509Certificate")
        ),
        audiences=tuple((a.text or "").strip() for c in conditions for a in _all(c, "Audience")),
        recipients=tuple(
            d.get("Recipient", "")
            for s in subject
            for d in _all(s, "SubjectConfirmationData")
            if d.get("Recipient") is not None
        ),
        not_before=_time(conditions[0], "NotBefore") if conditions else None,
        not_on_or_after=_time(conditions[0], "NotOnOrAfter") if conditions else None,
        name_id_format=name_ids[0].get("Format", "") if name_ids else "",
        has_attribute_statement=bool(statements),
        attribute_names=tuple(
            a.get("Name", "") for s in statements for a in _children(s, "Attribute")
        ),
    )


# python3-saml's validation error codes -> our rules. Codes not listed: RESPONSE_INVALID.
CODE_RULES: dict[int, str] = {
    V.WRONG_DESTINATION: rules.DESTINATION_MISMATCH,
    V.EMPTY_DESTINATION: rules.DESTINATION_MISMATCH,
    V.WRONG_AUDIENCE: rules.AUDIENCE_MISMATCH,
    V.ISSUER_MULTIPLE_IN_RESPONSE: rules.ISSUER_MISMATCH,
    V.ISSUER_NOT_FOUND_IN_ASSERTION: rules.ISSUER_MISMATCH,
    V.WRONG_ISSUER: rules.ISSUER_MISMATCH,
    V.WRONG_SUBJECTCONFIRMATION: rules.RECIPIENT_MISMATCH,
    V.NO_SIGNED_MESSAGE: rules.RESPONSE_NOT_SIGNED,
    V.NO_SIGNED_ASSERTION: rules.ASSERTION_NOT_SIGNED,
    V.NO_SIGNATURE_FOUND: rules.NO_SIGNATURE,
    V.INVALID_SIGNATURE: rules.SIGNATURE_INVALID,
    V.WRONG_NUMBER_OF_SIGNATURES: rules.SIGNATURE_INVALID,
    V.DEPRECATED_SIGNATURE_METHOD: rules.SHA1_SIGNATURE,
    V.DEPRECATED_DIGEST_METHOD: rules.SHA1_DIGEST,
    V.ASSERTION_TOO_EARLY: rules.CLOCK_SKEW,
    V.ASSERTION_EXPIRED: rules.CLOCK_SKEW,
    V.SESSION_EXPIRED: rules.CLOCK_SKEW,
    V.RESPONSE_EXPIRED: rules.CLOCK_SKEW,
    V.NO_ATTRIBUTESTATEMENT: rules.NO_ATTRIBUTE_STATEMENT,
    V.DUPLICATED_ATTRIBUTE_NAME_FOUND: rules.DUPLICATE_ATTRIBUTE,
    V.STATUS_CODE_IS_NOT_SUCCESS: rules.RESPONSE_STATUS_NOT_SUCCESS,
    V.INVALID_XML_FORMAT: rules.RESPONSE_MALFORMED,
}


@dataclass(frozen=True)
class LibraryVerdict:
    """What python3-saml said: rule None means it accepted the response."""

    rule: str | None
    code: int | None
    message: str


def request_data(acs_url: str) -> dict[str, Any]:
    """The request python3-saml would see when the response is POSTed to the ACS URL."""
    parts = urllib.parse.urlsplit(acs_url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    if parts.port and parts.port != DEFAULT_PORTS["https" if https else "http"]:
        host = f"{host}:{parts.port}"  # python3-saml wants the port in http_host
    return {
        "https": "on" if https else "off",
        "http_host": host,
        "script_name": parts.path,
        "get_data": {},
        "post_data": {},
    }


def library_verdict(settings: Any, facts: ResponseFacts, acs_url: str) -> LibraryVerdict:
    """Run OneLogin_Saml2_Response.is_valid in strict mode; never raises."""
    try:
        response = OneLogin_Saml2_Response(settings, facts.b64)
        response.is_valid(request_data(acs_url), raise_exceptions=True)
    except V as exc:
        code = int(exc.code)
        return LibraryVerdict(CODE_RULES.get(code, rules.RESPONSE_INVALID), code, str(exc))
    except Exception as exc:  # decryption, xmlsec, lxml: python3-saml's words, one line
        message = " ".join(str(exc).split()) or type(exc).__name__
        return LibraryVerdict(rules.RESPONSE_INVALID, None, message)
    return LibraryVerdict(None, None, "accepted")
