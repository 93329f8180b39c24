"""Every rule id of the SAML validator, in one place. The ids are stable: tests, the audit
command and the real-login proof (tests/saml/test_real_logins.py) match on them.

Severity (the default; a few rules are softened to warning when the weaker setting does not
break the login, noted with "/w"):

====================================== ======== ===============================================
id                                     severity what it means
====================================== ======== ===============================================
saml.relay-state-mismatch              error    Okta's Default RelayState / the captured
                                                RelayState does not name the provider slug
saml.slug-unusable-as-relay-state      error    the slug cannot come back as a RelayState
                                                (blank, ':' or space, parses as JSON, > 80 bytes)
saml.idp-initiated-not-allowed         error    social-auth-core >= 7, IdP-initiated logins used
                                                (a Default RelayState / unsolicited response) but
                                                SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED is off
saml.acs-url-mismatch                  error    Okta "Single sign on URL" != the SP's ACS URL
saml.recipient-mismatch                error    Okta Recipient / the assertion's
                                                SubjectConfirmationData Recipient != ACS URL
saml.destination-mismatch              error    Okta Destination / the response Destination
                                                != ACS URL (or empty)
saml.acs-not-https                     error    http where the ACS is https (or the LMS is http)
saml.sso-url-underscore                error    underscore in the ACS host (Django refuses it)
saml.lms-url-unknown                   info     no LMS URL: only ACS paths could be compared
saml.audience-mismatch                 error    Okta Audience / assertion Audience != SP entity id
                                                (exactly: a trailing slash counts)
saml.sp-entity-id-missing              error    no SP entity id configured
saml.idp-entity-id-missing             error    the provider has no entity_id
saml.idp-entity-id-mismatch            error    provider entity_id != metadata entityID / stored
                                                SAMLProviderData.entity_id
saml.issuer-mismatch                   error    response/assertion Issuer != provider entity_id
saml.metadata-url-not-https            error    metadata fetched over plain http (forgeable)
saml.metadata-url-not-okta             warning  metadata URL is not Okta's
                                                https://<org>.okta.com/app/<id>/sso/saml/metadata
saml.metadata-malformed                error    metadata is not parsable IdP metadata (or hostile
                                                XML: DTD, entities)
saml.metadata-no-redirect-sso          error    no HTTP-Redirect SingleSignOnService
saml.metadata-expired                  error    metadata validUntil / SAMLProviderData.expires_at
                                                in the past
saml.automatic-refresh-off             warning  automatic metadata refresh disabled
saml.idp-cert-missing                  error    no IdP signing certificate
saml.idp-cert-unparsable               error    IdP certificate is not an X.509 certificate
saml.idp-cert-expired                  warning  IdP certificate expired (python3-saml still
                                                accepts it)
saml.idp-cert-expiring                 warning  IdP certificate expires within 30 days
saml.idp-cert-mismatch                 error    configured IdP certificate != the metadata's /
                                                the one that signed the captured response
saml.signature-invalid                 error    the captured response's signature does not verify
saml.response-not-signed               error/w  Okta does not sign the Response (error when the
                                                SP wants signed messages)
saml.assertion-not-signed              error/w  Okta does not sign the Assertion (error when the
                                                SP wants signed assertions)
saml.no-signature                      error    neither Response nor Assertion signed
saml.want-messages-signed-off          warning  SECURITY_CONFIG wantMessagesSigned off
saml.want-assertions-signed-off        warning  SECURITY_CONFIG wantAssertionsSigned off
saml.sha1-signature                    error/w  SHA-1 signature algorithm (error when
                                                rejectDeprecatedAlgorithm is on)
saml.sha1-digest                       error/w  SHA-1 digest algorithm (same)
saml.reject-deprecated-algorithm-off   warning  SECURITY_CONFIG rejectDeprecatedAlgorithm off
saml.nameid-format-mismatch            error    Okta's Name ID format != the SP's (SP not
                                                "unspecified")
saml.attribute-missing                 error/w  a non-blank attr_* field names an attribute
                                                Okta / the assertion does not send
                                                (case-sensitive); warning on Open edX for the
                                                name fields (the login goes on without them),
                                                not checked for name/email of a complete SAP
                                                SuccessFactors provider (OData supplies them)
saml.no-permanent-id                   error    no usable permanent user id: the
                                                attr_user_permanent_id attribute is not sent,
                                                or it is blank and the NameID is transient
                                                (or this social-core has no NameID fallback)
saml.duplicate-attribute               error    the same attribute name twice
saml.no-attribute-statement            error    the captured assertion has no AttributeStatement
saml.encryption-without-sp-key         error    encrypted assertions without an SP key pair
saml.sp-key-missing                    error/w  SP certificate or private key missing (error
                                                when signing/encryption needs it)
saml.sp-key-invalid                    error    SP certificate / private key unparsable
saml.sp-key-mismatch                   error/w  SP certificate and private key do not match
                                                (warning while requests are unsigned)
saml.sp-cert-expired                   warning  SP certificate expired
saml.org-contact-incomplete            error    python3-saml refuses the organization/contacts
saml.sp-settings-invalid               error    python3-saml refuses other SP settings
saml.debug-mode-on                     warning  provider debug_mode logs every SAML message
saml.session-cookie-samesite           error    session cookie not sent on Okta's cross-site POST
saml.proxy-ssl-header-missing          error    https LMS without SECURE_PROXY_SSL_HEADER
saml.clock-skew                        error    now is outside the response's validity window
saml.response-malformed                error    captured response is not base64 / XML / is
                                                hostile XML
saml.response-status-not-success       error    captured response carries a failure status
saml.response-invalid                  error    python3-saml rejects the response otherwise
saml.okta-app-not-saml                 error    the Okta app JSON is not a SAML 2.0 app
saml.third-party-auth-off              error    Open edX: ENABLE_THIRD_PARTY_AUTH (or
                                                FEATURES["ENABLE_THIRD_PARTY_AUTH"]) is off: no
                                                /auth/ URLs, no SAML login at all
saml.tpa-backend-missing               error    Open edX: the provider's backend (tpa-saml:
                                                third_party_auth.saml.SAMLAuthBackend) is not in
                                                AUTHENTICATION_BACKENDS: the registry skips it
saml.site-saml-off                     error    Open edX: the provider's Site has no current,
                                                enabled SAMLConfiguration "default": the login
                                                answers 404
saml.sp-configuration-not-current      warning  Open edX: the provider's saml_configuration is
                                                an old or disabled version; its values are used
saml.idp-type-unknown                  warning  Open edX: identity_provider_type is not one the
                                                platform knows (it falls back to standard)
saml.sapsf-odata-incomplete            warning  SAP SuccessFactors provider without the OData
                                                keys in other_settings: details from the
                                                assertion only
saml.provider-ambiguous                error    Okta-side input given, several providers, none
                                                matches: pick one with --provider
saml.provider-disabled                 info     the provider row is not enabled
saml.no-providers                      info     no SAML provider configured anywhere
====================================== ======== ===============================================
"""

from __future__ import annotations

from cors_gate.audit.findings import Severity

AREA = "saml"

RELAY_STATE_MISMATCH = "saml.relay-state-mismatch"
SLUG_UNUSABLE_AS_RELAY_STATE = "saml.slug-unusable-as-relay-state"
IDP_INITIATED_NOT_ALLOWED = "saml.idp-initiated-not-allowed"
ACS_URL_MISMATCH = "saml.acs-url-mismatch"
RECIPIENT_MISMATCH = "saml.recipient-mismatch"
DESTINATION_MISMATCH = "saml.destination-mismatch"
ACS_NOT_HTTPS = "saml.acs-not-https"
SSO_URL_UNDERSCORE = "saml.sso-url-underscore"
LMS_URL_UNKNOWN = "saml.lms-url-unknown"
AUDIENCE_MISMATCH = "saml.audience-mismatch"
SP_ENTITY_ID_MISSING = "saml.sp-entity-id-missing"
IDP_ENTITY_ID_MISSING = "saml.idp-entity-id-missing"
IDP_ENTITY_ID_MISMATCH = "saml.idp-entity-id-mismatch"
ISSUER_MISMATCH = "saml.issuer-mismatch"
METADATA_URL_NOT_HTTPS = "saml.metadata-url-not-https"
METADATA_URL_NOT_OKTA = "saml.metadata-url-not-okta"
METADATA_MALFORMED = "saml.metadata-malformed"
METADATA_NO_REDIRECT_SSO = "saml.metadata-no-redirect-sso"
METADATA_EXPIRED = "saml.metadata-expired"
AUTOMATIC_REFRESH_OFF = "saml.automatic-refresh-off"
IDP_CERT_MISSING = "saml.idp-cert-missing"
IDP_CERT_UNPARSABLE = "saml.idp-cert-unparsable"
IDP_CERT_EXPIRED = "saml.idp-cert-expired"
IDP_CERT_EXPIRING = "saml.idp-cert-expiring"
IDP_CERT_MISMATCH = "saml.idp-cert-mismatch"
SIGNATURE_INVALID = "saml.signature-invalid"
RESPONSE_NOT_SIGNED = "saml.response-not-signed"
ASSERTION_NOT_SIGNED = "saml.assertion-not-signed"
NO_SIGNATURE = "saml.no-signature"
WANT_MESSAGES_SIGNED_OFF = "saml.want-messages-signed-off"
WANT_ASSERTIONS_SIGNED_OFF = "saml.want-assertions-signed-off"
SHA1_SIGNATURE = "saml.sha1-signature"
SHA1_DIGEST = "saml.sha1-digest"
REJECT_DEPRECATED_ALGORITHM_OFF = "saml.reject-deprecated-algorithm-off"
NAMEID_FORMAT_MISMATCH = "saml.nameid-format-mismatch"
ATTRIBUTE_MISSING = "saml.attribute-missing"
NO_PERMANENT_ID = "saml.no-permanent-id"
DUPLICATE_ATTRIBUTE = "saml.duplicate-attribute"
NO_ATTRIBUTE_STATEMENT = "saml.no-attribute-statement"
ENCRYPTION_WITHOUT_SP_KEY = "saml.encryption-without-sp-key"
SP_KEY_MISSING = "saml.sp-key-missing"
SP_KEY_INVALID = "saml.sp-key-invalid"
SP_KEY_MISMATCH = "saml.sp-key-mismatch"
SP_CERT_EXPIRED = "saml.sp-cert-expired"
ORG_CONTACT_INCOMPLETE = "saml.org-contact-incomplete"
SP_SETTINGS_INVALID = "saml.sp-settings-invalid"
DEBUG_MODE_ON = "saml.debug-mode-on"
SESSION_COOKIE_SAMESITE = "saml.session-cookie-samesite"
PROXY_SSL_HEADER_MISSING = "saml.proxy-ssl-header-missing"
CLOCK_SKEW = "saml.clock-skew"
RESPONSE_MALFORMED = "saml.response-malformed"
RESPONSE_STATUS_NOT_SUCCESS = "saml.response-status-not-success"
RESPONSE_INVALID = "saml.response-invalid"
OKTA_APP_NOT_SAML = "saml.okta-app-not-saml"
THIRD_PARTY_AUTH_OFF = "saml.third-party-auth-off"
TPA_BACKEND_MISSING = "saml.tpa-backend-missing"
SITE_SAML_OFF = "saml.site-saml-off"
SP_CONFIGURATION_NOT_CURRENT = "saml.sp-configuration-not-current"
IDP_TYPE_UNKNOWN = "saml.idp-type-unknown"
SAPSF_ODATA_INCOMPLETE = "saml.sapsf-odata-incomplete"
PROVIDER_AMBIGUOUS = "saml.provider-ambiguous"
PROVIDER_DISABLED = "saml.provider-disabled"
NO_PROVIDERS = "saml.no-providers"

# Default severity of each rule (see the table above for the ones softened to warning).
SEVERITY: dict[str, Severity] = {
    RELAY_STATE_MISMATCH: Severity.ERROR,
    SLUG_UNUSABLE_AS_RELAY_STATE: Severity.ERROR,
    IDP_INITIATED_NOT_ALLOWED: Severity.ERROR,
    ACS_URL_MISMATCH: Severity.ERROR,
    RECIPIENT_MISMATCH: Severity.ERROR,
    DESTINATION_MISMATCH: Severity.ERROR,
    ACS_NOT_HTTPS: Severity.ERROR,
    SSO_URL_UNDERSCORE: Severity.ERROR,
    LMS_URL_UNKNOWN: Severity.INFO,
    AUDIENCE_MISMATCH: Severity.ERROR,
    SP_ENTITY_ID_MISSING: Severity.ERROR,
    IDP_ENTITY_ID_MISSING: Severity.ERROR,
    IDP_ENTITY_ID_MISMATCH: Severity.ERROR,
    ISSUER_MISMATCH: Severity.ERROR,
    METADATA_URL_NOT_HTTPS: Severity.ERROR,
    METADATA_URL_NOT_OKTA: Severity.WARNING,
    METADATA_MALFORMED: Severity.ERROR,
    METADATA_NO_REDIRECT_SSO: Severity.ERROR,
    METADATA_EXPIRED: Severity.ERROR,
    AUTOMATIC_REFRESH_OFF: Severity.WARNING,
    IDP_CERT_MISSING: Severity.ERROR,
    IDP_CERT_UNPARSABLE: Severity.ERROR,
    IDP_CERT_EXPIRED: Severity.WARNING,
    IDP_CERT_EXPIRING: Severity.WARNING,
    IDP_CERT_MISMATCH: Severity.ERROR,
    SIGNATURE_INVALID: Severity.ERROR,
    RESPONSE_NOT_SIGNED: Severity.ERROR,
    ASSERTION_NOT_SIGNED: Severity.ERROR,
    NO_SIGNATURE: Severity.ERROR,
    WANT_MESSAGES_SIGNED_OFF: Severity.WARNING,
    WANT_ASSERTIONS_SIGNED_OFF: Severity.WARNING,
    SHA1_SIGNATURE: Severity.ERROR,
    SHA1_DIGEST: Severity.ERROR,
    REJECT_DEPRECATED_ALGORITHM_OFF: Severity.WARNING,
    NAMEID_FORMAT_MISMATCH: Severity.ERROR,
    ATTRIBUTE_MISSING: Severity.ERROR,
    NO_PERMANENT_ID: Severity.ERROR,
    DUPLICATE_ATTRIBUTE: Severity.ERROR,
    NO_ATTRIBUTE_STATEMENT: Severity.ERROR,
    ENCRYPTION_WITHOUT_SP_KEY: Severity.ERROR,
    SP_KEY_MISSING: Severity.ERROR,
    SP_KEY_INVALID: Severity.ERROR,
    SP_KEY_MISMATCH: Severity.ERROR,
    SP_CERT_EXPIRED: Severity.WARNING,
    ORG_CONTACT_INCOMPLETE: Severity.ERROR,
    SP_SETTINGS_INVALID: Severity.ERROR,
    DEBUG_MODE_ON: Severity.WARNING,
    SESSION_COOKIE_SAMESITE: Severity.ERROR,
    PROXY_SSL_HEADER_MISSING: Severity.ERROR,
    CLOCK_SKEW: Severity.ERROR,
    RESPONSE_MALFORMED: Severity.ERROR,
    RESPONSE_STATUS_NOT_SUCCESS: Severity.ERROR,
    RESPONSE_INVALID: Severity.ERROR,
    OKTA_APP_NOT_SAML: Severity.ERROR,
    THIRD_PARTY_AUTH_OFF: Severity.ERROR,
    TPA_BACKEND_MISSING: Severity.ERROR,
    SITE_SAML_OFF: Severity.ERROR,
    SP_CONFIGURATION_NOT_CURRENT: Severity.WARNING,
    IDP_TYPE_UNKNOWN: Severity.WARNING,
    SAPSF_ODATA_INCOMPLETE: Severity.WARNING,
    PROVIDER_AMBIGUOUS: Severity.ERROR,
    PROVIDER_DISABLED: Severity.INFO,
    NO_PROVIDERS: Severity.INFO,
}

ALL_RULES: tuple[str, ...] = tuple(SEVERITY)
