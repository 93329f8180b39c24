"""Real logins through the Open edX way of doing SAML: the tpa-saml backend reads the
third_party_auth rows (SAMLProviderConfig, SAMLConfiguration, SAMLProviderData), the pysaml2
IdP of tests/saml/idp.py signs as Okta does, social-core and python3-saml process the
response at /auth/complete/tpa-saml/. For each set-up the validator, fed the same rows,
gives the verdict the login gave:

- an older SAMLProviderData row still valid while the newest expired: the login works;
- Okta sends no first/last/full name: the login works (the names stay empty);
- a SAMLConfiguration with its own slug takes its key pair from the *_DICT settings;
- a provider on another Site signs in on that site's host, with that site's SP entity id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from edx_django_utils.cache import RequestCache
from social_django.models import UserSocialAuth
from third_party_auth.models import SAMLConfiguration, SAMLProviderConfig, SAMLProviderData

from cors_gate.audit.findings import Report, Severity
from cors_gate.saml import SamlInputs, rules, sources, validate
from tests.saml.conftest import (
    LMS_HOST,
    LMS_URL,
    SLUG,
    LoginResult,
    SamlKeys,
    Scenario,
    apply_settings,
    login,
    needs_xmlsec1,
    working_okta_app,
    working_settings,
)
from tests.saml.idp import OktaIdP, okta_attribute_statements

pytestmark = [pytest.mark.saml_login, needs_xmlsec1, pytest.mark.django_db]

EMAIL = "jane.doe@example.org"
TPA_ACS = f"{LMS_URL}/auth/complete/tpa-saml/"
NOW = dt.datetime.now(dt.UTC)
SECURITY = {
    "wantMessagesSigned": True,
    "wantAssertionsSigned": True,
    "rejectDeprecatedAlgorithm": True,
}


@pytest.fixture(autouse=True)
def fresh_request_cache() -> Iterator[None]:
    """ConfigurationModel.current() caches per thread: each test starts with its own rows."""
    RequestCache.clear_all_namespaces()
    yield
    RequestCache.clear_all_namespaces()


@pytest.fixture
def lms(saml_keys: SamlKeys, settings: Any) -> Scenario:
    """The LMS as Open edX runs SAML: tpa-saml backend, /auth/ URLs, the rows of the forum
    answer; Okta's app points at /auth/complete/tpa-saml/ (IdP-initiated, from its tile)."""
    app = working_okta_app().with_(sso_acs_url=TPA_ACS, recipient=TPA_ACS, destination=TPA_ACS)
    idp = OktaIdP(keys=saml_keys.idp, app=app)
    values = working_settings(idp, saml_keys, list(settings.MIDDLEWARE))
    values.update(
        ROOT_URLCONF="third_party_auth.urls",
        AUTHENTICATION_BACKENDS=[
            "third_party_auth.saml.SAMLAuthBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        FEATURES={"ENABLE_THIRD_PARTY_AUTH": True},
        LMS_ROOT_URL=LMS_URL,
        SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED=True,
    )
    for name in [n for n in values if n.startswith("SOCIAL_AUTH_SAML_")]:
        del values[name]  # the rows configure the SP, not these settings
    values["SOCIAL_AUTH_LOGIN_ERROR_URL"] = "/login-error/"
    values["SOCIAL_AUTH_LOGIN_REDIRECT_URL"] = "/dashboard/"
    scenario = Scenario(settings=values, idp=idp, flow="idp")
    apply_settings(settings, values)
    sp_configuration(saml_keys)
    provider(idp)
    provider_data(idp, fetched_at=NOW)
    return scenario


def sp_configuration(keys: SamlKeys, **fields: Any) -> SAMLConfiguration:
    values = {
        "site": Site.objects.get(pk=1),
        "slug": "default",
        "enabled": True,
        "entity_id": LMS_URL,
        "public_key": keys.sp.cert_body,
        "private_key": keys.sp.key_pem,
        "org_info_str": json.dumps(
            {"en-US": {"name": "example", "displayname": "Example University", "url": LMS_URL}}
        ),
        "other_config_str": json.dumps({"SECURITY_CONFIG": SECURITY}),
        **fields,
    }
    row = SAMLConfiguration(**values)
    row.save()
    return row


def provider(idp: OktaIdP, **fields: Any) -> SAMLProviderConfig:
    values = {
        "site": Site.objects.get(pk=1),
        "enabled": True,
        "name": "Okta",
        "slug": SLUG,
        "entity_id": idp.entity_id,
        "metadata_source": idp.metadata_url,
        "attr_user_permanent_id": "username",
        "attr_full_name": "fullName",
        "attr_first_name": "firstName",
        "attr_last_name": "lastName",
        "attr_username": "username",
        "attr_email": "email",
        **fields,
    }
    row = SAMLProviderConfig(**values)
    row.save()
    return row


def provider_data(idp: OktaIdP, **fields: Any) -> SAMLProviderData:
    values = {
        "entity_id": idp.entity_id,
        "sso_url": idp.sso_url,
        "public_key": idp.keys.cert_body,
        "fetched_at": NOW,
        **fields,
    }
    return SAMLProviderData.objects.create(**values)


def run_validator(scenario: Scenario, result: LoginResult) -> Report:
    RequestCache.clear_all_namespaces()
    return validate(
        SamlInputs(
            providers=tuple(sources.from_openedx_models()),
            okta_app=scenario.idp.app_json(),
            idp_metadata=scenario.idp.metadata_xml(),
            saml_response=result.saml_response,
            relay_state=result.relay_state,
            lms_url=LMS_URL,
        )
    )


def errors(report: Report) -> dict[str, str]:
    return {f.id: f.detail for f in report if f.severity is Severity.ERROR}


def signed_in_user(result: LoginResult) -> Any:
    assert result.logged_in, result.explain()
    user = get_user_model().objects.get(email=EMAIL)
    social = UserSocialAuth.objects.get(user=user)
    assert (social.provider, social.uid) == ("tpa-saml", f"{SLUG}:janedoe")
    return user


def assert_login_failed(result: LoginResult) -> None:
    assert not result.logged_in, result.explain()
    assert not get_user_model().objects.filter(email=EMAIL).exists()


def test_rows_log_in_and_validate_clean(lms: Scenario, tmp_path: Path) -> None:
    result = login(lms, tmp_path)
    user = signed_in_user(result)
    assert (user.first_name, user.last_name) == ("Jane", "Doe")
    report = run_validator(lms, result)
    assert errors(report) == {}, report.to_text()


def test_older_valid_data_row_signs_in_when_the_newest_expired(
    lms: Scenario, saml_keys: SamlKeys, tmp_path: Path
) -> None:
    """The newest pull stored another app's certificate and has expired; the older row holds
    Okta's certificate and is valid: the platform verifies with it."""
    SAMLProviderData.objects.all().delete()
    provider_data(lms.idp, fetched_at=NOW - dt.timedelta(days=2))
    provider_data(
        lms.idp,
        public_key=saml_keys.other_idp.cert_body,
        expires_at=NOW - dt.timedelta(minutes=5),
    )
    result = login(lms, tmp_path)
    signed_in_user(result)
    report = run_validator(lms, result)
    assert errors(report) == {}, report.to_text()


def test_every_data_row_expired_refuses_the_login(lms: Scenario, tmp_path: Path) -> None:
    SAMLProviderData.objects.all().delete()
    provider_data(lms.idp, expires_at=NOW - dt.timedelta(minutes=5))
    result = login(lms, tmp_path)
    assert_login_failed(result)
    assert "AuthNotConfigured" in result.symptoms(), result.explain()
    assert rules.METADATA_EXPIRED in errors(run_validator(lms, result))


def test_okta_without_name_statements_still_signs_in(lms: Scenario, tmp_path: Path) -> None:
    statements = tuple(
        s
        for s in okta_attribute_statements()
        if s.name not in {"firstName", "lastName", "fullName"}
    )
    scenario = replace(
        lms, idp=replace(lms.idp, app=lms.idp.app.with_(attribute_statements=statements))
    )
    result = login(scenario, tmp_path)
    user = signed_in_user(result)
    assert (user.first_name, user.last_name) == ("", "")
    report = run_validator(scenario, result)
    assert errors(report) == {}, report.to_text()
    warned = {f.subject for f in report if f.id == rules.ATTRIBUTE_MISSING}
    assert warned == {"okta:attr_first_name", "okta:attr_last_name", "okta:attr_full_name"}


SIGNING_SP = json.dumps({"SECURITY_CONFIG": {**SECURITY, "authnRequestsSigned": True}})


def test_own_slug_configuration_signs_in_with_the_dict_key_pair(
    lms: Scenario, saml_keys: SamlKeys, settings: Any, tmp_path: Path
) -> None:
    own = sp_configuration(
        saml_keys, slug="okta-sp", public_key="", private_key="", other_config_str=SIGNING_SP
    )
    provider(lms.idp, saml_configuration=own)
    settings.SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT = {"okta-sp": saml_keys.sp.cert_body}
    settings.SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT = {"okta-sp": saml_keys.sp.key_pem}
    result = login(lms, tmp_path)
    signed_in_user(result)
    report = run_validator(lms, result)
    assert errors(report) == {}, report.to_text()


def test_own_slug_configuration_does_not_use_the_site_wide_key_pair(
    lms: Scenario, saml_keys: SamlKeys, settings: Any, tmp_path: Path
) -> None:
    own = sp_configuration(
        saml_keys, slug="okta-sp", public_key="", private_key="", other_config_str=SIGNING_SP
    )
    provider(lms.idp, saml_configuration=own)
    settings.SOCIAL_AUTH_SAML_SP_PUBLIC_CERT = saml_keys.sp.cert_body
    settings.SOCIAL_AUTH_SAML_SP_PRIVATE_KEY = saml_keys.sp.key_pem
    result = login(lms, tmp_path)
    assert_login_failed(result)
    # python3-saml refuses SP settings that sign requests without a key pair.
    assert "sp_cert_not_found_and_required" in result.symptoms(), result.explain()
    assert rules.SP_KEY_MISSING in errors(run_validator(lms, result))


COURSES = "https://courses.example.org"
COURSES_ACS = f"{COURSES}/auth/complete/tpa-saml/"


def test_provider_on_another_site_signs_in_on_that_sites_host(
    lms: Scenario, saml_keys: SamlKeys, settings: Any, tmp_path: Path
) -> None:
    """social-core builds the ACS from the request's host; the site's own default SAML
    Configuration gives the SP entity id (Okta's Audience). LMS_ROOT_URL plays no part."""
    site = Site.objects.create(domain="courses.example.org", name="Courses")
    sp_configuration(saml_keys, site=site, entity_id=COURSES)
    SAMLProviderConfig.objects.all().delete()
    provider(lms.idp, site=site)
    settings.ALLOWED_HOSTS = [LMS_HOST, "courses.example.org"]
    app = lms.idp.app.with_(
        sso_acs_url=COURSES_ACS, recipient=COURSES_ACS, destination=COURSES_ACS, audience=COURSES
    )
    scenario = replace(lms, idp=replace(lms.idp, app=app))
    result = login(scenario, tmp_path)
    signed_in_user(result)
    report = run_validator(scenario, result)
    assert errors(report) == {}, report.to_text()
