"""The IdP side: metadata, the stored SAMLProviderData, the signing certificates, and the
attributes Okta sends against the provider's attr_* fields."""

from __future__ import annotations

from collections import Counter

from social_core.backends import saml as social_saml

from cors_gate.audit.findings import Severity
from cors_gate.saml import rules
from cors_gate.saml.certs import share_a_key
from cors_gate.saml.checks_platform import details_from_odata
from cors_gate.saml.checks_sp import check_idp_cert_list
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.metadata import IdpMetadata
from cors_gate.saml.types import ATTR_FIELDS, NAMEID_TRANSIENT

SUGGESTED = "Add an Attribute Statement named exactly {name!r} in the Okta app"
NAME_FIELDS = ("attr_full_name", "attr_first_name", "attr_last_name")
# SapSuccessFactorsIdentityProvider reads these from the OData API, not the assertion.
ODATA_FIELDS = (*NAME_FIELDS, "attr_email")


def check_entity_id(checker: Checker, ctx: Ctx, value: str, where: str) -> None:
    subject = ctx.subject
    idp_entity_id_mismatch = checker.rule(rules.IDP_ENTITY_ID_MISMATCH, subject)
    if ctx.provider.entity_id and value != ctx.provider.entity_id:
        idp_entity_id_mismatch.fail(
            f"The provider's Entity ID is not the {where}'s",
            f"provider entity_id = {ctx.provider.entity_id!r}; {where} entityID = {value!r}",
            f"Set the provider's Entity ID to {value} (Okta: http://www.okta.com/<app id>).",
        )


def check_metadata(checker: Checker, ctx: Ctx, metadata: IdpMetadata) -> None:
    subject = ctx.subject
    check_entity_id(checker, ctx, metadata.entity_id, "IdP metadata")
    metadata_no_redirect_sso = checker.rule(rules.METADATA_NO_REDIRECT_SSO, subject)
    if not metadata.redirect_sso_url:
        metadata_no_redirect_sso.fail(
            "The IdP metadata has no HTTP-Redirect SingleSignOnService",
            "python3-saml sends the AuthnRequest with the HTTP-Redirect binding; the metadata "
            f"offers {'HTTP-POST only' if metadata.post_sso_url else 'no SSO service'}",
            "Use the metadata of the Okta SAML 2.0 app (it lists HTTP-POST and HTTP-Redirect).",
        )
    metadata_expired = checker.rule(rules.METADATA_EXPIRED, subject)
    if metadata.valid_until and metadata.valid_until < ctx.now:
        metadata_expired.fail(
            "The IdP metadata has expired",
            f"validUntil = {metadata.valid_until:%Y-%m-%d %H:%M:%S}Z; "
            f"now {ctx.now:%Y-%m-%d %H:%M:%S}Z",
            "Fetch fresh metadata from Okta (`saml pull`).",
        )
    idp_cert_missing = checker.rule(rules.IDP_CERT_MISSING, subject)
    if not metadata.signing_certs:
        idp_cert_missing.fail(
            "The IdP metadata has no signing certificate",
            "no KeyDescriptor (use=signing) with an X509Certificate",
            "Use the Okta app's own metadata URL.",
        )
        return
    check_idp_cert_list(checker, ctx, metadata.signing_certs, "metadata certificate")
    configured = ctx.provider.configured_certs(ctx.now)
    idp_cert_mismatch = checker.rule(rules.IDP_CERT_MISMATCH, subject)
    if configured and not share_a_key(configured, metadata.signing_certs):
        idp_cert_mismatch.fail(
            "The configured IdP certificate is not the one in the metadata",
            "none of the provider's certificates (SAMLProviderData.public_key / x509cert) "
            "equals the metadata's signing certificate; Okta's signatures will not verify",
            "Re-fetch the metadata (`saml pull`) or paste Okta's current signing certificate.",
        )


def check_provider_data(checker: Checker, ctx: Ctx) -> None:
    """Open edX's stored metadata pulls, and the certificates the SP verifies with."""
    provider, subject = ctx.provider, ctx.subject
    data = provider.provider_data
    rows = provider.data_rows()
    if data is not None:
        valid = provider.valid_data(ctx.now)
        # SAMLProviderConfig.get_config uses every row valid at login time.
        check_entity_id(checker, ctx, (valid or rows)[0].entity_id, "stored SAMLProviderData")
        metadata_expired = checker.rule(rules.METADATA_EXPIRED, subject)
        expired = [r for r in rows if r.expires_at and r.expires_at < ctx.now]
        if expired and not valid:
            newest = expired[0].expires_at
            assert newest is not None
            also = f" (and {len(rows) - 1} older row(s), none valid)" if len(rows) > 1 else ""
            metadata_expired.fail(
                "The stored IdP data (SAMLProviderData) has expired",
                f"expires_at = {newest:%Y-%m-%d %H:%M:%S}Z{also}; Open edX ignores expired "
                "rows and refuses the login (AuthNotConfigured)",
                "Run `manage.py lms saml --pull` and keep automatic refresh on.",
            )
    can_hold_cert = provider.source in {"settings", "openedx-db"} or data is not None
    if can_hold_cert:
        idp_cert_missing = checker.rule(rules.IDP_CERT_MISSING, subject)
        certs = provider.configured_certs(ctx.now)
        if not certs:
            where = (
                "SAMLProviderData.public_key"
                if data is not None or provider.source != "settings"
                else "x509cert"
            )
            idp_cert_missing.fail(
                "No IdP signing certificate is configured",
                f"{where} is empty: the SP cannot verify Okta's signature",
                "Fetch the metadata (`saml pull`) or set x509cert to Okta's signing certificate.",
            )
        check_idp_cert_list(checker, ctx, certs, "configured certificate")


def check_attributes(checker: Checker, ctx: Ctx, names: list[str], where: str) -> None:
    """Every non-blank attr_* field must name an attribute that is sent (case-sensitive)."""
    subject = ctx.subject
    checker.rule(rules.ATTRIBUTE_MISSING, subject)
    duplicate_attribute = checker.rule(rules.DUPLICATE_ATTRIBUTE, subject)
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)
    if dupes:
        duplicate_attribute.fail(
            f"{where} carries the same attribute name twice",
            f"duplicated: {', '.join(dupes)}; python3-saml refuses the response (error 41)",
            "Keep one Attribute Statement per name in Okta.",
        )
    sent = set(names) | {"name_id"}  # social-core adds the NameID as "name_id"
    odata = details_from_odata(ctx.provider)
    for field in ATTR_FIELDS:
        wanted = ctx.provider.attr(field)
        if not wanted or wanted in sent or (odata and field in ODATA_FIELDS):
            continue
        near = [n for n in names if n.lower() == wanted.lower()]
        hint = f" (Okta sends {near[0]!r}: names are case-sensitive)" if near else ""
        default_field = field.replace("attr_", "default_")
        default = ctx.provider.defaults.get(default_field)
        also = f"; {default_field} = {default!r} is used instead on Open edX" if default else ""
        severity = None
        if ctx.provider.platform is not None and field in NAME_FIELDS:
            # EdXSAMLIdentityProvider.get_attr answers the default (or None) for a missing
            # attribute: the login goes on, the learner types the name in the form.
            severity = Severity.WARNING
            also += "; the Open edX login goes on without it (the name stays empty)"
        checker.rule(rules.ATTRIBUTE_MISSING, f"{subject}:{field}").fail(
            f"{where} does not send the attribute {field} names",
            f"{field} = {wanted!r}; {where} sends {sorted(set(names)) or 'no attributes'}"
            f"{hint}{also}",
            SUGGESTED.format(name=wanted) + f", or change {field} to an attribute it sends.",
            severity=severity,
        )


def check_permanent_id(
    checker: Checker, ctx: Ctx, names: list[str] | None, name_id_format: str, where: str
) -> None:
    subject = ctx.subject
    no_permanent_id = checker.rule(rules.NO_PERMANENT_ID, subject)
    named = ctx.provider.attr("attr_user_permanent_id")
    if named:
        if names is not None and named not in names and named != "name_id":
            no_permanent_id.fail(
                "No usable permanent user id: its attribute is not sent",
                f"attr_user_permanent_id = {named!r}; {where} sends "
                f"{sorted(set(names)) or 'no attributes'}: social-core cannot name the user "
                "and the login fails",
                SUGGESTED.format(name=named) + " (the forum maps username to the Okta "
                "username), or change attr_user_permanent_id.",
            )
        return
    if hasattr(social_saml, "PERSISTENT_FIELDS"):
        # This social-core falls back to the NameID: fine unless it changes every login.
        if name_id_format == NAMEID_TRANSIENT:
            no_permanent_id.fail(
                "No usable permanent user id: the NameID is transient",
                f"attr_user_permanent_id is blank, so the NameID is the user id, and {where} "
                "sends a transient NameID: every login creates a new account",
                "Set attr_user_permanent_id to a stable attribute (e.g. 'username'), or set "
                "Okta's Name ID format to Unspecified / Persistent.",
            )
    elif names is not None and social_saml.OID_USERID not in names:
        no_permanent_id.fail(
            "No usable permanent user id",
            "attr_user_permanent_id is blank, so this social-auth-core reads "
            f"{social_saml.OID_USERID}, which {where} does not send; the login fails",
            "Set attr_user_permanent_id to an attribute Okta sends (the forum uses 'username').",
        )
