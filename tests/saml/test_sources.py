"""Provider sources (social-core settings, --provider-json, Open edX models) and the inputs
builder, with their one-line errors."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from django.test import modify_settings, override_settings

from cors_gate.audit.findings import Severity
from cors_gate.saml import SamlInputError, SamlInputs, build_inputs, rules, sources, validate
from cors_gate.saml.response import read_facts
from tests.saml import factory as F

SOCIAL_ACS = f"{F.LMS}/complete/saml/"


def social_settings(**idp: Any) -> dict[str, Any]:
    """social-core's SAMLAuth configured as its docs say, with the forum's attribute names."""
    conf = {
        "entity_id": F.IDP_ENTITY_ID,
        "url": "https://example-org.okta.com/app/example-org_openedxlms_1/exk9x8w7v6U5t4S3r2q1/sso/saml",
        "x509cert": F.cert_body(F.make_cert("idp")),
        "attr_user_permanent_id": "username",
        "attr_first_name": "firstName",
        "attr_last_name": "lastName",
        "attr_username": "username",
        "attr_email": "email",
    }
    conf.update(idp)
    return {
        **F.SITE_SETTINGS,
        "SOCIAL_AUTH_SAML_SP_ENTITY_ID": F.LMS,
        "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT": F.make_cert("sp"),
        "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY": F.key_pem("sp"),
        "SOCIAL_AUTH_SAML_ORG_INFO": {
            "en-US": {"name": "example", "displayname": "Example", "url": F.LMS}
        },
        "SOCIAL_AUTH_SAML_TECHNICAL_CONTACT": {
            "givenName": "Tech",
            "emailAddress": "t@example.com",
        },
        "SOCIAL_AUTH_SAML_SUPPORT_CONTACT": {"givenName": "Help", "emailAddress": "h@example.com"},
        "SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED": True,
        "SOCIAL_AUTH_SAML_ENABLED_IDPS": {"okta": conf},
    }


def errors(inputs: SamlInputs) -> set[str]:
    return {f.id for f in validate(inputs) if f.severity is Severity.ERROR}


def test_openedx_models_absent_means_no_providers_and_no_crash() -> None:
    """A plain Django site (no third_party_auth app): no Open edX source, no crash."""
    with modify_settings(INSTALLED_APPS={"remove": ["third_party_auth"]}):
        assert sources.from_openedx_models() == []


def test_social_settings_source_reads_enabled_idps() -> None:
    with override_settings(**social_settings()):
        (provider,) = sources.from_social_settings()
    assert provider.slug == "okta" and provider.source == "settings"
    assert provider.backend_name == "saml"
    assert provider.acs_path == "/complete/saml/"  # social_django's URL for this backend
    assert provider.sp.entity_id == F.LMS and provider.sp.allow_idp_initiated
    assert provider.attr("attr_email") == "email"
    assert len(provider.idp_certs) == 1


def test_social_settings_expected_acs_is_the_complete_url() -> None:
    with override_settings(**social_settings()):
        providers = sources.from_social_settings()
        social_app = F.okta_app(ssoAcsUrl=SOCIAL_ACS, recipient=SOCIAL_ACS, destination=SOCIAL_ACS)
        assert errors(SamlInputs(providers=providers, okta_app=social_app, lms_url=F.LMS)) == set()
        # The Open edX URL of the forum answer is wrong for a plain social-core site.
        assert rules.ACS_URL_MISMATCH in errors(
            SamlInputs(providers=providers, okta_app=F.okta_app(), lms_url=F.LMS)
        )


def test_social_settings_without_contacts_is_refused_like_python3_saml_does() -> None:
    with override_settings(**{**social_settings(), "SOCIAL_AUTH_SAML_TECHNICAL_CONTACT": None}):
        providers = sources.from_social_settings()
        assert rules.ORG_CONTACT_INCOMPLETE in errors(
            SamlInputs(providers=providers, lms_url=F.LMS)
        )


def test_social_settings_without_certificate() -> None:
    with override_settings(**social_settings(x509cert="")):
        providers = sources.from_social_settings()
        assert rules.IDP_CERT_MISSING in errors(SamlInputs(providers=providers, lms_url=F.LMS))


def test_social_settings_bad_shape() -> None:
    with (
        override_settings(SOCIAL_AUTH_SAML_ENABLED_IDPS=["okta"]),
        pytest.raises(SamlInputError, match="ENABLED_IDPS must be a dict"),
    ):
        sources.from_social_settings()


@pytest.mark.django_db  # the (empty) third_party_auth tables are read too
def test_build_inputs_uses_settings_when_no_json_and_picks_provider() -> None:
    with override_settings(**social_settings(), LMS_ROOT_URL=F.LMS):
        inputs = build_inputs(provider="okta")
    assert [p.slug for p in inputs.providers] == ["okta"]
    assert inputs.lms_url == F.LMS  # Open edX's LMS_ROOT_URL when --lms-url is absent


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("provider"), "'provider' is required"),
        (lambda d: d["provider"].update(slug=""), "provider.slug: required"),
        (lambda d: d["provider"].update(debug_mode="no"), "provider.debug_mode: must be true or"),
        (lambda d: d["provider"].update(entity_id=7), "provider.entity_id: must be a string"),
        (
            lambda d: d["saml_configuration"].update(org_info_str="[1]"),
            "saml_configuration.org_info_str: must be a JSON object",
        ),
        (
            lambda d: d["provider_data"].update(expires_at="tomorrow"),
            "provider_data.expires_at: not an ISO 8601 date-time",
        ),
        (lambda d: d.update(providers=[]), "unknown top-level key(s): providers"),
        (lambda d: d.update(site="lms"), "site: must be a JSON object"),
        (lambda d: d.update(site={"domain": "a b"}), "site.domain: not a host name"),
        (lambda d: d.update(site={"host": "a"}), "site: unknown key(s): host"),
        (
            lambda d: d.update(site={"saml_enabled": "yes"}),
            "site.saml_enabled: must be true or false",
        ),
        (
            lambda d: d.update(provider_data=[d["provider_data"], 7]),
            "'provider_data' must be a JSON object or a list of JSON objects",
        ),
        (
            lambda d: d.update(provider_data=[d["provider_data"], {"expires_at": "soon"}]),
            "provider_data[1].expires_at: not an ISO 8601 date-time",
        ),
    ],
)
def test_provider_json_errors_say_what_and_where(tmp_path: Path, change: Any, message: str) -> None:
    doc = F.forum_document()
    change(doc)
    path = F.write_json(tmp_path, "p.json", doc)
    with pytest.raises(SamlInputError) as raised:
        build_inputs(provider_json=[path])
    assert str(raised.value).startswith(f"json:{path}: ")
    assert message in str(raised.value)


def test_provider_json_only_provider_is_required(tmp_path: Path) -> None:
    doc = {"provider": F.forum_document()["provider"]}
    with override_settings(SOCIAL_AUTH_SAML_SP_ENTITY_ID=F.LMS):
        (provider,) = build_inputs(provider_json=[F.write_json(tmp_path, "p.json", doc)]).providers
    assert provider.sp.entity_id == F.LMS  # Open edX's fallback to the Django settings
    assert provider.provider_data is None


def test_provider_json_repeatable(tmp_path: Path) -> None:
    a = F.write_json(tmp_path, "a.json", F.forum_document())
    b = F.write_json(tmp_path, "b.json", F.forum_document(slug="azure"))
    assert [p.slug for p in build_inputs(provider_json=[a, b]).providers] == ["okta", "azure"]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda b64: b64, id="base64"),
        pytest.param(lambda b64: base64.b64decode(b64).decode(), id="xml"),
        pytest.param(
            lambda b64: "SAMLResponse=" + urllib.parse.quote(b64) + "&RelayState=okta",
            id="form-body",
        ),
        pytest.param(
            lambda b64: "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76)), id="wrapped"
        ),
    ],
)
def test_captured_response_in_any_usual_shape(encode: Any) -> None:
    facts = read_facts(encode(F.saml_response()))
    assert facts.issuers[0] == F.IDP_ENTITY_ID
    assert facts.response_signed and facts.assertion_signed
    assert list(facts.attribute_names) == list(F.FORUM_ATTRIBUTES)


def test_relay_state_from_sp_initiated_login_is_json() -> None:
    """social-core's own RelayState is JSON {"idp": slug, "next": …}: that matches too."""
    with override_settings(**social_settings()):
        providers = sources.from_social_settings()
        relay = json.dumps({"idp": "okta", "next": "/dashboard"})
        response = F.saml_response(destination=SOCIAL_ACS, recipient=SOCIAL_ACS)
        inputs = SamlInputs(
            providers=providers, saml_response=response, relay_state=relay, lms_url=F.LMS
        )
        assert errors(inputs) == set()


@pytest.mark.parametrize("signing", [5, None, {"a": 1}])
def test_social_settings_certificate_list_of_no_usable_shape_is_a_missing_certificate(
    signing: Any,
) -> None:
    with override_settings(**social_settings(x509cert="", x509certMulti={"signing": signing})):
        providers = sources.from_social_settings()
        assert rules.IDP_CERT_MISSING in errors(SamlInputs(providers=providers, lms_url=F.LMS))


def test_provider_json_site_domain_is_where_the_login_runs() -> None:
    """A dump of a provider on another Site: its ACS is on that site's host."""
    doc = F.forum_document()
    doc["site"] = {"domain": "courses.example.org", "saml_enabled": True}
    acs = "https://courses.example.org/auth/complete/tpa-saml/"
    app = F.okta_app(ssoAcsUrl=acs, recipient=acs, destination=acs)
    with override_settings(**F.SITE_SETTINGS, SOCIAL_AUTH_TPA_SAML_ALLOW_IDP_INITIATED=True):
        provider = sources.from_json_document(doc, "json:x")
        assert errors(SamlInputs(providers=[provider], okta_app=app, lms_url=F.LMS)) == set()
        wrong = errors(SamlInputs(providers=[provider], okta_app=F.okta_app(), lms_url=F.LMS))
    assert rules.ACS_URL_MISMATCH in wrong


def test_provider_json_checked_outside_the_lms_skips_the_platform_switches() -> None:
    """Off the LMS (no third_party_auth app) this site's settings say nothing about the
    LMS's switches; inside it they decide."""
    doc = F.forum_document()
    off = {"FEATURES": {}, "AUTHENTICATION_BACKENDS": []}
    with override_settings(**F.SITE_SETTINGS, **off):
        provider = sources.from_json_document(doc, "json:x")
        inside = errors(SamlInputs(providers=[provider], lms_url=F.LMS))
        with modify_settings(INSTALLED_APPS={"remove": ["third_party_auth"]}):
            outside = errors(SamlInputs(providers=[provider], lms_url=F.LMS))
    assert {rules.THIRD_PARTY_AUTH_OFF, rules.TPA_BACKEND_MISSING} <= inside
    assert not outside & {rules.THIRD_PARTY_AUTH_OFF, rules.TPA_BACKEND_MISSING}
