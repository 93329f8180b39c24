"""An independent, Okta-shaped SAML identity provider for real login tests.

pysaml2 (with Debian's ``xmlsec1``) parses the service provider's AuthnRequest and builds
and signs the Response, so nothing here shares code with python3-saml, which the service
provider (social-core) and cors_gate's validator use. The IdP is configured the way an
Okta admin configures a SAML 2.0 app: ``OktaApp`` mirrors ``settings.signOn`` of Okta's
Apps API, and ``OktaIdP.app_json()`` returns the document that API would return.

Keys and certificates are generated at test time with ``cryptography``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.assertion import Policy
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

XMLSEC1 = Path("/usr/bin/xmlsec1")

NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
ATTRNAME_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"

# Okta's names for the algorithms (settings.signOn.signatureAlgorithm / digestAlgorithm).
SIGNATURE_ALGORITHMS = {"RSA_SHA256": SIG_RSA_SHA256, "RSA_SHA1": SIG_RSA_SHA1}
DIGEST_ALGORITHMS = {"SHA256": DIGEST_SHA256, "SHA1": DIGEST_SHA1}


# --- keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    """An RSA key and its self-signed certificate, as PEM strings and files."""

    key_pem: str
    cert_pem: str
    key_path: Path
    cert_path: Path

    @property
    def cert_body(self) -> str:
        """The certificate's base64 body, the form SAML settings and metadata carry."""
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def make_key_pair(
    directory: Path,
    name: str,
    common_name: str,
    *,
    valid_from: dt.datetime | None = None,
    valid_days: int = 3650,
) -> KeyPair:
    """Generate a 2048-bit RSA key and a self-signed certificate into ``directory``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = valid_from or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_path = directory / f"{name}.key"
    cert_path = directory / f"{name}.crt"
    key_path.write_text(key_pem)
    key_path.chmod(0o600)
    cert_path.write_text(cert_pem)
    return KeyPair(key_pem, cert_pem, key_path, cert_path)


# --- the Okta app ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeStatement:
    """One of Okta's "Attribute Statements": a name and an Okta expression."""

    name: str
    value: str  # e.g. "user.firstName"
    namespace: str = ATTRNAME_UNSPECIFIED


@dataclass(frozen=True)
class OktaApp:
    """What an admin enters in Okta's SAML 2.0 app (settings.signOn of the Apps API)."""

    sso_acs_url: str
    recipient: str
    destination: str
    audience: str
    default_relay_state: str = ""
    subject_name_id_format: str = NAMEID_UNSPECIFIED
    subject_name_id_template: str = "${user.userName}"
    response_signed: bool = True
    assertion_signed: bool = True
    signature_algorithm: str = "RSA_SHA256"
    digest_algorithm: str = "SHA256"
    attribute_statements: tuple[AttributeStatement, ...] = ()
    idp_issuer: str = ""  # "SAML Issuer ID"; blank: Okta's http://www.okta.com/${org.externalKey}
    # Not part of the app: how far the IdP's clock is off (seconds), to prove skew checks.
    clock_offset: int = 0

    def with_(self, **changes: Any) -> OktaApp:
        return replace(self, **changes)


def okta_attribute_statements() -> tuple[AttributeStatement, ...]:
    """The attribute statements of the forum answer, with expressions Okta offers."""
    return (
        AttributeStatement("firstName", "user.firstName"),
        AttributeStatement("lastName", "user.lastName"),
        AttributeStatement("email", "user.email"),
        AttributeStatement("username", "user.nickName"),
        AttributeStatement("fullName", "user.displayName"),
    )


@dataclass(frozen=True)
class OktaUser:
    """The Okta profile attributes the expressions read."""

    login: str = "jane.doe@example.org"
    email: str = "jane.doe@example.org"
    firstName: str = "Jane"
    lastName: str = "Doe"
    nickName: str = "janedoe"
    displayName: str = "Jane Doe"

    @property
    def userName(self) -> str:
        return self.login

    def evaluate(self, expression: str) -> str:
        """Evaluate the one expression form used here, ``user.<attribute>``."""
        prefix = "user."
        if not expression.startswith(prefix) or not hasattr(self, expression[len(prefix) :]):
            raise ValueError(f"unsupported Okta expression {expression!r}")
        return str(getattr(self, expression[len(prefix) :]))


# --- parsing what the SP sends ---------------------------------------------------------


@dataclass(frozen=True)
class ParsedAuthnRequest:
    id: str
    issuer: str
    destination: str
    acs_url: str | None
    relay_state: str | None


# A hook that edits the unsigned assertion (pysaml2 object) before it is signed.
AssertionEdit = Callable[[saml.Assertion], None]


class _OktaServer(Server):  # type: ignore[misc]
    """pysaml2's IdP with two Okta behaviours.

    Okta never reads SP metadata: it encrypts only when the app says so, and the
    assertion carries exactly what the app's fields say, so the assertion can be edited
    before it is signed.
    """

    assertion_edits: list[AssertionEdit]

    def has_encrypt_cert_in_metadata(self, sp_entity_id: str | None) -> bool:
        return False

    def setup_assertion(self, *args: Any, **kwargs: Any) -> Any:
        assertion = super().setup_assertion(*args, **kwargs)
        for edit in self.assertion_edits:
            edit(assertion)
        return assertion


def _xml_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class OktaIdP:
    """An Okta org's SAML app, answering with pysaml2."""

    keys: KeyPair
    app: OktaApp
    org: str = "dev-4471029"
    app_id: str = field(default_factory=lambda: "exk" + secrets.token_hex(8))
    app_name: str = "openedxlms"
    user: OktaUser = field(default_factory=OktaUser)

    @property
    def entity_id(self) -> str:
        return f"http://www.okta.com/{self.app_id}"

    @property
    def sso_url(self) -> str:
        return (
            f"https://{self.org}.okta.com/app/{self.org}_{self.app_name}_1/{self.app_id}/sso/saml"
        )

    @property
    def metadata_url(self) -> str:
        return f"https://{self.org}.okta.com/app/{self.app_id}/sso/saml/metadata"

    # -- documents an Okta admin can download --

    def metadata_xml(self) -> str:
        """IdP metadata in the shape Okta serves it."""
        md = "urn:oasis:names:tc:SAML:2.0:metadata"
        ds = "http://www.w3.org/2000/09/xmldsig#"
        ET.register_namespace("md", md)
        ET.register_namespace("ds", ds)
        root = ET.Element(f"{{{md}}}EntityDescriptor", entityID=self.entity_id)
        idp = ET.SubElement(
            root,
            f"{{{md}}}IDPSSODescriptor",
            WantAuthnRequestsSigned="false",
            protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol",
        )
        key = ET.SubElement(idp, f"{{{md}}}KeyDescriptor", use="signing")
        x509_data = ET.SubElement(ET.SubElement(key, f"{{{ds}}}KeyInfo"), f"{{{ds}}}X509Data")
        ET.SubElement(x509_data, f"{{{ds}}}X509Certificate").text = self.keys.cert_body
        for name_id_format in (NAMEID_UNSPECIFIED, NAMEID_EMAIL):
            ET.SubElement(idp, f"{{{md}}}NameIDFormat").text = name_id_format
        for binding in (BINDING_HTTP_POST, BINDING_HTTP_REDIRECT):
            ET.SubElement(
                idp, f"{{{md}}}SingleSignOnService", Binding=binding, Location=self.sso_url
            )
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>' + body

    def app_json(self) -> dict[str, Any]:
        """The app as Okta's Apps API returns it (GET /api/v1/apps/{id})."""
        app = self.app
        return {
            "id": "0oa" + self.app_id[3:],
            "name": f"{self.org}_{self.app_name}_1",
            "label": "Open edX LMS",
            "status": "ACTIVE",
            "signOnMode": "SAML_2_0",
            "credentials": {
                "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                "signing": {"kid": secrets.token_urlsafe(12)},
            },
            "settings": {
                "app": {},
                "signOn": {
                    "defaultRelayState": app.default_relay_state,
                    "ssoAcsUrl": app.sso_acs_url,
                    "idpIssuer": app.idp_issuer or "http://www.okta.com/${org.externalKey}",
                    "audience": app.audience,
                    "recipient": app.recipient,
                    "destination": app.destination,
                    "subjectNameIdTemplate": app.subject_name_id_template,
                    "subjectNameIdFormat": app.subject_name_id_format,
                    "responseSigned": app.response_signed,
                    "assertionSigned": app.assertion_signed,
                    "signatureAlgorithm": app.signature_algorithm,
                    "digestAlgorithm": app.digest_algorithm,
                    "honorForceAuthn": True,
                    "authnContextClassRef": PASSWORDPROTECTEDTRANSPORT,
                    "spIssuer": None,
                    "requestCompressed": False,
                    "attributeStatements": [
                        {
                            "type": "EXPRESSION",
                            "name": s.name,
                            "namespace": s.namespace,
                            "values": [s.value],
                        }
                        for s in app.attribute_statements
                    ],
                },
            },
            "_links": {
                "metadata": {
                    "href": f"https://{self.org}.okta.com/api/v1/apps/0oa{self.app_id[3:]}"
                    "/sso/saml/metadata",
                    "type": "application/xml",
                },
            },
        }

    # -- the protocol --

    def _server(self, workdir: Path, edits: list[AssertionEdit]) -> _OktaServer:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": str(XMLSEC1),
                "key_file": str(self.keys.key_path),
                "cert_file": str(self.keys.cert_path),
                "tmp_path": str(workdir),
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (self.sso_url, BINDING_HTTP_REDIRECT),
                                (self.sso_url, BINDING_HTTP_POST),
                            ],
                        },
                        "name_id_format": [NAMEID_UNSPECIFIED, NAMEID_EMAIL],
                        "want_authn_requests_signed": False,
                    }
                },
            }
        )
        server = _OktaServer(config=config)
        server.assertion_edits = edits
        return server

    def parse_authn_request(self, redirect_url: str, workdir: Path) -> ParsedAuthnRequest:
        """Read the SP's HTTP-Redirect AuthnRequest from the URL the SP redirected to."""
        parts = urlsplit(redirect_url)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != self.sso_url:
            raise ValueError(f"the SP sent the browser to {redirect_url}, not to {self.sso_url}")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        request = self._server(workdir, []).parse_authn_request(
            query["SAMLRequest"], BINDING_HTTP_REDIRECT
        )
        message = request.message
        return ParsedAuthnRequest(
            id=message.id,
            issuer=message.issuer.text if message.issuer is not None else "",
            destination=message.destination or "",
            acs_url=message.assertion_consumer_service_url,
            relay_state=query.get("RelayState"),
        )

    def respond(
        self,
        workdir: Path,
        *,
        in_response_to: str | None,
        edits: tuple[AssertionEdit, ...] = (),
    ) -> str:
        """A signed Response as Okta builds it from the app's fields, base64 as POSTed.

        ``in_response_to`` is None for an unsolicited (IdP-initiated) response.
        """
        app = self.app
        all_edits = [self._apply_app_fields, *edits]
        server = self._server(workdir, all_edits)
        name_id = saml.NameID(
            format=app.subject_name_id_format,
            text=self.user.evaluate(app.subject_name_id_template[2:-1]),
        )
        subject_confirmation_data: dict[str, Any] = {"recipient": app.recipient}
        if in_response_to:
            subject_confirmation_data["in_response_to"] = in_response_to
        farg = {
            "assertion": {
                "subject": {
                    "subject_confirmation": {
                        "method": saml.SCM_BEARER,
                        "subject_confirmation_data": subject_confirmation_data,
                    }
                }
            }
        }
        response = server.create_authn_response(
            identity={},
            in_response_to=in_response_to,
            destination=app.destination,
            sp_entity_id=app.audience,
            name_id=name_id,
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.entity_id},
            sign_response=app.response_signed,
            sign_assertion=app.assertion_signed,
            sign_alg=SIGNATURE_ALGORITHMS[app.signature_algorithm],
            digest_alg=DIGEST_ALGORITHMS[app.digest_algorithm],
            issuer=app.idp_issuer or None,
            release_policy=Policy(),
            farg=farg,
        )
        return base64.b64encode(str(response).encode()).decode()

    def _apply_app_fields(self, assertion: saml.Assertion) -> None:
        """Attribute statements, audience and times exactly as the Okta app defines them."""
        app = self.app
        assertion.attribute_statement = []
        if app.attribute_statements:
            attributes = []
            for statement in app.attribute_statements:
                value = saml.AttributeValue(text=self.user.evaluate(statement.value))
                value.set_type("xs:string")
                attributes.append(
                    saml.Attribute(
                        name=statement.name,
                        name_format=statement.namespace,
                        attribute_value=[value],
                    )
                )
            assertion.attribute_statement = [saml.AttributeStatement(attribute=attributes)]
        conditions = assertion.conditions
        conditions.audience_restriction = [
            saml.AudienceRestriction(audience=[saml.Audience(text=app.audience)])
        ]
        # Okta issues assertions valid for five minutes, by its own clock.
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=app.clock_offset)
        not_after = _xml_time(now + dt.timedelta(minutes=5))
        assertion.issue_instant = _xml_time(now)
        conditions.not_before = _xml_time(now - dt.timedelta(seconds=1))
        conditions.not_on_or_after = not_after
        for confirmation in assertion.subject.subject_confirmation:
            confirmation.subject_confirmation_data.not_on_or_after = not_after
        for statement in assertion.authn_statement:
            statement.authn_instant = _xml_time(now)


def duplicate_attribute(name: str) -> AssertionEdit:
    """An edit that repeats attribute ``name`` (a second statement with the same name)."""

    def edit(assertion: saml.Assertion) -> None:
        for statement in assertion.attribute_statement:
            extra = [copy.deepcopy(a) for a in statement.attribute if a.name == name]
            statement.attribute.extend(extra)

    return edit
