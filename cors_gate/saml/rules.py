"""Every rule of the SAML validator, declared once: id, default severity, what it means.

The ids are stable: tests, the audit command and the real-login proof
(tests/saml/test_real_logins.py) match on them. A few rules are softened to a warning when the
weaker setting does not break the login (``softened``). ``cors_gate_audit --list-rules`` and
``docs/reference/rules.rst`` show the table.
"""

from __future__ import annotations

from cors_gate.audit.findings import Severity
from cors_gate.audit.registry import Registry

AREA = "saml"
REGISTRY = Registry()
_declare = REGISTRY.declare

RELAY_STATE_MISMATCH = _declare(
    "saml.relay-state-mismatch",
    Severity.ERROR,
    "Okta's Default RelayState / the captured RelayState does not name the provider slug",
)
SLUG_UNUSABLE_AS_RELAY_STATE = _declare(
    "saml.slug-unusable-as-relay-state",
    Severity.ERROR,
    ("the slug cannot come back as a RelayState (blank, ':' or space, parses as JSON, > 80 bytes)"),
)
IDP_INITIATED_NOT_ALLOWED = _declare(
    "saml.idp-initiated-not-allowed",
    Severity.ERROR,
    (
        "social-auth-core >= 7, IdP-initiated logins used (a Default RelayState / unsolicited "
        "response) but SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED is off"
    ),
)
ACS_URL_MISMATCH = _declare(
    "saml.acs-url-mismatch",
    Severity.ERROR,
    'Okta "Single sign on URL" != the SP\'s ACS URL',
)
RECIPIENT_MISMATCH = _declare(
    "saml.recipient-mismatch",
    Severity.ERROR,
    "Okta Recipient / the assertion's SubjectConfirmationData Recipient != ACS URL",
)
DESTINATION_MISMATCH = _declare(
    "saml.destination-mismatch",
    Severity.ERROR,
    "Okta Destination / the response Destination != ACS URL (or empty)",
)
ACS_NOT_HTTPS = _declare(
    "saml.acs-not-https",
    Severity.ERROR,
    "http where the ACS is https (or the LMS is http)",
)
SSO_URL_UNDERSCORE = _declare(
    "saml.sso-url-underscore",
    Severity.ERROR,
    "underscore in the ACS host (Django refuses it)",
)
LMS_URL_UNKNOWN = _declare(
    "saml.lms-url-unknown",
    Severity.INFO,
    "no LMS URL: only ACS paths could be compared",
)
AUDIENCE_MISMATCH = _declare(
    "saml.audience-mismatch",
    Severity.ERROR,
    "Okta Audience / assertion Audience != SP entity id (exactly: a trailing slash counts)",
)
SP_ENTITY_ID_MISSING = _declare(
    "saml.sp-entity-id-missing",
    Severity.ERROR,
    "no SP entity id configured",
)
IDP_ENTITY_ID_MISSING = _declare(
    "saml.idp-entity-id-missing",
    Severity.ERROR,
    "the provider has no entity_id",
)
IDP_ENTITY_ID_MISMATCH = _declare(
    "saml.idp-entity-id-mismatch",
    Severity.ERROR,
    "provider entity_id != metadata entityID / stored SAMLProviderData.entity_id",
)
ISSUER_MISMATCH = _declare(
    "saml.issuer-mismatch",
    Severity.ERROR,
    "response/assertion Issuer != provider entity_id",
)
METADATA_URL_NOT_HTTPS = _declare(
    "saml.metadata-url-not-https",
    Severity.ERROR,
    "metadata fetched over plain http (forgeable)",
)
METADATA_URL_NOT_OKTA = _declare(
    "saml.metadata-url-not-okta",
    Severity.WARNING,
    "metadata URL is not Okta's https://<org>.okta.com/app/<id>/sso/saml/metadata",
)
METADATA_MALFORMED = _declare(
    "saml.metadata-malformed",
    Severity.ERROR,
    "metadata is not parsable IdP metadata (or hostile XML: DTD, entities)",
)
METADATA_NO_REDIRECT_SSO = _declare(
    "saml.metadata-no-redirect-sso",
    Severity.ERROR,
    "no HTTP-Redirect SingleSignOnService",
)
METADATA_EXPIRED = _declare(
    "saml.metadata-expired",
    Severity.ERROR,
    "metadata validUntil / SAMLProviderData.expires_at in the past",
)
AUTOMATIC_REFRESH_OFF = _declare(
    "saml.automatic-refresh-off",
    Severity.WARNING,
    "automatic metadata refresh disabled",
)
IDP_CERT_MISSING = _declare(
    "saml.idp-cert-missing",
    Severity.ERROR,
    "no IdP signing certificate",
)
IDP_CERT_UNPARSABLE = _declare(
    "saml.idp-cert-unparsable",
    Severity.ERROR,
    "IdP certificate is not an X.509 certificate",
)
IDP_CERT_EXPIRED = _declare(
    "saml.idp-cert-expired",
    Severity.WARNING,
    "IdP certificate expired (python3-saml still accepts it)",
)
IDP_CERT_EXPIRING = _declare(
    "saml.idp-cert-expiring",
    Severity.WARNING,
    "IdP certificate expires within 30 days",
)
IDP_CERT_MISMATCH = _declare(
    "saml.idp-cert-mismatch",
    Severity.ERROR,
    "configured IdP certificate != the metadata's / the one that signed the captured response",
)
SIGNATURE_INVALID = _declare(
    "saml.signature-invalid",
    Severity.ERROR,
    "the captured response's signature does not verify",
)
RESPONSE_NOT_SIGNED = _declare(
    "saml.response-not-signed",
    Severity.ERROR,
    "Okta does not sign the Response (error when the SP wants signed messages)",
    softened=True,
)
ASSERTION_NOT_SIGNED = _declare(
    "saml.assertion-not-signed",
    Severity.ERROR,
    "Okta does not sign the Assertion (error when the SP wants signed assertions)",
    softened=True,
)
NO_SIGNATURE = _declare(
    "saml.no-signature",
    Severity.ERROR,
    "neither Response nor Assertion signed",
)
WANT_MESSAGES_SIGNED_OFF = _declare(
    "saml.want-messages-signed-off",
    Severity.WARNING,
    "SECURITY_CONFIG wantMessagesSigned off",
)
WANT_ASSERTIONS_SIGNED_OFF = _declare(
    "saml.want-assertions-signed-off",
    Severity.WARNING,
    "SECURITY_CONFIG wantAssertionsSigned off",
)
SHA1_SIGNATURE = _declare(
    "saml.sha1-signature",
    Severity.ERROR,
    "SHA-1 signature algorithm (error when rejectDeprecatedAlgorithm is on)",
    softened=True,
)
SHA1_DIGEST = _declare(
    "saml.sha1-digest",
    Severity.ERROR,
    "SHA-1 digest algorithm (same)",
    softened=True,
)
REJECT_DEPRECATED_ALGORITHM_OFF = _declare(
    "saml.reject-deprecated-algorithm-off",
    Severity.WARNING,
    "SECURITY_CONFIG rejectDeprecatedAlgorithm off",
)
NAMEID_FORMAT_MISMATCH = _declare(
    "saml.nameid-format-mismatch",
    Severity.ERROR,
    "Okta's Name ID format != the SP's (SP not \"unspecified\")",
)
ATTRIBUTE_MISSING = _declare(
    "saml.attribute-missing",
    Severity.ERROR,
    (
        "a non-blank attr_* field names an attribute Okta / the assertion does not send (case-"
        "sensitive); warning on Open edX for the name fields (the login goes on without them), "
        "not checked for name/email of a complete SAP SuccessFactors provider (OData supplies "
        "them)"
    ),
    softened=True,
)
NO_PERMANENT_ID = _declare(
    "saml.no-permanent-id",
    Severity.ERROR,
    (
        "no usable permanent user id: the attr_user_permanent_id attribute is not sent, or it "
        "is blank and the NameID is transient (or this social-core has no NameID fallback)"
    ),
)
DUPLICATE_ATTRIBUTE = _declare(
    "saml.duplicate-attribute",
    Severity.ERROR,
    "the same attribute name twice",
)
NO_ATTRIBUTE_STATEMENT = _declare(
    "saml.no-attribute-statement",
    Severity.ERROR,
    "the captured assertion has no AttributeStatement",
)
ENCRYPTION_WITHOUT_SP_KEY = _declare(
    "saml.encryption-without-sp-key",
    Severity.ERROR,
    "encrypted assertions without an SP key pair",
)
SP_KEY_MISSING = _declare(
    "saml.sp-key-missing",
    Severity.ERROR,
    "SP certificate or private key missing (error when signing/encryption needs it)",
    softened=True,
)
SP_KEY_INVALID = _declare(
    "saml.sp-key-invalid",
    Severity.ERROR,
    "SP certificate / private key unparsable",
)
SP_KEY_MISMATCH = _declare(
    "saml.sp-key-mismatch",
    Severity.ERROR,
    ("SP certificate and private key do not match (warning while requests are unsigned)"),
    softened=True,
)
SP_CERT_EXPIRED = _declare(
    "saml.sp-cert-expired",
    Severity.WARNING,
    "SP certificate expired",
)
ORG_CONTACT_INCOMPLETE = _declare(
    "saml.org-contact-incomplete",
    Severity.ERROR,
    "python3-saml refuses the organization/contacts",
)
SP_SETTINGS_INVALID = _declare(
    "saml.sp-settings-invalid",
    Severity.ERROR,
    "python3-saml refuses other SP settings",
)
DEBUG_MODE_ON = _declare(
    "saml.debug-mode-on",
    Severity.WARNING,
    "provider debug_mode logs every SAML message",
)
SESSION_COOKIE_SAMESITE = _declare(
    "saml.session-cookie-samesite",
    Severity.ERROR,
    "session cookie not sent on Okta's cross-site POST",
)
PROXY_SSL_HEADER_MISSING = _declare(
    "saml.proxy-ssl-header-missing",
    Severity.ERROR,
    "https LMS without SECURE_PROXY_SSL_HEADER",
)
CLOCK_SKEW = _declare(
    "saml.clock-skew",
    Severity.ERROR,
    "now is outside the response's validity window",
)
RESPONSE_MALFORMED = _declare(
    "saml.response-malformed",
    Severity.ERROR,
    "captured response is not base64 / XML / is hostile XML",
)
RESPONSE_STATUS_NOT_SUCCESS = _declare(
    "saml.response-status-not-success",
    Severity.ERROR,
    "captured response carries a failure status",
)
RESPONSE_INVALID = _declare(
    "saml.response-invalid",
    Severity.ERROR,
    "python3-saml rejects the response otherwise",
)
OKTA_APP_NOT_SAML = _declare(
    "saml.okta-app-not-saml",
    Severity.ERROR,
    "the Okta app JSON is not a SAML 2.0 app",
)
THIRD_PARTY_AUTH_OFF = _declare(
    "saml.third-party-auth-off",
    Severity.ERROR,
    (
        'Open edX: ENABLE_THIRD_PARTY_AUTH (or FEATURES["ENABLE_THIRD_PARTY_AUTH"]) is off: no '
        "/auth/ URLs, no SAML login at all"
    ),
)
TPA_BACKEND_MISSING = _declare(
    "saml.tpa-backend-missing",
    Severity.ERROR,
    (
        "Open edX: the provider's backend (tpa-saml: third_party_auth.saml.SAMLAuthBackend) is "
        "not in AUTHENTICATION_BACKENDS: the registry skips it"
    ),
)
SITE_SAML_OFF = _declare(
    "saml.site-saml-off",
    Severity.ERROR,
    (
        'Open edX: the provider\'s Site has no current, enabled SAMLConfiguration "default": the'
        " login answers 404"
    ),
)
SP_CONFIGURATION_NOT_CURRENT = _declare(
    "saml.sp-configuration-not-current",
    Severity.WARNING,
    (
        "Open edX: the provider's saml_configuration is an old or disabled version; its values "
        "are used"
    ),
)
IDP_TYPE_UNKNOWN = _declare(
    "saml.idp-type-unknown",
    Severity.WARNING,
    ("Open edX: identity_provider_type is not one the platform knows (it falls back to standard)"),
)
SAPSF_ODATA_INCOMPLETE = _declare(
    "saml.sapsf-odata-incomplete",
    Severity.WARNING,
    (
        "SAP SuccessFactors provider without the OData keys in other_settings: details from the"
        " assertion only"
    ),
)
PROVIDER_AMBIGUOUS = _declare(
    "saml.provider-ambiguous",
    Severity.ERROR,
    "Okta-side input given, several providers, none matches: pick one with --provider",
)
PROVIDER_DISABLED = _declare(
    "saml.provider-disabled",
    Severity.INFO,
    "the provider row is not enabled",
)
NO_PROVIDERS = _declare(
    "saml.no-providers",
    Severity.INFO,
    "no SAML provider configured anywhere",
)

# Default severity of each rule, and every id, in declaration order.
SEVERITY: dict[str, Severity] = {r.id: r.severity for r in REGISTRY}
ALL_RULES: tuple[str, ...] = tuple(SEVERITY)
