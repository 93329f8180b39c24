"""Every rule: triggered by one misconfiguration of the working Okta set-up, and silent for
the working set-up itself (the answer in the Open edX forum thread "Cross-Origin Resource
Sharing error: Preflight Missing Allow Origin Header", with the SP's security settings
hardened)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings

from cors_gate.audit.findings import Report, Severity
from cors_gate.saml import SamlInputs, rules, sources, validate
from tests.saml import factory as F
from tests.saml.factory import HARDENED


@dataclass
class Setup:
    """The working set-up, mutable so that a case can break exactly one thing."""

    doc: dict[str, Any] = field(default_factory=F.forum_document)
    app: dict[str, Any] | None = field(default_factory=F.okta_app)
    metadata: str | None = field(default_factory=F.okta_metadata)
    response: dict[str, Any] | None = field(default_factory=dict)  # saml_response() kwargs
    raw_response: str | None = None  # instead of building one
    relay_state: str | None = "okta"
    lms_url: str | None = F.LMS
    site: dict[str, Any] = field(
        default_factory=lambda: {
            **F.SITE_SETTINGS,
            "SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED": True,
        }
    )
    social_core_version: str | None = None
    extra_providers: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.doc["saml_configuration"]["other_config_str"] = json.dumps(
            {"SECURITY_CONFIG": dict(HARDENED)}
        )

    @property
    def other_config(self) -> dict[str, Any]:
        return json.loads(self.doc["saml_configuration"]["other_config_str"])

    def set_other_config(self, **changes: Any) -> None:
        config = self.other_config
        config.update(changes)
        self.doc["saml_configuration"]["other_config_str"] = json.dumps(config)

    def security(self, **changes: Any) -> None:
        config = self.other_config
        config["SECURITY_CONFIG"].update(changes)
        self.doc["saml_configuration"]["other_config_str"] = json.dumps(config)

    def sign_on(self, **changes: Any) -> None:
        assert self.app is not None
        self.app["settings"]["signOn"].update(changes)

    def run(self) -> Report:
        with override_settings(**self.site):
            providers = [sources.from_json_document(self.doc, "json:test")]
            providers += [sources.from_json_document(d, "json:extra") for d in self.extra_providers]
            response = self.raw_response
            if response is None and self.response is not None:
                response = F.saml_response(**self.response)
            return validate(
                SamlInputs(
                    providers=providers,
                    okta_app=self.app,
                    idp_metadata=self.metadata,
                    saml_response=response,
                    relay_state=self.relay_state,
                    lms_url=self.lms_url,
                    social_core_version=self.social_core_version,
                )
            )


def found(report: Report, rule: str) -> list[Severity]:
    return [f.severity for f in report if f.id == rule]


def test_working_setup_has_no_finding_at_all() -> None:
    report = Setup().run()
    assert report.findings == [], report.to_text()
    assert report.summary()["passed"] > 40


def expired_idp_cert() -> str:
    return F.make_cert("idp", days=10, start_days_ago=20)


def with_idp_cert(setup: Setup, cert: str) -> None:
    """Okta signs with `cert` and every copy of it (metadata, stored data) agrees."""
    setup.metadata = F.okta_metadata(cert)
    setup.doc["provider_data"]["public_key"] = F.cert_body(cert)
    assert setup.response is not None
    setup.response["signing_cert"] = cert


def saml_1_0_response() -> str:
    xml = base64.b64decode(F.saml_response()).decode()
    return base64.b64encode(xml.replace('Version="2.0"', 'Version="1.0"', 1).encode()).decode()


def tampered_response() -> str:
    xml = base64.b64decode(F.saml_response()).decode()
    return base64.b64encode(
        xml.replace("jane.doe@example.org", "eve@example.org").encode()
    ).decode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;</samlp:Response>'
)
XXE_METADATA = (
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>'
)

Mutation = Callable[[Setup], None]


def _set(attr: str, value: Any) -> Mutation:
    return lambda s: setattr(s, attr, value)


def _raw_response(build: Callable[[], str]) -> Mutation:
    """Build the response when the case runs: a response built at collection time expires
    (its 300 s lifetime) before a long suite reaches it, and then fails for the wrong reason."""
    return lambda s: setattr(s, "raw_response", build())


def _provider(**changes: Any) -> Mutation:
    return lambda s: s.doc["provider"].update(changes)


def _sp(**changes: Any) -> Mutation:
    return lambda s: s.doc["saml_configuration"].update(changes)


def _data(**changes: Any) -> Mutation:
    return lambda s: s.doc["provider_data"].update(changes)


def _okta(**changes: Any) -> Mutation:
    return lambda s: s.sign_on(**changes)


def _security(**changes: Any) -> Mutation:
    return lambda s: s.security(**changes)


def _response(**changes: Any) -> Mutation:
    return lambda s: s.response.update(changes)  # type: ignore[union-attr]


def _site(**changes: Any) -> Mutation:
    return lambda s: s.site.update(changes)


def _all(*mutations: Mutation) -> Mutation:
    def apply(s: Setup) -> None:
        for m in mutations:
            m(s)

    return apply


def _statements(*names: str) -> Mutation:
    return _okta(
        attributeStatements=[
            {"type": "EXPRESSION", "name": n, "namespace": "", "values": ["user.x"]} for n in names
        ]
    )


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
ATTRS = ("firstName", "lastName", "email", "username", "fullName")

CASES: list[tuple[str, Mutation, str, Severity]] = [
    ("default-relay-state-case", _okta(defaultRelayState="Okta"), rules.RELAY_STATE_MISMATCH, E),
    (
        "captured-relay-state",
        _set("relay_state", '{"idp": "azure"}'),
        rules.RELAY_STATE_MISMATCH,
        E,
    ),
    (
        "slug-parses-as-json",
        _all(_provider(slug="2024"), _okta(defaultRelayState="2024"), _set("relay_state", "2024")),
        rules.SLUG_UNUSABLE_AS_RELAY_STATE,
        E,
    ),
    (
        "idp-initiated-without-flag",
        # social-auth-core 7 refuses unsolicited responses without the flag; 4.8.3 accepts them
        _all(
            _site(SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED=False),
            _set("social_core_version", "7.0.0"),
        ),
        rules.IDP_INITIATED_NOT_ALLOWED,
        E,
    ),
    (
        "acs-without-trailing-slash",
        _okta(ssoAcsUrl="https://lms.example.com/auth/complete/tpa-saml"),
        rules.ACS_URL_MISMATCH,
        E,
    ),
    (
        "acs-social-core-path",
        _okta(ssoAcsUrl="https://lms.example.com/complete/saml/"),
        rules.ACS_URL_MISMATCH,
        E,
    ),
    ("recipient", _okta(recipient="https://lms.example.com/"), rules.RECIPIENT_MISMATCH, E),
    (
        "response-recipient",
        _response(recipient="https://lms.example.com/"),
        rules.RECIPIENT_MISMATCH,
        E,
    ),
    (
        "destination-override",
        _okta(destinationOverride="https://studio.example.com/auth/complete/tpa-saml/"),
        rules.DESTINATION_MISMATCH,
        E,
    ),
    (
        "response-destination",
        _response(destination="https://lms.example.com/auth/complete/tpa-saml/x"),
        rules.DESTINATION_MISMATCH,
        E,
    ),
    (
        "acs-http",
        _okta(ssoAcsUrl="http://lms.example.com/auth/complete/tpa-saml/"),
        rules.ACS_NOT_HTTPS,
        E,
    ),
    ("lms-http", _set("lms_url", "http://lms.example.com"), rules.ACS_NOT_HTTPS, E),
    (
        "underscore-in-sso-url",
        _okta(ssoAcsUrl="https://lms_example.com/auth/complete/tpa-saml/"),
        rules.SSO_URL_UNDERSCORE,
        E,
    ),
    ("lms-unknown", _set("lms_url", None), rules.LMS_URL_UNKNOWN, INFO),
    (
        "audience-trailing-slash",
        _okta(audience="https://lms.example.com/"),
        rules.AUDIENCE_MISMATCH,
        E,
    ),
    (
        "response-audience",
        _response(audience="https://lms.example.com/"),
        rules.AUDIENCE_MISMATCH,
        E,
    ),
    ("sp-entity-id-blank", _sp(entity_id=""), rules.SP_ENTITY_ID_MISSING, E),
    ("idp-entity-id-blank", _provider(entity_id=""), rules.IDP_ENTITY_ID_MISSING, E),
    (
        "idp-entity-id-vs-metadata",
        _provider(entity_id="http://www.okta.com/exkOTHERAPP"),
        rules.IDP_ENTITY_ID_MISMATCH,
        E,
    ),
    (
        "stored-data-entity-id",
        _data(entity_id="http://www.okta.com/exkOTHERAPP"),
        rules.IDP_ENTITY_ID_MISMATCH,
        E,
    ),
    (
        "response-issuer",
        _response(issuer="http://www.okta.com/exkOTHERAPP"),
        rules.ISSUER_MISMATCH,
        E,
    ),
    (
        "metadata-http",
        _provider(metadata_source=F.METADATA_URL.replace("https", "http")),
        rules.METADATA_URL_NOT_HTTPS,
        E,
    ),
    (
        "metadata-not-okta",
        _provider(metadata_source="https://idp.example.com/saml/metadata.xml"),
        rules.METADATA_URL_NOT_OKTA,
        W,
    ),
    (
        "metadata-post-only",
        lambda s: setattr(
            s,
            "metadata",
            F.okta_metadata().replace(
                '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:'
                'HTTP-Redirect"',
                '<md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"'
                ' index="0"',
            ),
        ),
        rules.METADATA_NO_REDIRECT_SSO,
        E,
    ),
    (
        "metadata-valid-until-past",
        lambda s: setattr(
            s,
            "metadata",
            F.okta_metadata().replace(
                'entityID="', 'validUntil="2020-01-01T00:00:00Z" entityID="', 1
            ),
        ),
        rules.METADATA_EXPIRED,
        E,
    ),
    (
        "stored-data-expired",
        _data(expires_at=(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()),
        rules.METADATA_EXPIRED,
        E,
    ),
    ("metadata-broken", _set("metadata", "<md:EntityDescriptor"), rules.METADATA_MALFORMED, E),
    ("metadata-xxe", _set("metadata", XXE_METADATA), rules.METADATA_MALFORMED, E),
    ("refresh-off", _provider(automatic_refresh_enabled=False), rules.AUTOMATIC_REFRESH_OFF, W),
    (
        "no-idp-cert",
        _all(_data(public_key=""), _set("metadata", None)),
        rules.IDP_CERT_MISSING,
        E,
    ),
    ("idp-cert-garbage", _data(public_key="TUlJQ-not-a-cert"), rules.IDP_CERT_UNPARSABLE, E),
    ("idp-cert-expired", lambda s: with_idp_cert(s, expired_idp_cert()), rules.IDP_CERT_EXPIRED, W),
    (
        "idp-cert-expiring",
        lambda s: with_idp_cert(s, F.make_cert("idp", days=20)),
        rules.IDP_CERT_EXPIRING,
        W,
    ),
    (
        "stored-cert-from-other-app",
        _data(public_key=F.cert_body(F.make_cert("other-idp"))),
        rules.IDP_CERT_MISMATCH,
        E,
    ),
    (
        "response-signed-by-other-key",
        _response(signing_key="other-idp"),
        rules.IDP_CERT_MISMATCH,
        E,
    ),
    ("saml-1.0", _raw_response(saml_1_0_response), rules.RESPONSE_INVALID, E),
    ("tampered-response", _raw_response(tampered_response), rules.SIGNATURE_INVALID, E),
    ("okta-response-unsigned", _okta(responseSigned=False), rules.RESPONSE_NOT_SIGNED, E),
    (
        "okta-response-unsigned-not-wanted",
        _all(_okta(responseSigned=False), _security(wantMessagesSigned=False)),
        rules.RESPONSE_NOT_SIGNED,
        W,
    ),
    ("captured-response-unsigned", _response(sign_response=False), rules.RESPONSE_NOT_SIGNED, E),
    ("okta-assertion-unsigned", _okta(assertionSigned=False), rules.ASSERTION_NOT_SIGNED, E),
    (
        "captured-assertion-unsigned",
        _response(sign_assertion=False),
        rules.ASSERTION_NOT_SIGNED,
        E,
    ),
    (
        "nothing-signed",
        _response(sign_assertion=False, sign_response=False),
        rules.NO_SIGNATURE,
        E,
    ),
    (
        "want-messages-signed-off",
        _security(wantMessagesSigned=False),
        rules.WANT_MESSAGES_SIGNED_OFF,
        W,
    ),
    (
        "want-assertions-signed-off",
        _security(wantAssertionsSigned=False),
        rules.WANT_ASSERTIONS_SIGNED_OFF,
        W,
    ),
    ("okta-sha1", _okta(signatureAlgorithm="RSA_SHA1"), rules.SHA1_SIGNATURE, E),
    ("okta-sha1-digest", _okta(digestAlgorithm="SHA1"), rules.SHA1_DIGEST, E),
    ("captured-sha1", _response(sha1=True), rules.SHA1_SIGNATURE, E),
    (
        "sha1-accepted",
        _all(_okta(signatureAlgorithm="RSA_SHA1"), _security(rejectDeprecatedAlgorithm=False)),
        rules.SHA1_SIGNATURE,
        W,
    ),
    (
        "reject-deprecated-off",
        _security(rejectDeprecatedAlgorithm=False),
        rules.REJECT_DEPRECATED_ALGORITHM_OFF,
        W,
    ),
    (
        "nameid-format",
        lambda s: s.set_other_config(
            SP_EXTRA={"NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}
        ),
        rules.NAMEID_FORMAT_MISMATCH,
        E,
    ),
    ("attr-case", _provider(attr_email="Email"), rules.ATTRIBUTE_MISSING, E),
    # EdXSAMLIdentityProvider answers None for a missing name: the login goes on.
    ("attr-case-name", _provider(attr_first_name="firstname"), rules.ATTRIBUTE_MISSING, W),
    (
        "okta-drops-last-name",
        _statements("firstName", "email", "username", "fullName"),
        rules.ATTRIBUTE_MISSING,
        W,
    ),
    (
        "response-drops-email",
        _response(attributes=[(n, "x") for n in ATTRS if n != "email"]),
        rules.ATTRIBUTE_MISSING,
        E,
    ),
    (
        "permanent-id-not-sent",
        _statements("firstName", "lastName", "email", "fullName"),
        rules.NO_PERMANENT_ID,
        E,
    ),
    (
        "permanent-id-blank-transient-nameid",
        _all(
            _provider(attr_user_permanent_id=""),
            _okta(subjectNameIdFormat="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"),
        ),
        rules.NO_PERMANENT_ID,
        E,
    ),
    ("duplicate-statement", _statements(*ATTRS, "email"), rules.DUPLICATE_ATTRIBUTE, E),
    (
        "duplicate-in-response",
        _response(attributes=[*F.FORUM_ATTRIBUTES.items(), ("email", "x@example.org")]),
        rules.DUPLICATE_ATTRIBUTE,
        E,
    ),
    ("no-attribute-statement", _response(attributes=[]), rules.NO_ATTRIBUTE_STATEMENT, E),
    (
        "encryption-without-sp-key",
        _all(_okta(assertionEncrypted=True), _sp(public_key="", private_key="")),
        rules.ENCRYPTION_WITHOUT_SP_KEY,
        E,
    ),
    ("sp-key-missing", _sp(private_key=""), rules.SP_KEY_MISSING, W),
    (
        "sp-key-missing-signed-requests",
        _all(_sp(private_key=""), _security(authnRequestsSigned=True)),
        rules.SP_KEY_MISSING,
        E,
    ),
    ("sp-cert-garbage", _sp(public_key="bm90IGEgY2VydA=="), rules.SP_KEY_INVALID, W),
    ("sp-key-mismatch", _sp(private_key=F.key_pem("other-sp")), rules.SP_KEY_MISMATCH, W),
    (
        "sp-key-mismatch-signed-requests",
        _all(_sp(private_key=F.key_pem("other-sp")), _security(authnRequestsSigned=True)),
        rules.SP_KEY_MISMATCH,
        E,
    ),
    (
        "sp-cert-expired",
        _sp(public_key=F.cert_body(F.make_cert("sp", days=10, start_days_ago=20))),
        rules.SP_CERT_EXPIRED,
        W,
    ),
    (
        "contact-incomplete",
        lambda s: s.set_other_config(TECHNICAL_CONTACT={"givenName": "", "emailAddress": ""}),
        rules.ORG_CONTACT_INCOMPLETE,
        E,
    ),
    (
        "org-incomplete",
        _sp(org_info_str=json.dumps({"en-US": {"name": "example"}})),
        rules.ORG_CONTACT_INCOMPLETE,
        E,
    ),
    (
        "sp-settings-invalid",
        lambda s: s.set_other_config(
            SP_EXTRA={"attributeConsumingService": {"serviceName": "LMS"}}
        ),
        rules.SP_SETTINGS_INVALID,
        E,
    ),
    ("debug-mode", _provider(debug_mode=True), rules.DEBUG_MODE_ON, W),
    (
        "samesite-none-insecure",
        _site(SESSION_COOKIE_SECURE=False),
        rules.SESSION_COOKIE_SAMESITE,
        E,
    ),
    (
        "samesite-lax-on-social-core-4",
        _all(_site(SESSION_COOKIE_SAMESITE="Lax"), _set("social_core_version", "4.8.3")),
        rules.SESSION_COOKIE_SAMESITE,
        E,
    ),
    ("no-proxy-ssl-header", _site(SECURE_PROXY_SSL_HEADER=None), rules.PROXY_SSL_HEADER_MISSING, E),
    ("idp-clock-fast", _response(clock_offset=600), rules.CLOCK_SKEW, E),
    ("old-capture", _response(clock_offset=-3600), rules.CLOCK_SKEW, E),
    ("response-not-base64", _set("raw_response", "PHNhbWxw!!!"), rules.RESPONSE_MALFORMED, E),
    ("response-billion-laughs", _set("raw_response", BILLION_LAUGHS), rules.RESPONSE_MALFORMED, E),
    (
        "response-failure-status",
        _response(status="urn:oasis:names:tc:SAML:2.0:status:Requester"),
        rules.RESPONSE_STATUS_NOT_SUCCESS,
        E,
    ),
    (
        "okta-app-not-saml",
        lambda s: s.app.update(signOnMode="OPENID_CONNECT"),
        rules.OKTA_APP_NOT_SAML,
        E,
    ),  # type: ignore[union-attr]
    (
        "two-providers-none-matches",
        _all(
            lambda s: s.extra_providers.append(F.forum_document(slug="azure")),
            _provider(entity_id="http://www.okta.com/exkA"),
            lambda s: s.extra_providers[0]["provider"].update(entity_id="http://www.okta.com/exkB"),
            _set("relay_state", None),
            _okta(defaultRelayState=""),
        ),
        rules.PROVIDER_AMBIGUOUS,
        E,
    ),
    ("provider-disabled", _provider(enabled=False), rules.PROVIDER_DISABLED, INFO),
    ("tpa-off", _site(FEATURES={"ENABLE_THIRD_PARTY_AUTH": False}), rules.THIRD_PARTY_AUTH_OFF, E),
    (
        "tpa-saml-backend-missing",
        _site(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]),
        rules.TPA_BACKEND_MISSING,
        E,
    ),
    (
        "site-saml-off",
        lambda s: s.doc.update(site={"saml_enabled": False}),
        rules.SITE_SAML_OFF,
        E,
    ),
    ("idp-type-unknown", _provider(identity_provider_type="okta"), rules.IDP_TYPE_UNKNOWN, W),
    (
        "sapsf-without-odata",
        _provider(identity_provider_type="sap_success_factors"),
        rules.SAPSF_ODATA_INCOMPLETE,
        W,
    ),
]


def test_every_rule_has_a_case() -> None:
    # A JSON dump cannot point at an old SAMLConfiguration row: tests/saml/test_platform_rows.py
    # covers that rule over real rows.
    covered = {rule for _, _, rule, _ in CASES} | {
        rules.NO_PROVIDERS,
        rules.SP_CONFIGURATION_NOT_CURRENT,
    }
    assert covered == set(rules.ALL_RULES)


@pytest.mark.parametrize(
    ("mutation", "rule", "severity"),
    [pytest.param(m, r, s, id=i) for i, m, r, s in CASES],
)
def test_rule_is_triggered_by_its_misconfiguration(
    mutation: Mutation, rule: str, severity: Severity
) -> None:
    setup = Setup()
    mutation(setup)
    report = setup.run()
    assert severity in found(report, rule), report.to_text()
    finding = next(f for f in report if f.id == rule and f.severity is severity)
    assert finding.area == "saml"
    assert finding.title and finding.detail and finding.fix
    # and the working set-up does not report it
    assert found(Setup().run(), rule) == []


def test_no_providers_is_reported_as_info() -> None:
    report = validate(SamlInputs())
    assert [(f.id, f.severity) for f in report] == [(rules.NO_PROVIDERS, Severity.INFO)]


def test_multiple_providers_okta_side_goes_to_the_matching_one() -> None:
    setup = Setup()
    azure = F.forum_document(slug="azure", entity_id="https://sts.windows.net/x/")
    azure["provider_data"]["entity_id"] = "https://sts.windows.net/x/"
    azure["saml_configuration"]["other_config_str"] = json.dumps({"SECURITY_CONFIG": HARDENED})
    setup.extra_providers.append(azure)
    report = setup.run()
    assert report.summary()["errors"] == 0, report.to_text()


def test_mismatch_finding_shows_both_values() -> None:
    setup = Setup()
    setup.sign_on(audience="https://lms.example.com/")
    (finding,) = [f for f in setup.run() if f.id == rules.AUDIENCE_MISMATCH]
    assert "'https://lms.example.com/'" in finding.detail
    assert "'https://lms.example.com'" in finding.detail
    assert finding.subject == "okta"


def test_attribute_case_hint_names_what_okta_sends() -> None:
    setup = Setup()
    setup.doc["provider"]["attr_first_name"] = "firstname"
    (finding, *_) = [f for f in setup.run() if f.id == rules.ATTRIBUTE_MISSING]
    assert "'firstName'" in finding.detail and "case-sensitive" in finding.detail
    assert finding.subject == "okta:attr_first_name"


def test_social_core_7_needs_no_samesite_none() -> None:
    """7.x re-posts the response same-site (browser-return step): Lax is fine there."""
    setup = Setup()
    setup.site["SESSION_COOKIE_SAMESITE"] = "Lax"
    setup.social_core_version = "7.0.0"
    assert found(setup.run(), rules.SESSION_COOKIE_SAMESITE) == []


def test_social_core_4_accepts_idp_initiated_without_the_flag() -> None:
    setup = Setup()
    setup.site["SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED"] = False
    setup.social_core_version = "4.8.3"
    assert found(setup.run(), rules.IDP_INITIATED_NOT_ALLOWED) == []
