"""What openedx-platform decides before any SAML message is read: whether third-party auth is
on, whether the provider's backend is installed, whether the provider's Site has SAML turned
on, which SAMLConfiguration version the provider really uses, and what its
identity_provider_type changes.

Read from openedx-platform's common/djangoapps/third_party_auth: `is_enabled()` in
`__init__.py`, the provider `Registry` in `provider.py`, `SAMLAuthBackend.auth_url` and
`SapSuccessFactorsIdentityProvider` in `saml.py`, `SAMLProviderConfig.get_config` in
`models.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from cors_gate.saml import rules
from cors_gate.saml.context import Checker, Ctx
from cors_gate.saml.types import IDP_TYPES, SAP_SUCCESSFACTORS, ProviderConfig

TPA_SAML_BACKEND = "common.djangoapps.third_party_auth.saml.SAMLAuthBackend"
# SapSuccessFactorsIdentityProvider.required_variables: without all of them it logs a warning
# on each login and builds the user from the assertion alone.
SAPSF_REQUIRED = (
    "sapsf_oauth_root_url",
    "sapsf_private_key",
    "odata_api_root_url",
    "odata_company_id",
    "odata_client_id",
)


def on_platform(providers: Sequence[ProviderConfig]) -> bool:
    """The settings in force are an Open edX LMS's (third_party_auth is installed) and at
    least one provider is an Open edX one: the platform's own switches then decide."""
    if any(provider.source == "openedx-db" for provider in providers):
        return True
    return apps.is_installed("third_party_auth") and any(
        provider.platform is not None for provider in providers
    )


def third_party_auth_switch() -> tuple[bool, str]:
    """ENABLE_THIRD_PARTY_AUTH as the platform reads it: a top-level setting on current
    releases, FEATURES["ENABLE_THIRD_PARTY_AUTH"] on older ones; off when neither is set."""
    if hasattr(settings, "ENABLE_THIRD_PARTY_AUTH"):
        value = getattr(settings, "ENABLE_THIRD_PARTY_AUTH")  # noqa: B009 -- not in the stubs
        return bool(value), f"ENABLE_THIRD_PARTY_AUTH = {value!r}"
    features = getattr(settings, "FEATURES", None)
    if isinstance(features, Mapping) and "ENABLE_THIRD_PARTY_AUTH" in features:
        value = features["ENABLE_THIRD_PARTY_AUTH"]
        return bool(value), f'FEATURES["ENABLE_THIRD_PARTY_AUTH"] = {value!r}'
    return False, 'neither ENABLE_THIRD_PARTY_AUTH nor FEATURES["ENABLE_THIRD_PARTY_AUTH"] is set'


def installed_saml_backends() -> dict[str, str]:
    """Backend name -> AUTHENTICATION_BACKENDS entry, for every SAMLAuth subclass listed (as
    the platform's models.py collects _PSA_SAML_BACKENDS)."""
    try:
        from social_core.backends.saml import SAMLAuth
    except ImportError:  # no social-core: nothing can log in with SAML
        return {}
    found: dict[str, str] = {}
    backends = getattr(settings, "AUTHENTICATION_BACKENDS", ())
    for path in backends if isinstance(backends, list | tuple) else ():
        if not isinstance(path, str):
            continue
        try:
            backend = import_string(path)
        except ImportError:
            # Not importable here (the check may run outside the LMS): the platform's own
            # backend is still recognised by its path.
            if path.endswith("third_party_auth.saml.SAMLAuthBackend"):
                found.setdefault("tpa-saml", path)
            continue
        if isinstance(backend, type) and issubclass(backend, SAMLAuth):
            found.setdefault(str(backend.name), path)
    return found


def check_platform_settings(checker: Checker) -> None:
    """Subject 'settings': is there any third-party (SAML) login at all?"""
    subject = "settings"
    third_party_auth_off = checker.rule(rules.THIRD_PARTY_AUTH_OFF, subject)
    enabled, shown = third_party_auth_switch()
    if not enabled:
        third_party_auth_off.fail(
            "Third-party authentication is off: no SAML login at all",
            f"{shown}; the LMS mounts no /auth/ URLs and lists no provider",
            'Set FEATURES["ENABLE_THIRD_PARTY_AUTH"] = True (Tutor: the "common-env-features" '
            "patch '\"ENABLE_THIRD_PARTY_AUTH\": true'), or ENABLE_THIRD_PARTY_AUTH = True on "
            "releases that read it as a top-level setting.",
        )


def check_platform(checker: Checker, ctx: Ctx) -> None:
    provider, subject = ctx.provider, ctx.subject
    facts = provider.platform
    if facts is None:
        return
    tpa_backend_missing = checker.rule(rules.TPA_BACKEND_MISSING, subject)
    backends = installed_saml_backends()
    if provider.backend_name not in backends:
        expected = TPA_SAML_BACKEND if provider.backend_name == "tpa-saml" else "its SAMLAuth class"
        listed = ", ".join(sorted(backends)) or "none"
        tpa_backend_missing.fail(
            f"The {provider.backend_name!r} backend is not in AUTHENTICATION_BACKENDS",
            f"backend_name = {provider.backend_name!r}; SAML backends listed: {listed}. The "
            "provider registry skips the provider and /auth/login/"
            f"{provider.backend_name}/ finds no backend",
            f"Add {expected!r} to AUTHENTICATION_BACKENDS (Tutor: the "
            '"openedx-lms-common-settings" patch).',
        )
    site_saml_off = checker.rule(rules.SITE_SAML_OFF, subject)
    if facts.site_saml_enabled is False:
        site = facts.site_domain or "the default site (SITE_ID)"
        site_saml_off.fail(
            "SAML is not enabled for the provider's site: the login answers 404",
            f"{provider.source}: {site} has no current, enabled SAMLConfiguration with slug "
            "'default'; the platform's SAMLAuthBackend answers 404 and its provider registry "
            "lists no SAML provider there",
            "In the LMS admin, add (or enable) a SAML Configuration with slug 'default' for "
            "that site.",
        )
    sp_configuration_not_current = checker.rule(rules.SP_CONFIGURATION_NOT_CURRENT, subject)
    if facts.sp_configuration_problem:
        sp_configuration_not_current.fail(
            "The provider uses an old or disabled SAML Configuration",
            f"{provider.source}: {facts.sp_configuration_problem}; the platform uses that row's "
            "entity id, keys and settings as they are, so later edits do not apply",
            "Select the current SAML Configuration in the provider (or save the provider "
            "again after editing the configuration).",
        )
    idp_type_unknown = checker.rule(rules.IDP_TYPE_UNKNOWN, subject)
    idp_type = facts.identity_provider_type
    if idp_type not in IDP_TYPES:
        idp_type_unknown.fail(
            "The Identity Provider Type is not one the platform knows",
            f"identity_provider_type = {idp_type!r} (known: {', '.join(IDP_TYPES)}); the "
            "platform logs an error on each login and uses the standard SAML provider",
            "Choose 'Standard SAML provider' (or 'SAP SuccessFactors provider').",
        )
    if idp_type == SAP_SUCCESSFACTORS:
        sapsf_odata_incomplete = checker.rule(rules.SAPSF_ODATA_INCOMPLETE, subject)
        missing = sapsf_missing(provider)
        if missing:
            sapsf_odata_incomplete.fail(
                "SAP SuccessFactors provider without its OData API settings",
                f"other_settings lacks {', '.join(missing)}; the platform logs a warning on "
                "each login and takes the user's details from the assertion alone",
                "Add the SuccessFactors OData keys to the provider's Advanced settings, or "
                "choose 'Standard SAML provider'.",
            )


def sapsf_missing(provider: ProviderConfig) -> list[str]:
    return [key for key in SAPSF_REQUIRED if key not in provider.other_settings]


def details_from_odata(provider: ProviderConfig) -> bool:
    """A complete SAP SuccessFactors provider takes names and email from the OData API (only
    the username comes from the assertion)."""
    facts = provider.platform
    return bool(
        facts and facts.identity_provider_type == SAP_SUCCESSFACTORS and not sapsf_missing(provider)
    )
