"""Test material for the SAML validator: keys and certificates made here with `cryptography`
(nothing secret is committed), the recorded Okta app JSON and metadata, the forum's
provider configuration, and SAML responses signed by python3-saml's own signer."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import uuid
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

DATA = Path(__file__).parent / "data"
LMS = "https://lms.example.com"
ACS = f"{LMS}/auth/complete/tpa-saml/"
SLUG = "okta"
IDP_ENTITY_ID = "http://www.okta.com/exk9x8w7v6U5t4S3r2q1"
METADATA_URL = "https://example-org.okta.com/app/exk9x8w7v6U5t4S3r2q1/sso/saml/metadata"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
# A SAML Configuration's security settings as a careful operator saves them in the admin.
HARDENED = {
    "metadataCacheDuration": 604800,
    "signMetadata": False,
    "wantMessagesSigned": True,
    "wantAssertionsSigned": True,
    "rejectDeprecatedAlgorithm": True,
}


@functools.cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per name, made once per test session."""
    del name
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def make_cert(
    key_name: str = "idp",
    *,
    days: int = 365,
    start_days_ago: int = 1,
    common_name: str = "example-org",
) -> str:
    """A self-signed PEM certificate for the named key, valid from/for the given days."""
    key = rsa_key(key_name)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=start_days_ago))
        .not_valid_after(now - dt.timedelta(days=start_days_ago) + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key_name: str) -> str:
    return (
        rsa_key(key_name)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def cert_body(pem: str) -> str:
    """The base64 body, as metadata and Open edX's cleaned fields hold it."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def okta_app(**sign_on: Any) -> dict[str, Any]:
    """The recorded Okta app with settings.signOn fields replaced."""
    app = json.loads((DATA / "okta_app.json").read_text())
    app["settings"]["signOn"].update(sign_on)
    return app


def okta_metadata(cert_pem: str | None = None) -> str:
    template = (DATA / "okta_metadata.xml.tmpl").read_text()
    return template.replace("{cert}", cert_body(cert_pem or make_cert("idp")))


def forum_document(**provider: Any) -> dict[str, Any]:
    """The provider of the forum answer (the Open edX forum thread "Cross-Origin Resource
    Sharing error: Preflight Missing Allow Origin Header") as an Open edX rows dump."""
    doc = json.loads((DATA / "provider_forum.json").read_text())
    doc = copy.deepcopy(doc)
    doc["provider"].update(provider)
    doc["saml_configuration"]["public_key"] = cert_body(make_cert("sp", common_name="lms"))
    doc["saml_configuration"]["private_key"] = key_pem("sp")
    doc["provider_data"] = {
        "entity_id": IDP_ENTITY_ID,
        "sso_url": "https://example-org.okta.com/app/example-org_openedxlms_1/exk9x8w7v6U5t4S3r2q1/sso/saml",
        "public_key": cert_body(make_cert("idp")),
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(),
        "expires_at": None,
    }
    return doc


def write_json(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


# The forum's site settings (Okta POSTs cross-site; the LMS sits behind a TLS proxy).
SITE_SETTINGS: dict[str, Any] = {
    "SESSION_COOKIE_SAMESITE": "None",
    "SESSION_COOKIE_SECURE": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}

FORUM_ATTRIBUTES = {
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane.doe@example.org",
    "username": "janedoe",
    "fullName": "Jane Doe",
}


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def saml_response(
    *,
    destination: str = ACS,
    recipient: str = ACS,
    audience: str = LMS,
    issuer: str = IDP_ENTITY_ID,
    attributes: list[tuple[str, str]] | None = None,
    name_id_format: str = UNSPECIFIED,
    in_response_to: str | None = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685",
    sign_response: bool = True,
    sign_assertion: bool = True,
    signing_key: str = "idp",
    signing_cert: str | None = None,
    sha1: bool = False,
    clock_offset: int = 0,
    lifetime: int = 300,
    status: str = "urn:oasis:names:tc:SAML:2.0:status:Success",
) -> str:
    """An Okta-shaped SAMLResponse, signed like Okta signs (assertion, then response), as
    the base64 the browser posts."""
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=clock_offset)
    later = now + dt.timedelta(seconds=lifetime)
    irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    attrs = attributes if attributes is not None else list(FORUM_ATTRIBUTES.items())
    statement = ""
    if attrs:
        statement = (
            "<saml2:AttributeStatement>"
            + "".join(
                f'<saml2:Attribute Name="{n}" NameFormat="urn:oasis:names:tc:SAML:2.0:'
                f'attrname-format:unspecified"><saml2:AttributeValue xmlns:xs="http://www.w3.org/'
                f'2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:type="xs:string">{v}</saml2:AttributeValue></saml2:Attribute>'
                for n, v in attrs
            )
            + "</saml2:AttributeStatement>"
        )
    aid = "id" + uuid.uuid4().hex
    assertion = (
        f'<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="{aid}" '
        f'IssueInstant="{_iso(now)}" Version="2.0">'
        f'<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}'
        "</saml2:Issuer>"
        f'<saml2:Subject><saml2:NameID Format="{name_id_format}">janedoe</saml2:NameID>'
        '<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml2:SubjectConfirmationData{irt} NotOnOrAfter="{_iso(later)}" '
        f'Recipient="{recipient}"/></saml2:SubjectConfirmation></saml2:Subject>'
        f'<saml2:Conditions NotBefore="{_iso(now - dt.timedelta(seconds=60))}" '
        f'NotOnOrAfter="{_iso(later)}"><saml2:AudienceRestriction><saml2:Audience>{audience}'
        "</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>"
        f'<saml2:AuthnStatement AuthnInstant="{_iso(now)}" SessionIndex="{aid}">'
        "<saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:"
        "classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext>"
        f"</saml2:AuthnStatement>{statement}</saml2:Assertion>"
    )
    cert = signing_cert or make_cert(signing_key)
    key = key_pem(signing_key)
    algorithms = (C.RSA_SHA1, C.SHA1) if sha1 else (C.RSA_SHA256, C.SHA256)
    if sign_assertion:
        assertion = _sign(assertion, key, cert, algorithms)
    response = (
        '<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'Destination="{destination}" ID="id{uuid.uuid4().hex}"{irt} '
        f'IssueInstant="{_iso(now)}" Version="2.0">'
        '<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml2:Issuer>'
        f'<saml2p:Status><saml2p:StatusCode Value="{status}"/></saml2p:Status>'
        f"{assertion}</saml2p:Response>"
    )
    if sign_response:
        response = _sign(response, key, cert, algorithms)
    return base64.b64encode(response.encode()).decode()


def _sign(xml: str, key: str, cert: str, algorithms: tuple[str, str]) -> str:
    signed = OneLogin_Saml2_Utils.add_sign(
        xml, key, cert, sign_algorithm=algorithms[0], digest_algorithm=algorithms[1]
    )
    text = signed.decode() if isinstance(signed, bytes) else str(signed)
    # add_sign returns a whole document; drop the XML declaration before embedding.
    return text.split("?>", 1)[1] if text.startswith("<?xml") else text
