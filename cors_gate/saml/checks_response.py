"""A captured response: our own comparisons (so several problems show at once), then
python3-saml's strict verdict, mapped to a rule unless we already reported that rule."""

from __future__ import annotations

import datetime as dt

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from cors_gate.saml import rules
from cors_gate.saml.certs import share_a_key
from cors_gate.saml.checks_idp import check_attributes, check_permanent_id
from cors_gate.saml.checks_okta import (
    check_idp_initiated,
    check_name_id_format,
    check_relay_state,
    check_signing,
    check_url_field,
)
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.response import ResponseFacts, library_verdict
from cors_gate.saml.spsettings import settings_dict

DRIFT = dt.timedelta(seconds=C.ALLOWED_CLOCK_DRIFT)
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def check_response(
    checker: Checker, ctx: Ctx, facts: ResponseFacts, idp_certs: tuple[str, ...]
) -> None:
    subject = ctx.subject
    where = "the captured response"
    response_status_not_success = checker.rule(rules.RESPONSE_STATUS_NOT_SUCCESS, subject)
    if facts.status and facts.status != SUCCESS:
        response_status_not_success.fail(
            "Okta answered with a failure status",
            f"StatusCode = {facts.status}",
            "Read Okta's System Log for this sign-on: the user may not be assigned to the app.",
        )
        return
    check_url_field(
        checker, ctx, rules.DESTINATION_MISMATCH, "Destination", facts.destination, where="Response"
    )
    for recipient in facts.recipients[:1]:
        check_url_field(
            checker, ctx, rules.RECIPIENT_MISMATCH, "Recipient", recipient, where="Assertion"
        )
    audience_mismatch = checker.rule(rules.AUDIENCE_MISMATCH, subject)
    if ctx.sp_entity_id and facts.audiences and ctx.sp_entity_id not in facts.audiences:
        audience_mismatch.fail(
            "The assertion's Audience is not the SP entity id",
            f"Audience = {', '.join(repr(a) for a in facts.audiences)}; SP entity id = "
            f"{ctx.sp_entity_id!r} (exact: a trailing slash counts)",
            f"Set Okta's Audience URI to {ctx.sp_entity_id} exactly.",
        )
    issuer_mismatch = checker.rule(rules.ISSUER_MISMATCH, subject)
    wrong = [i for i in facts.issuers if i != ctx.provider.entity_id]
    if ctx.provider.entity_id and wrong:
        issuer_mismatch.fail(
            "The response Issuer is not the provider's Entity ID",
            f"Issuer = {wrong[0]!r}; provider entity_id = {ctx.provider.entity_id!r}",
            f"Set the provider's Entity ID to {wrong[0]} (Okta's Identity Provider Issuer).",
        )
    check_signing(
        checker,
        ctx,
        facts.response_signed,
        facts.assertion_signed if not facts.encrypted else None,
        list(facts.signature_algorithms),
        list(facts.digest_algorithms),
        "the captured response",
    )
    check_name_id_format(checker, ctx, facts.name_id_format, "the captured response's")
    if not facts.encrypted:
        no_attribute_statement = checker.rule(rules.NO_ATTRIBUTE_STATEMENT, subject)
        if facts.has_attribute_statement:
            check_attributes(checker, ctx, list(facts.attribute_names), where)
        elif any(ctx.provider.attr(f) for f in ("attr_email", "attr_user_permanent_id")):
            no_attribute_statement.fail(
                "The assertion carries no attributes",
                "no AttributeStatement, yet the provider's attr_* fields name attributes",
                "Add the Attribute Statements in the Okta app (see `cors_gate_saml checklist`).",
            )
        check_permanent_id(checker, ctx, list(facts.attribute_names), facts.name_id_format, where)
    check_clock(checker, ctx, facts)
    if not facts.in_response_to:
        check_idp_initiated(checker, ctx, "the captured response is unsolicited (no InResponseTo)")
    if ctx.relay_state is not None:
        check_relay_state(checker, ctx, ctx.relay_state, "the captured RelayState")
    check_embedded_cert(checker, ctx, facts, idp_certs)
    verdict_from_library(checker, ctx, facts, idp_certs)


def check_clock(checker: Checker, ctx: Ctx, facts: ResponseFacts) -> None:
    subject = ctx.subject
    clock_skew = checker.rule(rules.CLOCK_SKEW, subject)
    start, end = facts.not_before, facts.not_on_or_after
    window = f"valid {start or '-'} .. {end or '-'} (±{C.ALLOWED_CLOCK_DRIFT} s allowed)"
    if start and ctx.now < start - DRIFT:
        ahead = int((start - ctx.now).total_seconds())
        clock_skew.fail(
            "The response is not valid yet here: this clock is behind Okta's",
            f"{window}; now {ctx.now:%Y-%m-%d %H:%M:%S}Z, {ahead} s before NotBefore",
            "Synchronise the server clock (NTP).",
        )
    elif end and ctx.now >= end + DRIFT:
        late = int((ctx.now - end).total_seconds())
        clock_skew.fail(
            "The response has expired here (old capture, or this clock is ahead of Okta's)",
            f"{window}; now {ctx.now:%Y-%m-%d %H:%M:%S}Z, {late} s after NotOnOrAfter",
            "Capture a fresh response; if it is fresh, synchronise the server clock (NTP).",
        )


def check_embedded_cert(
    checker: Checker, ctx: Ctx, facts: ResponseFacts, idp_certs: tuple[str, ...]
) -> None:
    subject = ctx.subject
    idp_cert_mismatch = checker.rule(rules.IDP_CERT_MISMATCH, subject)
    if not idp_certs or not facts.embedded_certs:
        return
    signer = facts.embedded_certs[0]
    if not share_a_key((signer,), idp_certs):
        idp_cert_mismatch.fail(
            "The response is signed with a certificate the SP does not trust",
            "the X509Certificate in the response's signature is none of the configured IdP "
            "certificates; python3-saml will reject the signature",
            "Re-fetch Okta's metadata (`saml pull`) or paste Okta's active signing certificate.",
        )


def verdict_from_library(
    checker: Checker, ctx: Ctx, facts: ResponseFacts, idp_certs: tuple[str, ...]
) -> None:
    config = settings_dict(ctx.provider, ctx.settings_acs_url, idp_certs=idp_certs)
    try:
        settings = OneLogin_Saml2_Settings(config, sp_validation_only=True)
    except Exception:
        return
    verdict = library_verdict(settings, facts, ctx.settings_acs_url)
    if verdict.rule is None:
        return
    rule = verdict.rule
    if rule == rules.SIGNATURE_INVALID and checker.failed(rules.IDP_CERT_MISMATCH, ctx.subject):
        return  # same cause, already explained
    if rule == rules.RESPONSE_INVALID and facts.encrypted and not ctx.provider.sp.private_key:
        rule = rules.ENCRYPTION_WITHOUT_SP_KEY
    if checker.failed(rule, ctx.subject):
        return  # our own comparison already explained it, with both values
    code = f" (error {verdict.code})" if verdict.code is not None else ""
    checker.rule(rule, ctx.subject).fail(
        f"python3-saml rejects the captured response{code}",
        f"python3-saml (strict, as social-core runs it): {verdict.message}",
        "Fix the setting the message names; run `cors_gate_saml checklist "
        f"{ctx.subject}` for the values Okta needs.",
    )
