"""Checks that need only the SP side: the provider row, the SP settings and keys, the LMS
URL and the Django settings the ACS request goes through."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

from django.conf import settings

from cors_gate.audit.findings import Severity
from cors_gate.saml import rules
from cors_gate.saml.certs import CertError, key_matches_cert, load_cert, load_private_key
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.metadata import OKTA_METADATA_PATH

RELAY_STATE_MAX_BYTES = 80  # SAML bindings §3.4.3 / §3.5.3
EXPIRY_WARNING = dt.timedelta(days=30)


def slug_problem(slug: str) -> str | None:
    """Why the slug cannot be the RelayState that picks this provider, or None."""
    if not slug.strip():
        return "it is blank"
    if ":" in slug or any(ch.isspace() for ch in slug):
        return "it contains ':' or whitespace, which social-core refuses in an IdP name"
    try:
        parsed = json.loads(slug)
    except ValueError:
        pass
    else:
        # social-core json.loads() the RelayState first: "2024" or "true" is not a dict.
        return f"social-core parses it as JSON ({type(parsed).__name__}), not as an IdP name"
    if len(slug.encode("utf-8")) > RELAY_STATE_MAX_BYTES:
        return f"it is longer than the {RELAY_STATE_MAX_BYTES} bytes a RelayState may carry"
    return None


def check_provider(checker: Checker, ctx: Ctx) -> None:
    provider, subject = ctx.provider, ctx.subject
    if not provider.enabled:
        checker.rule(rules.PROVIDER_DISABLED, subject).fail(
            "The provider is not enabled",
            f"{provider.source}: enabled = false",
            "Enable it in the SAML provider configuration when it is ready.",
        )
    slug_unusable_as_relay_state = checker.rule(rules.SLUG_UNUSABLE_AS_RELAY_STATE, subject)
    problem = slug_problem(provider.slug)
    if problem:
        slug_unusable_as_relay_state.fail(
            "The provider slug cannot be used as Okta's Default RelayState",
            f"slug {provider.slug!r}: {problem}",
            "Choose a short slug of letters, digits and hyphens that starts with a letter, "
            "and enter the same value as Okta's Default RelayState.",
        )
    idp_entity_id_missing = checker.rule(rules.IDP_ENTITY_ID_MISSING, subject)
    if not provider.entity_id:
        idp_entity_id_missing.fail(
            "The provider has no Entity ID",
            f"{provider.source}: entity_id is blank; expected Okta's Identity Provider Issuer "
            "(http://www.okta.com/exk…)",
            "Copy the entityID from Okta's IdP metadata into the provider's Entity ID.",
        )
    sp_entity_id_missing = checker.rule(rules.SP_ENTITY_ID_MISSING, subject)
    if not provider.sp.entity_id:
        sp_entity_id_missing.fail(
            "The SP has no entity id",
            "SAMLConfiguration.entity_id / SOCIAL_AUTH_SAML_SP_ENTITY_ID is blank",
            f"Set it (usually {ctx.lms_url or 'https://<lms>'}) and enter the same value as "
            "Okta's Audience Restriction.",
        )
    debug_mode_on = checker.rule(rules.DEBUG_MODE_ON, subject)
    if provider.debug_mode:
        debug_mode_on.fail(
            "Debug mode is on: every SAML request and response is logged",
            f"{provider.source}: debug_mode = true (logs carry users' names and emails)",
            "Turn Debug Mode off once the integration works.",
        )
    if provider.automatic_refresh_enabled is not None:  # Open edX-shaped providers only
        automatic_refresh_off = checker.rule(rules.AUTOMATIC_REFRESH_OFF, subject)
        if not provider.automatic_refresh_enabled:
            automatic_refresh_off.fail(
                "Automatic metadata refresh is off",
                f"{provider.source}: automatic_refresh_enabled = false; when Okta rotates its "
                "signing certificate, logins fail until someone runs `saml pull`",
                "Enable automatic metadata refresh (and schedule `manage.py lms saml --pull`).",
            )
        check_metadata_url(
            checker, ctx, provider.metadata_source, f"{provider.source}: metadata_source"
        )


def check_metadata_url(checker: Checker, ctx: Ctx, url: str, where: str) -> None:
    subject = ctx.subject
    metadata_url_not_https = checker.rule(rules.METADATA_URL_NOT_HTTPS, subject)
    metadata_url_not_okta = checker.rule(rules.METADATA_URL_NOT_OKTA, subject)
    if not url:
        metadata_url_not_okta.fail(
            "No metadata source: the IdP data cannot be fetched or refreshed",
            f"{where} is blank",
            "Enter Okta's metadata URL: https://<org>.okta.com/app/<app id>/sso/saml/metadata",
        )
        return
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "https":
        metadata_url_not_https.fail(
            "The IdP metadata is fetched over plain HTTP",
            f"{where} = {url}: anyone on the path can replace the signing certificate and "
            "forge logins",
            "Use Okta's https:// metadata URL.",
        )
    elif not OKTA_METADATA_PATH.match(parts.path):
        metadata_url_not_okta.fail(
            "The metadata URL is not Okta's metadata URL",
            f"{where} = {url}; Okta's has the form "
            "https://<org>.okta.com/app/<app id>/sso/saml/metadata",
            "Copy the Metadata URL from the Okta app's Sign On tab.",
        )


def check_lms(checker: Checker, ctx: Ctx) -> None:
    subject = ctx.subject
    lms_url_unknown = checker.rule(rules.LMS_URL_UNKNOWN, subject)
    if not ctx.lms_url:
        lms_url_unknown.fail(
            "No LMS URL: only ACS paths could be compared",
            f"expected ACS path {ctx.acs_url}; neither --lms-url nor LMS_ROOT_URL is set",
            "Pass --lms-url https://<lms> to compare full URLs.",
        )
        return
    parts = urllib.parse.urlsplit(ctx.lms_url)
    acs_not_https = checker.rule(rules.ACS_NOT_HTTPS, subject)
    if parts.scheme != "https":
        acs_not_https.fail(
            "The LMS URL is not https",
            f"LMS URL {ctx.lms_url}: the ACS would be {ctx.acs_url}; the session cookie "
            "cannot be SameSite=None without Secure, and assertions travel in clear",
            "Serve the LMS over https and use https:// everywhere in the Okta app.",
        )
    sso_url_underscore = checker.rule(rules.SSO_URL_UNDERSCORE, subject)
    if "_" in (parts.hostname or ""):
        sso_url_underscore.fail(
            "The LMS host name contains an underscore",
            f"host {parts.hostname!r}: Django's host validation refuses it (400 "
            "DisallowedHost), so Okta's POST to the ACS never reaches the backend",
            "Use a host name without underscores for the LMS and in Okta's SSO URL.",
        )


def check_sp_settings(checker: Checker, ctx: Ctx) -> None:
    subject = ctx.subject
    org_contact_incomplete = checker.rule(rules.ORG_CONTACT_INCOMPLETE, subject)
    sp_settings_invalid = checker.rule(rules.SP_SETTINGS_INVALID, subject)
    errors = ctx.settings_errors
    org = [e for e in errors if e.startswith(("contact", "organization", "crash:"))]
    other = [
        e
        for e in errors
        if e not in org and e not in {"sp_entityId_not_found", "sp_cert_not_found_and_required"}
    ]
    if org:
        org_contact_incomplete.fail(
            "python3-saml refuses the organization / contact settings",
            f"python3-saml: {', '.join(org)}; ORG_INFO = {_short(ctx.provider.sp.org_info)}, "
            f"TECHNICAL_CONTACT = {_short(ctx.provider.sp.technical_contact)}, "
            f"SUPPORT_CONTACT = {_short(ctx.provider.sp.support_contact)}",
            'Give ORG_INFO {"en-US": {"name", "displayname", "url"}} and both contacts '
            "a givenName and an emailAddress (SAMLConfiguration org_info_str / "
            "other_config_str, or SOCIAL_AUTH_SAML_ORG_INFO / _TECHNICAL_CONTACT / "
            "_SUPPORT_CONTACT).",
        )
    if other:
        sp_settings_invalid.fail(
            "python3-saml refuses the SP settings",
            f"python3-saml: {', '.join(other)}",
            "Fix the SP settings python3-saml names (SECURITY_CONFIG / SP_EXTRA / ACS URL).",
        )
    sec = ctx.security
    for rule, key, text, okta in (
        (
            rules.WANT_MESSAGES_SIGNED_OFF,
            "wantMessagesSigned",
            "signed Responses",
            "Okta's Response: Signed",
        ),
        (
            rules.WANT_ASSERTIONS_SIGNED_OFF,
            "wantAssertionsSigned",
            "signed Assertions",
            "Okta's Assertion Signature: Signed",
        ),
        (
            rules.REJECT_DEPRECATED_ALGORITHM_OFF,
            "rejectDeprecatedAlgorithm",
            "SHA-256 over SHA-1",
            "Okta's RSA_SHA256 / SHA256 algorithms",
        ),
    ):
        check = checker.rule(rule, subject)
        if not sec.get(key):
            check.fail(
                f"SECURITY_CONFIG {key} is off",
                f"{key} = {sec.get(key)!r}: the SP does not insist on {text}",
                f'Add "{key}": true to SECURITY_CONFIG (it matches {okta}, the forum '
                "answer's setting).",
            )


def _short(value: object) -> str:
    text = json.dumps(value, default=str) if value is not None else "None"
    return text if len(text) <= 80 else text[:77] + "…"


def assertion_encrypted(ctx: Ctx) -> bool:
    """Okta encrypts the assertion: the app says so, or the captured response shows it."""
    return bool(ctx.okta and ctx.okta.assertion_encrypted) or bool(
        ctx.facts and ctx.facts.encrypted
    )


def needs_sp_key(ctx: Ctx, encrypted: bool) -> bool:
    sec = ctx.security
    return encrypted or any(
        bool(sec.get(k))
        for k in (
            "authnRequestsSigned",
            "logoutRequestSigned",
            "logoutResponseSigned",
            "wantAssertionsEncrypted",
            "wantNameIdEncrypted",
            "signMetadata",
        )
    )


def check_sp_keys(checker: Checker, ctx: Ctx) -> None:
    subject, sp = ctx.subject, ctx.provider.sp
    encrypted = assertion_encrypted(ctx)
    needed = needs_sp_key(ctx, encrypted)
    soft = None if needed else Severity.WARNING
    why = (
        "requests are signed or assertions encrypted, so logins need it"
        if needed
        else "nothing signs or decrypts with it today"
    )
    for rule in (rules.SP_KEY_MISSING, rules.SP_KEY_INVALID, rules.SP_KEY_MISMATCH):
        checker.rule(rule, subject)
    sp_cert_expired = checker.rule(rules.SP_CERT_EXPIRED, subject)
    encryption_without_sp_key = checker.rule(rules.ENCRYPTION_WITHOUT_SP_KEY, subject)
    missing = [
        n for n, v in (("certificate", sp.public_cert), ("private key", sp.private_key)) if not v
    ]
    if missing:
        if encrypted:
            encryption_without_sp_key.fail(
                "Okta encrypts the assertion but the SP has no key pair to decrypt it",
                f"SP {' and '.join(missing)} missing; assertion encryption is on",
                "Set Okta's Assertion Encryption to Unencrypted, or give the SP a key pair and "
                "upload its certificate to Okta as the encryption certificate.",
            )
        checker.rule(rules.SP_KEY_MISSING, subject).fail(
            f"The SP {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing",
            f"{sp.key_source} blank; {why}",
            "Generate a pair: openssl req -new -x509 -days 3652 -nodes -out saml.crt "
            "-keyout saml.key, and set both.",
            severity=soft,
        )
        return
    try:
        cert = load_cert(sp.public_cert)
    except CertError as exc:
        checker.rule(rules.SP_KEY_INVALID, subject).fail(
            "The SP certificate cannot be read",
            f"SP public certificate: {exc}; {why}",
            "Paste the PEM certificate (with or without the BEGIN/END lines).",
            severity=soft,
        )
        return
    try:
        key = load_private_key(sp.private_key)
    except CertError as exc:
        checker.rule(rules.SP_KEY_INVALID, subject).fail(
            "The SP private key cannot be read",
            f"SP private key: {exc}; {why}",
            "Paste the unencrypted PEM private key (with or without the BEGIN/END lines).",
            severity=soft,
        )
        return
    if not key_matches_cert(key, cert):
        checker.rule(rules.SP_KEY_MISMATCH, subject).fail(
            "The SP private key does not belong to the SP certificate",
            f"certificate {cert.describe()}; the private key's public half differs; {why}",
            "Set the certificate and private key of the same pair (and give Okta that "
            "certificate).",
            severity=soft,
        )
    if cert.not_after < ctx.now:
        sp_cert_expired.fail(
            "The SP certificate has expired",
            f"certificate {cert.describe()}; now {ctx.now:%Y-%m-%d}",
            "Generate a new SP key pair, publish the new SP metadata and give Okta the new "
            "certificate.",
        )


def check_idp_cert_list(checker: Checker, ctx: Ctx, certs: tuple[str, ...], where: str) -> None:
    """Parsable, not expired, not expiring within 30 days."""
    subject = ctx.subject
    for rule in (rules.IDP_CERT_UNPARSABLE, rules.IDP_CERT_EXPIRED, rules.IDP_CERT_EXPIRING):
        checker.rule(rule, subject)
    for text in certs:
        try:
            cert = load_cert(text)
        except CertError as exc:
            checker.rule(rules.IDP_CERT_UNPARSABLE, subject).fail(
                "The IdP signing certificate cannot be read",
                f"{where}: {exc}",
                "Re-fetch the metadata (`saml pull`) or paste the certificate from Okta's "
                "Sign On tab.",
            )
            continue
        if cert.not_after < ctx.now:
            checker.rule(rules.IDP_CERT_EXPIRED, subject).fail(
                "The IdP signing certificate has expired",
                f"{where}: {cert.describe()}; now {ctx.now:%Y-%m-%d}. python3-saml still "
                "accepts it, but it no longer proves anything about freshness",
                "In Okta, generate a new SAML signing certificate for the app, activate it, "
                "then refresh the metadata.",
            )
        elif cert.not_after - ctx.now < EXPIRY_WARNING:
            days = (cert.not_after - ctx.now).days
            checker.rule(rules.IDP_CERT_EXPIRING, subject).fail(
                f"The IdP signing certificate expires in {days} days",
                f"{where}: {cert.describe()}",
                "Rotate the certificate in Okta now and make sure automatic metadata refresh "
                "is on.",
            )


def check_site(checker: Checker, lms_url: str | None, social_core_major: int | None) -> None:
    """Django settings every SAML login goes through (subject 'settings')."""
    subject = "settings"
    session_cookie_samesite = checker.rule(rules.SESSION_COOKIE_SAMESITE, subject)
    samesite = getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax")
    secure = bool(getattr(settings, "SESSION_COOKIE_SECURE", False))
    shown = f"SESSION_COOKIE_SAMESITE = {samesite!r}, SESSION_COOKIE_SECURE = {secure}"
    if str(samesite).lower() == "none":
        if not secure:
            session_cookie_samesite.fail(
                "SameSite=None session cookie without Secure: browsers drop it",
                f"{shown}; the session (and the SAML request id in it) is lost",
                "Set SESSION_COOKIE_SECURE = True (and serve the LMS over https).",
            )
    elif social_core_major is None or social_core_major < 7:
        version = f"social-auth-core {social_core_major}.x" if social_core_major else "social-core"
        session_cookie_samesite.fail(
            "The session cookie is not sent with Okta's cross-site POST to the ACS",
            f"{shown}; {version} has no browser-return step, so an SP-initiated login "
            "arrives without its session and fails",
            'Set SESSION_COOKIE_SAMESITE = "None" and SESSION_COOKIE_SECURE = True.',
        )
    proxy_ssl_header_missing = checker.rule(rules.PROXY_SSL_HEADER_MISSING, subject)
    https = bool(lms_url and lms_url.startswith("https://"))
    if https and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        proxy_ssl_header_missing.fail(
            "SECURE_PROXY_SSL_HEADER is not set while the LMS is https",
            f"LMS URL {lms_url}; behind a TLS proxy Django sees http and computes "
            "http://…/auth/complete/…, so the Destination check fails",
            'Set SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") and make '
            "the proxy send X-Forwarded-Proto.",
        )
