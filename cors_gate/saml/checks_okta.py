"""The Okta app's SAML settings against what the SP expects (the table of settings in the
answer of the Open edX forum thread "Cross-Origin Resource Sharing error: Preflight Missing
Allow Origin Header")."""

from __future__ import annotations

import json
import urllib.parse

from cors_gate.audit.findings import Severity
from cors_gate.saml import rules
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.okta import SHA1_NAMES, OktaApp
from cors_gate.saml.spsettings import sp_name_id_format
from cors_gate.saml.types import NAMEID_UNSPECIFIED


def check_url_field(
    checker: Checker, ctx: Ctx, rule: str, label: str, value: str, *, where: str = "Okta"
) -> None:
    """One of ACS / Recipient / Destination: equal to the ACS URL, https, no underscore."""
    subject = ctx.subject
    field = checker.rule(rule, subject)
    acs_not_https = checker.rule(rules.ACS_NOT_HTTPS, subject)
    sso_url_underscore = checker.rule(rules.SSO_URL_UNDERSCORE, subject)
    fix = f"Set {label} to {ctx.acs_url} exactly (https, trailing slash included)."
    if not value:
        field.fail(f"{where} {label} is empty", f"{label} = ''; expected {ctx.acs_url}", fix)
        return
    host = urllib.parse.urlsplit(value).hostname or ""
    if "_" in host:
        sso_url_underscore.fail(
            f"{where} {label} has an underscore in its host name",
            f"{label} = {value}: Django refuses the host (400 DisallowedHost)",
            fix,
        )
    if ctx.same_acs(value):
        return
    if ctx.differs_only_in_scheme(value):
        acs_not_https.fail(
            f"{where} {label} uses the wrong scheme",
            f"{label} = {value}; expected {ctx.acs_url}",
            fix,
        )
        return
    field.fail(
        f"{where} {label} is not the SP's ACS URL",
        f"{label} = {value}; expected {ctx.acs_url}",
        fix,
    )


def relay_state_idp(relay_state: str) -> str:
    """The IdP name social-core reads from a RelayState: JSON {"idp": …} or the string."""
    try:
        parsed = json.loads(relay_state)
    except ValueError:
        return relay_state
    if isinstance(parsed, dict):
        return str(parsed.get("idp") or "")
    return relay_state


def check_relay_state(checker: Checker, ctx: Ctx, value: str, where: str) -> None:
    subject = ctx.subject
    relay_state_mismatch = checker.rule(rules.RELAY_STATE_MISMATCH, subject)
    idp = relay_state_idp(value)
    if idp != ctx.provider.slug:
        relay_state_mismatch.fail(
            f"{where} does not name this provider",
            f"{where} = {value!r} (IdP {idp!r}); the provider slug is {ctx.provider.slug!r} "
            "(case-sensitive)",
            f"Set Okta's Default RelayState to {ctx.provider.slug} exactly.",
        )


def check_idp_initiated(checker: Checker, ctx: Ctx, why: str) -> None:
    subject = ctx.subject
    idp_initiated_not_allowed = checker.rule(rules.IDP_INITIATED_NOT_ALLOWED, subject)
    major = ctx.social_core_major
    if major is not None and major >= 7 and not ctx.provider.sp.allow_idp_initiated:
        idp_initiated_not_allowed.fail(
            "IdP-initiated logins are refused by social-auth-core 7",
            f"{why}; social-auth-core {major}.x refuses unsolicited responses unless "
            "SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED is true (it is off)",
            "Set SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED = True (Open edX: "
            'SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED or "ALLOW_IDP_INITIATED" in '
            "other_config_str), or clear Okta's Default RelayState.",
        )


def check_signing(
    checker: Checker,
    ctx: Ctx,
    response_signed: bool | None,
    assertion_signed: bool | None,
    sig_algorithms: list[str],
    digest_algorithms: list[str],
    where: str,
) -> None:
    subject, sec = ctx.subject, ctx.security
    for rule in (rules.NO_SIGNATURE, rules.RESPONSE_NOT_SIGNED, rules.ASSERTION_NOT_SIGNED):
        checker.rule(rule, subject)
    if response_signed is False and assertion_signed is False:
        checker.rule(rules.NO_SIGNATURE, subject).fail(
            f"{where}: neither the Response nor the Assertion is signed",
            "python3-saml refuses an unsigned response (error 34)",
            "Set Response: Signed and Assertion Signature: Signed in Okta.",
        )
    else:
        for rule, signed, want, part in (
            (rules.RESPONSE_NOT_SIGNED, response_signed, "wantMessagesSigned", "Response"),
            (rules.ASSERTION_NOT_SIGNED, assertion_signed, "wantAssertionsSigned", "Assertion"),
        ):
            if signed is False:
                wanted = bool(sec.get(want))
                checker.rule(rule, subject).fail(
                    f"{where}: the {part} is not signed",
                    f"{part} unsigned; SECURITY_CONFIG {want} = {wanted}"
                    + (" so the login fails" if wanted else ""),
                    f"Set {part} signing to Signed in Okta.",
                    severity=None if wanted else Severity.WARNING,
                )
    reject = bool(sec.get("rejectDeprecatedAlgorithm"))
    soft = None if reject else Severity.WARNING
    for rule, algorithms, label in (
        (rules.SHA1_SIGNATURE, sig_algorithms, "signature"),
        (rules.SHA1_DIGEST, digest_algorithms, "digest"),
    ):
        check = checker.rule(rule, subject)
        sha1 = [a for a in algorithms if is_sha1(a)]
        if sha1:
            check.fail(
                f"{where}: SHA-1 {label} algorithm",
                f"{label} algorithm {sha1[0]}; rejectDeprecatedAlgorithm = {reject}"
                + (" so the login fails" if reject else ""),
                "Set Signature Algorithm RSA_SHA256 and Digest Algorithm SHA256 in Okta.",
                severity=soft,
            )


def is_sha1(algorithm: str) -> bool:
    name = algorithm.strip()
    return name.upper() in SHA1_NAMES or name.endswith(("#rsa-sha1", "#sha1", "#dsa-sha1"))


def check_name_id_format(checker: Checker, ctx: Ctx, value: str, where: str) -> None:
    subject = ctx.subject
    nameid_format_mismatch = checker.rule(rules.NAMEID_FORMAT_MISMATCH, subject)
    wanted = sp_name_id_format(ctx.provider)
    if wanted != NAMEID_UNSPECIFIED and value and value != wanted:
        nameid_format_mismatch.fail(
            f"{where} Name ID format is not the SP's",
            f"{where}: {value}; the SP asks for {wanted} (SP_EXTRA NameIDFormat)",
            f"Set Okta's Name ID format to {wanted.rsplit(':', 1)[-1]}, or the SP's "
            "NameIDFormat to unspecified (the forum answer's setting).",
        )


def check_okta(checker: Checker, ctx: Ctx, okta: OktaApp) -> None:
    subject = ctx.subject
    check_url_field(checker, ctx, rules.ACS_URL_MISMATCH, "Single sign on URL", okta.sso_acs_url)
    check_url_field(checker, ctx, rules.RECIPIENT_MISMATCH, "Recipient URL", okta.recipient)
    check_url_field(checker, ctx, rules.DESTINATION_MISMATCH, "Destination URL", okta.destination)
    audience_mismatch = checker.rule(rules.AUDIENCE_MISMATCH, subject)
    if ctx.sp_entity_id and okta.audience != ctx.sp_entity_id:
        audience_mismatch.fail(
            "Okta's Audience Restriction is not the SP entity id",
            f"Audience = {okta.audience!r}; SP entity id = {ctx.sp_entity_id!r} (compared "
            "exactly: a trailing slash counts)",
            f"Set Okta's Audience URI (SP Entity ID) to {ctx.sp_entity_id} exactly.",
        )
    if okta.default_relay_state:
        check_relay_state(checker, ctx, okta.default_relay_state, "Okta's Default RelayState")
        check_idp_initiated(
            checker, ctx, f"Okta's Default RelayState is {okta.default_relay_state!r}"
        )
    check_name_id_format(checker, ctx, okta.name_id_format, "Okta's")
    check_signing(
        checker,
        ctx,
        okta.response_signed,
        okta.assertion_signed,
        [okta.signature_algorithm],
        [okta.digest_algorithm],
        "Okta",
    )
