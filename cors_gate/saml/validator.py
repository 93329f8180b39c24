"""`validate(SamlInputs) -> Report`: every SAML rule over one normalised view.

Provider-only rules run for every provider. The Okta-side inputs (app JSON, metadata,
captured response) describe one Okta app, so they are compared with one provider: the only
one, or the one whose entity id / slug they name.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Callable
from typing import TypeVar

from cors_gate.audit.findings import Report
from cors_gate.saml import rules
from cors_gate.saml.checks_idp import (
    check_attributes,
    check_metadata,
    check_permanent_id,
    check_provider_data,
)
from cors_gate.saml.checks_okta import check_okta, relay_state_idp
from cors_gate.saml.checks_platform import (
    check_platform,
    check_platform_settings,
    on_platform,
)
from cors_gate.saml.checks_response import check_response
from cors_gate.saml.checks_sp import (
    check_lms,
    check_metadata_url,
    check_provider,
    check_site,
    check_sp_keys,
    check_sp_settings,
)
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.metadata import IdpMetadata, MetadataError, parse_metadata
from cors_gate.saml.okta import OktaApp, OktaAppError, parse_okta_app
from cors_gate.saml.response import ResponseError, ResponseFacts, read_facts
from cors_gate.saml.spsettings import PLACEHOLDER_ACS, settings_dict, sp_verdict
from cors_gate.saml.types import ProviderConfig, SamlInputs
from cors_gate.saml.xmlsafe import XmlError


def social_core_major(override: str | None = None) -> int | None:
    """Major version of the installed social-auth-core (7.x refuses IdP-initiated logins)."""
    try:
        version = override or importlib.metadata.version("social-auth-core")
    except importlib.metadata.PackageNotFoundError:
        return None
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def validate(inputs: SamlInputs) -> Report:
    """Check the providers, and the Okta app / metadata / response against the right one."""
    report = Report()
    checker = Checker(report)
    now = inputs.now or dt.datetime.now(dt.UTC)
    major = social_core_major(inputs.social_core_version)
    lms_url = inputs.lms_url.rstrip("/") if inputs.lms_url else None

    okta = _okta(checker, inputs)
    metadata = _metadata(checker, inputs)
    facts = _response(checker, inputs)
    providers = list(inputs.providers)
    if not providers:
        checker.rule(rules.NO_PROVIDERS, "saml").fail(
            "No SAML provider is configured",
            "no enabled third_party_auth SAMLProviderConfig, no SOCIAL_AUTH_SAML_ENABLED_IDPS "
            "entry, no --provider-json",
            "Configure the provider, or check a draft with --provider-json FILE.",
        )
        checker.finish()
        return report
    check_site(checker, lms_url, major)
    if on_platform(providers):
        check_platform_settings(checker)
    target = _target(checker, providers, inputs, okta, metadata, facts)
    for provider in providers:
        is_target = provider is target
        ctx = _context(
            provider,
            lms_url,
            major,
            now,
            okta=okta if is_target else None,
            metadata=metadata if is_target else None,
            facts=facts if is_target else None,
            relay_state=inputs.relay_state if is_target else None,
        )
        _check_one(checker, ctx, inputs.metadata_url if is_target else None)
    checker.finish()
    return report


def _context(
    provider: ProviderConfig,
    lms_url: str | None,
    major: int | None,
    now: dt.datetime,
    **okta_side: object,
) -> Ctx:
    lms_url = provider.login_root(lms_url)  # another Site's provider: that site's host
    acs = (lms_url + provider.acs_path) if lms_url else provider.acs_path
    settings_acs = acs if lms_url else PLACEHOLDER_ACS + acs
    errors, security = sp_verdict(settings_dict(provider, settings_acs))
    return Ctx(
        provider=provider,
        lms_url=lms_url,
        acs_url=acs,
        settings_acs_url=settings_acs,
        settings_errors=errors,
        security=security,
        social_core_major=major,
        now=now,
        **okta_side,  # type: ignore[arg-type]
    )


def _check_one(checker: Checker, ctx: Ctx, metadata_url: str | None) -> None:
    check_provider(checker, ctx)
    if ctx.provider.source == "openedx-db" or on_platform([ctx.provider]):
        check_platform(checker, ctx)
    check_lms(checker, ctx)
    check_sp_settings(checker, ctx)
    check_sp_keys(checker, ctx)
    check_provider_data(checker, ctx)
    if metadata_url:
        check_metadata_url(checker, ctx, metadata_url, "--idp-metadata")
    if ctx.metadata is not None:
        check_metadata(checker, ctx, ctx.metadata)
    if ctx.okta is not None:
        check_okta(checker, ctx, ctx.okta)
        names = list(ctx.okta.attribute_names)
        check_attributes(checker, ctx, names, "Okta's Attribute Statements")
        check_permanent_id(checker, ctx, names, ctx.okta.name_id_format, "Okta")
    if ctx.facts is not None:
        certs = ctx.provider.configured_certs(ctx.now) or (
            ctx.metadata.signing_certs if ctx.metadata else ()
        )
        check_response(checker, ctx, ctx.facts, certs)


T = TypeVar("T")
R = TypeVar("R")


def _parse(
    checker: Checker,
    raw: R | None,
    parse: Callable[[R], T],
    errors: tuple[type[Exception], ...],
    rule: str,
    subject: str,
    title: str,
    fix: str,
    detail_prefix: str = "",
) -> T | None:
    """`parse(raw)`, or None: when raw is None (not given), or a `rule` finding when
    parsing raises one of `errors`."""
    if raw is None:
        return None
    check = checker.rule(rule, subject)
    try:
        return parse(raw)
    except errors as exc:
        check.fail(title, f"{detail_prefix}{exc}", fix)
    return None


def _okta(checker: Checker, inputs: SamlInputs) -> OktaApp | None:
    return _parse(
        checker,
        inputs.okta_app,
        parse_okta_app,
        (OktaAppError,),
        rules.OKTA_APP_NOT_SAML,
        "okta-app",
        "The Okta app JSON is not a SAML 2.0 app",
        "Export the app with GET /api/v1/apps/<app id> (a SAML 2.0 app).",
        detail_prefix="--okta-app: ",
    )


def _metadata(checker: Checker, inputs: SamlInputs) -> IdpMetadata | None:
    return _parse(
        checker,
        inputs.idp_metadata,
        parse_metadata,
        (MetadataError, XmlError),
        rules.METADATA_MALFORMED,
        "idp-metadata",
        "The IdP metadata cannot be used",
        "Use the XML Okta serves at the app's metadata URL, unchanged.",
    )


def _response(checker: Checker, inputs: SamlInputs) -> ResponseFacts | None:
    return _parse(
        checker,
        inputs.saml_response,
        read_facts,
        (ResponseError, XmlError),
        rules.RESPONSE_MALFORMED,
        "saml-response",
        "The captured SAML response cannot be read",
        "Capture the SAMLResponse form field of the POST to the ACS (SAML-tracer), as is.",
    )


def _target(
    checker: Checker,
    providers: list[ProviderConfig],
    inputs: SamlInputs,
    okta: OktaApp | None,
    metadata: IdpMetadata | None,
    facts: ResponseFacts | None,
) -> ProviderConfig | None:
    """The provider the Okta-side inputs describe."""
    if okta is None and metadata is None and facts is None:
        return None
    if len(providers) == 1:
        return providers[0]
    entity_ids = {metadata.entity_id} if metadata else set()
    if facts:
        entity_ids |= set(facts.issuers)
    slugs = set()
    if okta and okta.default_relay_state:
        slugs.add(okta.default_relay_state)
    if inputs.relay_state:
        slugs.add(relay_state_idp(inputs.relay_state))
    matches = [provider for provider in providers if provider.entity_id in entity_ids] or [
        provider for provider in providers if provider.slug in slugs
    ]
    if len(matches) == 1:
        return matches[0]
    checker.rule(rules.PROVIDER_AMBIGUOUS, "saml").fail(
        "Cannot tell which provider the Okta inputs describe",
        f"{len(providers)} providers ({', '.join(provider.slug for provider in providers)}); "
        f"{len(matches)} match the metadata/response entity id or the RelayState",
        "Name the provider with --provider SLUG.",
    )
    return None
