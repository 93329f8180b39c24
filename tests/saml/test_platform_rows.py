"""The SAML validator over real third_party_auth rows (the stand-in app in tests/platform, on
django-config-models' ConfigurationModel, in SQLite), giving openedx-platform's own verdict:

- the provider's Site has no enabled "default" SAMLConfiguration: the login answers 404;
- ENABLE_THIRD_PARTY_AUTH off, or the tpa-saml backend not installed: no SAML login at all;
- a SAMLConfiguration with another slug takes its keys from the *_DICT settings;
- a provider on another Site logs in on that site's host;
- several SAMLProviderData rows: any currently valid one is used;
- identity_provider_type decides which attributes matter; missing names only warn.

Each test states what the validator said before it read the rows as the platform does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sites.models import Site
from django.test import override_settings
from third_party_auth.models import SAMLConfiguration, SAMLProviderConfig, SAMLProviderData

from cors_gate.audit.findings import Report, Severity
from cors_gate.saml import SamlInputs, rules, sources, validate
from cors_gate.saml.checklist import build_checklist
from tests.saml import factory as F
from tests.saml.factory import HARDENED

pytestmark = pytest.mark.django_db

# The forum's site settings, with the platform's switches as an LMS with SAML has them.
LMS_SETTINGS: dict[str, Any] = {
    **F.SITE_SETTINGS,
    "SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED": True,
    "LMS_ROOT_URL": F.LMS,
    "FEATURES": {"ENABLE_THIRD_PARTY_AUTH": True},
    "AUTHENTICATION_BACKENDS": [
        "third_party_auth.saml.SAMLAuthBackend",
        "django.contrib.auth.backends.ModelBackend",
    ],
}
NOW = dt.datetime.now(dt.UTC)
E = Severity.ERROR


def sp_configuration(site: Site | None = None, **fields: Any) -> SAMLConfiguration:
    """The forum's SAML Configuration (hardened security settings), saved as a new version."""
    doc = F.forum_document()["saml_configuration"]
    values = {
        **doc,
        "other_config_str": json.dumps({"SECURITY_CONFIG": HARDENED}),
        "enabled": True,
        "site": site or Site.objects.get(pk=1),
        **fields,
    }
    row = SAMLConfiguration(**values)
    row.save()
    return row


def provider(**fields: Any) -> SAMLProviderConfig:
    """The forum's Okta provider as a SAMLProviderConfig row."""
    values = {**F.forum_document()["provider"], "site": Site.objects.get(pk=1), **fields}
    row = SAMLProviderConfig(**values)
    row.save()
    return row


def provider_data(**fields: Any) -> SAMLProviderData:
    values = {**F.forum_document()["provider_data"], "fetched_at": NOW, **fields}
    return SAMLProviderData.objects.create(**values)


@pytest.fixture
def working() -> Iterator[None]:
    """The working Okta set-up, as rows; the settings an LMS with SAML has."""
    sp_configuration()
    provider()
    provider_data()
    with override_settings(**LMS_SETTINGS):
        yield


def check(**inputs: Any) -> Report:
    values: dict[str, Any] = {"okta_app": F.okta_app(), "lms_url": F.LMS, **inputs}
    return validate(SamlInputs(providers=tuple(sources.from_openedx_models()), **values))


def ids(report: Report, severity: Severity = Severity.ERROR) -> set[str]:
    return {f.id for f in report if f.severity is severity}


def finding(report: Report, rule: str) -> Any:
    return next(f for f in report if f.id == rule)


def test_working_rows_have_no_error_and_read_like_the_json_dump(working: None) -> None:
    (from_db,) = sources.from_openedx_models()
    from_json = sources.from_json_document(F.forum_document(), "json:x")
    assert from_db.source == "openedx-db" and from_db.acs_path == "/auth/complete/tpa-saml/"
    assert from_db.attrs == from_json.attrs and from_db.sp.entity_id == from_json.sp.entity_id
    assert from_db.platform is not None and from_db.platform.site_saml_enabled is True
    report = check()
    assert ids(report) == set(), report.to_text()
    assert ids(report, Severity.WARNING) == set(), report.to_text()


# -- the provider's site has no enabled default SAMLConfiguration ----------------------------
# Before: 0 errors (the validator fell back to SOCIAL_AUTH_SAML_SP_* and never asked whether
# SAML is on for the site); the platform answers /auth/login/tpa-saml/?idp=okta with 404.


def test_no_saml_configuration_at_all_is_a_404(working: None) -> None:
    SAMLConfiguration.objects.all().delete()
    report = check()
    assert rules.SITE_SAML_OFF in ids(report), report.to_text()
    assert "404" in finding(report, rules.SITE_SAML_OFF).title


def test_default_configuration_disabled_in_its_newest_version_is_a_404(working: None) -> None:
    current = SAMLConfiguration.objects.get()
    current.enabled = False
    current.save()  # ConfigurationModel: a new, disabled version; the enabled one is history
    assert SAMLConfiguration.objects.count() == 2
    assert rules.SITE_SAML_OFF in ids(check())


def test_provider_pointing_at_its_own_configuration_still_needs_the_site_default(
    working: None,
) -> None:
    own = sp_configuration(slug="okta-sp")
    SAMLConfiguration.objects.filter(slug="default").delete()
    provider(saml_configuration=own)
    assert rules.SITE_SAML_OFF in ids(check())


# -- third-party auth off, or the tpa-saml backend not installed -----------------------------
# Before: 0 errors for both.


@pytest.mark.parametrize(
    "switch",
    [
        pytest.param({"FEATURES": {"ENABLE_THIRD_PARTY_AUTH": False}}, id="features-false"),
        pytest.param({"FEATURES": {}}, id="features-unset"),
        # Current releases read a top-level setting first.
        pytest.param({"ENABLE_THIRD_PARTY_AUTH": False}, id="top-level-false"),
    ],
)
def test_third_party_auth_off_means_no_saml_login(working: None, switch: dict[str, Any]) -> None:
    with override_settings(**switch):
        report = check()
    assert rules.THIRD_PARTY_AUTH_OFF in ids(report), report.to_text()
    assert finding(report, rules.THIRD_PARTY_AUTH_OFF).subject == "settings"


def test_third_party_auth_on_at_top_level_is_enough(working: None) -> None:
    with override_settings(ENABLE_THIRD_PARTY_AUTH=True, FEATURES={}):
        assert rules.THIRD_PARTY_AUTH_OFF not in ids(check())


def test_tpa_saml_backend_missing_means_no_saml_login(working: None) -> None:
    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        report = check()
    assert rules.TPA_BACKEND_MISSING in ids(report), report.to_text()
    assert "common.djangoapps.third_party_auth.saml.SAMLAuthBackend" in (
        finding(report, rules.TPA_BACKEND_MISSING).fix
    )


# -- a non-default SAMLConfiguration slug takes its keys from the *_DICT settings ------------
# Before: a false sp-key-missing error (the DICT settings were never read) -- and, the other
# way round, no error when only the site-wide SOCIAL_AUTH_SAML_SP_* pair was set, which the
# platform does not use for that slug.

SIGNED_REQUESTS = json.dumps({"SECURITY_CONFIG": {**HARDENED, "authnRequestsSigned": True}})


def _keyless_slug_configuration() -> SAMLConfiguration:
    return sp_configuration(
        slug="okta-sp", public_key="", private_key="", other_config_str=SIGNED_REQUESTS
    )


def test_non_default_slug_reads_its_keys_from_the_dict_settings(working: None) -> None:
    provider(saml_configuration=_keyless_slug_configuration())
    keys = {
        "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT": {"okta-sp": F.make_cert("sp", common_name="lms")},
        "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT": {"okta-sp": F.key_pem("sp")},
    }
    with override_settings(**keys):
        report = check()
    assert ids(report) == set(), report.to_text()


def test_non_default_slug_ignores_the_site_wide_key_pair(working: None) -> None:
    provider(saml_configuration=_keyless_slug_configuration())
    site_wide = {
        "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT": F.make_cert("sp", common_name="lms"),
        "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY": F.key_pem("sp"),
    }
    with override_settings(**site_wide):
        report = check()
    assert rules.SP_KEY_MISSING in ids(report), report.to_text()
    assert "_DICT['okta-sp']" in finding(report, rules.SP_KEY_MISSING).detail


# -- a provider on another Site ---------------------------------------------------------------
# Before: false acs-url-mismatch, recipient-mismatch and destination-mismatch errors (the ACS
# was always built on LMS_ROOT_URL): 5 errors where the platform logs in.

COURSES = "https://courses.example.org"
COURSES_ACS = f"{COURSES}/auth/complete/tpa-saml/"


@pytest.fixture
def other_site(working: None) -> Site:
    site = Site.objects.create(domain="courses.example.org", name="Courses")
    sp_configuration(site=site, entity_id=COURSES)
    SAMLProviderConfig.objects.all().delete()
    provider(site=site)
    return site


def test_provider_on_another_site_logs_in_on_that_sites_host(other_site: Site) -> None:
    app = F.okta_app(
        ssoAcsUrl=COURSES_ACS, recipient=COURSES_ACS, destination=COURSES_ACS, audience=COURSES
    )
    response = F.saml_response(destination=COURSES_ACS, recipient=COURSES_ACS, audience=COURSES)
    report = check(okta_app=app, saml_response=response, relay_state="okta")
    assert ids(report) == set(), report.to_text()


def test_provider_on_another_site_with_okta_pointing_at_the_lms_is_wrong(
    other_site: Site,
) -> None:
    report = check()  # the Okta app of the forum answer: ACS on LMS_ROOT_URL
    assert {rules.ACS_URL_MISMATCH, rules.AUDIENCE_MISMATCH} <= ids(report), report.to_text()
    assert COURSES_ACS in finding(report, rules.ACS_URL_MISMATCH).detail


@pytest.mark.parametrize("domain", ["[::1", "courses.example.org/x", "bad host", "Example.com "])
def test_a_site_domain_no_request_can_carry_falls_back_to_the_lms_url(
    other_site: Site, domain: str
) -> None:
    Site.objects.filter(pk=other_site.pk).update(domain=domain)
    (found,) = sources.from_openedx_models()
    assert found.login_root(F.LMS) == F.LMS
    assert rules.ACS_URL_MISMATCH not in ids(check())


def test_checklist_for_another_sites_provider_names_that_sites_urls(other_site: Site) -> None:
    (found,) = sources.from_openedx_models()
    items = {item.field: item.value for item in build_checklist(found, F.LMS).settings}
    assert items["Single sign on URL"] == items["Destination URL"] == COURSES_ACS
    assert items["Audience URI (SP Entity ID)"] == COURSES


def test_provider_on_another_site_without_its_own_default_configuration(other_site: Site) -> None:
    SAMLConfiguration.objects.filter(site=other_site).delete()  # the LMS site's one remains
    assert rules.SITE_SAML_OFF in ids(check())


# -- several SAMLProviderData rows ------------------------------------------------------------
# Before: a false metadata-expired error when the newest row had expired while an older one
# was still valid (only the newest row was read).


def test_an_older_valid_row_is_used_when_the_newest_expired(working: None) -> None:
    SAMLProviderData.objects.all().delete()
    provider_data(fetched_at=NOW - dt.timedelta(days=3), expires_at=NOW + dt.timedelta(days=4))
    provider_data(fetched_at=NOW, expires_at=NOW - dt.timedelta(hours=1))
    report = check(saml_response=F.saml_response(), relay_state="okta")
    assert ids(report) == set(), report.to_text()


def test_every_row_expired_refuses_the_login(working: None) -> None:
    SAMLProviderData.objects.all().delete()
    provider_data(fetched_at=NOW - dt.timedelta(days=3), expires_at=NOW - dt.timedelta(days=1))
    provider_data(fetched_at=NOW, expires_at=NOW - dt.timedelta(hours=1))
    report = check()
    assert rules.METADATA_EXPIRED in ids(report), report.to_text()
    assert "none valid" in finding(report, rules.METADATA_EXPIRED).detail


def test_the_older_valid_rows_key_verifies_the_response(working: None) -> None:
    """Okta signs with the key of the older, still valid row: the platform verifies with
    every valid row's key, so the signature is good."""
    SAMLProviderData.objects.all().delete()
    old_cert = F.make_cert("idp")
    provider_data(
        fetched_at=NOW - dt.timedelta(days=3),
        expires_at=NOW + dt.timedelta(days=4),
        public_key=F.cert_body(old_cert),
    )
    provider_data(public_key=F.cert_body(F.make_cert("other-idp")))
    report = check(saml_response=F.saml_response(signing_cert=old_cert), relay_state="okta")
    assert ids(report) == set(), report.to_text()  # no idp-cert-mismatch either


# -- identity_provider_type, and attributes the login can do without -------------------------
# Before: a missing first or last name was an error; SAP SuccessFactors was treated as
# standard (its missing names and email were errors, its missing OData keys unreported).

OKTA_WITHOUT_NAMES = [
    {"type": "EXPRESSION", "name": "username", "namespace": "", "values": ["user.login"]},
]


def test_missing_names_only_warn_on_open_edx(working: None) -> None:
    app = F.okta_app(
        attributeStatements=[
            *OKTA_WITHOUT_NAMES,
            {"type": "EXPRESSION", "name": "email", "namespace": "", "values": ["user.email"]},
        ]
    )
    report = check(okta_app=app)
    assert ids(report) == set(), report.to_text()
    missing = {f.subject for f in report if f.id == rules.ATTRIBUTE_MISSING}
    assert missing == {"okta:attr_full_name", "okta:attr_first_name", "okta:attr_last_name"}


def test_missing_email_is_still_an_error(working: None) -> None:
    report = check(okta_app=F.okta_app(attributeStatements=OKTA_WITHOUT_NAMES))
    errors = {f.subject for f in report if f.id == rules.ATTRIBUTE_MISSING and f.severity is E}
    assert errors == {"okta:attr_email"}, report.to_text()


SAPSF_ODATA = {
    "sapsf_oauth_root_url": "https://apisalesdemo8.successfactors.com/oauth/",
    "sapsf_private_key": "not-a-real-key",
    "odata_api_root_url": "https://apisalesdemo8.successfactors.com/odata/v2/",
    "odata_company_id": "SFPART000000",
    "odata_client_id": "client-id",
}


def test_sap_successfactors_takes_names_and_email_from_odata(working: None) -> None:
    SAMLProviderConfig.objects.all().delete()
    provider(identity_provider_type="sap_success_factors", other_settings=json.dumps(SAPSF_ODATA))
    report = check(okta_app=F.okta_app(attributeStatements=OKTA_WITHOUT_NAMES))
    assert ids(report) == set(), report.to_text()
    assert rules.ATTRIBUTE_MISSING not in {f.id for f in report}


def test_sap_successfactors_without_odata_keys_warns_and_checks_the_assertion(
    working: None,
) -> None:
    SAMLProviderConfig.objects.all().delete()
    provider(identity_provider_type="sap_success_factors", other_settings="{}")
    report = check(okta_app=F.okta_app(attributeStatements=OKTA_WITHOUT_NAMES))
    assert rules.SAPSF_ODATA_INCOMPLETE in ids(report, Severity.WARNING)
    assert "odata_company_id" in finding(report, rules.SAPSF_ODATA_INCOMPLETE).detail
    assert rules.ATTRIBUTE_MISSING in ids(report)  # email: from the assertion, not sent


def test_unknown_identity_provider_type_warns(working: None) -> None:
    SAMLProviderConfig.objects.all().delete()
    provider(identity_provider_type="")
    assert rules.IDP_TYPE_UNKNOWN in ids(check(), Severity.WARNING)


# -- the provider points at an old version of its SAMLConfiguration --------------------------
# Before: nothing said; the validator read the old row, as the platform does, without saying
# that later edits do not apply.


def test_provider_on_an_old_configuration_version_warns_and_uses_its_values(
    working: None,
) -> None:
    old = sp_configuration(slug="okta-sp")
    provider(saml_configuration=old)
    old.entity_id = "https://lms.example.com/saml"
    old.save()  # the admin's edit: a new row; the provider still points at the old one
    report = check()
    assert rules.SP_CONFIGURATION_NOT_CURRENT in ids(report, Severity.WARNING), report.to_text()
    # The audience the platform sends is the old row's entity id: Okta's matches it.
    assert rules.AUDIENCE_MISMATCH not in ids(report)
