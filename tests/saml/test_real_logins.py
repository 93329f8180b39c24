"""Proof that cors_gate's SAML validator agrees with real logins.

Every case runs a real login through social-core's SAML backend against the pysaml2 IdP
(SP-initiated or Okta's IdP-initiated tile), then asks the validator about the very same
configuration: the social-core settings, Okta's app JSON, Okta's IdP metadata and the
response the IdP posted with its RelayState. The login and the validator must agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from saml2 import BINDING_HTTP_REDIRECT
from social_django.models import UserSocialAuth

from cors_gate.audit.findings import Report, Severity
from cors_gate.saml import SamlInputs, rules, sources, validate
from tests.saml.conftest import (
    ACS_URL,
    LMS_URL,
    LOGIN_ERROR_PATH,
    LOGIN_REDIRECT_PATH,
    SLUG,
    SOCIAL_CORE_7,
    LoginResult,
    SamlKeys,
    Scenario,
    apply_settings,
    login,
    needs_xmlsec1,
)
from tests.saml.idp import NAMEID_EMAIL, AttributeStatement, okta_attribute_statements

pytestmark = [pytest.mark.saml_login, needs_xmlsec1, pytest.mark.django_db]

EMAIL = "jane.doe@example.org"


def run_validator(scenario: Scenario, result: LoginResult) -> Report:
    """The validator, fed what an operator would give it about this same set-up."""
    inputs = SamlInputs(
        providers=tuple(sources.from_social_settings()),
        okta_app=scenario.idp.app_json(),
        idp_metadata=scenario.idp.metadata_xml(),
        saml_response=result.saml_response,
        relay_state=result.relay_state,
        lms_url=LMS_URL,
    )
    return validate(inputs)


def errors(report: Report) -> dict[str, str]:
    return {f.id: f.detail for f in report if f.severity is Severity.ERROR}


def assert_logged_in(result: LoginResult) -> None:
    """The person lands on the dashboard as the Okta user, with a linked account."""
    assert result.logged_in, result.explain()
    assert result.final_url == LMS_URL + LOGIN_REDIRECT_PATH, result.explain()
    user = get_user_model().objects.get(email=EMAIL)
    assert user.username == "janedoe"
    assert (user.first_name, user.last_name) == ("Jane", "Doe")
    social = UserSocialAuth.objects.get(user=user)
    assert (social.provider, social.uid) == ("saml", f"{SLUG}:janedoe")


def assert_login_failed(result: LoginResult) -> None:
    """Nobody is logged in and no account was made; any crash came from a library."""
    assert not result.logged_in, result.explain()
    assert not get_user_model().objects.filter(email=EMAIL).exists()
    if result.error:
        # social-core 4.8.3 lets some toolkit errors through as a 500; never cors_gate's.
        assert not result.error_origin.startswith("cors_gate"), result.explain()
    assert 500 not in result.statuses or result.error, result.explain()
    # The person sees the site's login-error page, or the ACS URL Okta used answers 4xx.
    on_error_page = result.final_url == LMS_URL + LOGIN_ERROR_PATH
    client_error = bool(result.statuses) and result.statuses[-1] >= 400
    assert result.error or on_error_page or client_error, result.explain()


# --- the working set-up ------------------------------------------------------------------


@pytest.mark.parametrize("flow", ["sp", "idp"], ids=["sp-initiated", "idp-initiated"])
def test_working_setup_logs_in_and_validates_clean(
    okta_scenario: Scenario, settings: Any, tmp_path: Path, flow: str
) -> None:
    scenario = replace(okta_scenario, flow=flow)
    apply_settings(settings, scenario.settings)

    result = login(scenario, tmp_path)

    assert_logged_in(result)
    report = run_validator(scenario, result)
    assert errors(report) == {}, report.to_text()


def test_idp_initiated_login_carries_the_default_relay_state(
    okta_scenario: Scenario, settings: Any, tmp_path: Path
) -> None:
    """Okta posts its Default RelayState (the slug), not social-core's JSON."""
    scenario = replace(okta_scenario, flow="idp")
    apply_settings(settings, scenario.settings)

    result = login(scenario, tmp_path)

    assert result.relay_state == SLUG
    assert_logged_in(result)


def test_okta_metadata_reads_like_okta_s(okta_scenario: Scenario) -> None:
    """python3-saml's metadata parser (what Open edX's pull uses) finds what Okta serves."""
    idp = okta_scenario.idp
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(idp.metadata_xml())["idp"]
    assert parsed["entityId"] == idp.entity_id
    assert idp.entity_id.startswith("http://www.okta.com/exk")
    assert parsed["singleSignOnService"] == {"url": idp.sso_url, "binding": BINDING_HTTP_REDIRECT}
    assert parsed["x509cert"] == idp.keys.cert_body
    sign_on = idp.app_json()["settings"]["signOn"]
    assert sign_on["defaultRelayState"] == SLUG
    assert [s["name"] for s in sign_on["attributeStatements"]] == [
        "firstName",
        "lastName",
        "email",
        "username",
        "fullName",
    ]


def test_sp_initiated_request_reaches_okta_with_the_acs(
    okta_scenario: Scenario, settings: Any, tmp_path: Path
) -> None:
    """pysaml2 reads social-core's AuthnRequest: issuer and ACS are the LMS's."""
    apply_settings(settings, okta_scenario.settings)
    seen: list[Any] = []
    idp = okta_scenario.idp
    original = idp.parse_authn_request

    def spy(url: str, workdir: Path) -> Any:
        parsed = original(url, workdir)
        seen.append(parsed)
        return parsed

    idp.parse_authn_request = spy  # type: ignore[method-assign]
    assert_logged_in(login(okta_scenario, tmp_path))
    (request,) = seen
    assert request.issuer == LMS_URL
    assert request.acs_url == ACS_URL
    assert request.destination == idp.sso_url


# --- the misconfiguration matrix ---------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One misconfiguration applied to the working set-up."""

    id: str
    change: Callable[[Scenario, SamlKeys], Scenario]
    rule: str  # the rule id the validator must report as an error
    symptom: str  # regex on LoginResult.symptoms(): the login failed for this reason
    shows: str = ""  # the finding's detail names the wrong value
    flow: str = "sp"
    # social-auth-core 4.8.3 accepts what 7.x refuses for a few cases.
    fails_on_4x: bool = True


def _app(**changes: Any) -> Callable[[Scenario, SamlKeys], Scenario]:
    return lambda scenario, keys: scenario.with_app(**changes)


def _idp_conf(**changes: Any) -> Callable[[Scenario, SamlKeys], Scenario]:
    return lambda scenario, keys: scenario.with_idp_conf(**changes)


def _statements_without(name: str) -> tuple[AttributeStatement, ...]:
    return tuple(s for s in okta_attribute_statements() if s.name != name)


OPENEDX_ACS = f"{LMS_URL}/auth/complete/tpa-saml/"

CASES = [
    Case(
        "relay-state-not-slug",
        # Okta's Default RelayState set to the provider id Open edX shows, not the slug.
        _app(default_relay_state=f"saml-{SLUG}"),
        rules.RELAY_STATE_MISMATCH,
        r"parameter=idp\b|KeyError: 'saml-okta'",
        flow="idp",
        shows="saml-okta",
    ),
    Case(
        "acs-url-wrong-path",
        # The forum's Open edX ACS copied onto a site where social-core serves /complete/saml/.
        _app(sso_acs_url=OPENEDX_ACS, recipient=OPENEDX_ACS, destination=OPENEDX_ACS),
        rules.ACS_URL_MISMATCH,
        r"HTTP 404 at https://lms\.example\.org/auth/complete/tpa-saml/$",
        shows=OPENEDX_ACS,
    ),
    Case(
        "destination-without-trailing-slash",
        _app(destination=ACS_URL.rstrip("/")),
        rules.DESTINATION_MISMATCH,
        r"received at https://lms\.example\.org/complete/saml/ instead of "
        r"https://lms\.example\.org/complete/saml\)",
        shows=f"= {ACS_URL.rstrip('/')};",
    ),
    Case(
        "recipient-wrong",
        _app(recipient=OPENEDX_ACS),
        rules.RECIPIENT_MISMATCH,
        "A valid SubjectConfirmation was not found",
        shows=OPENEDX_ACS,
    ),
    Case(
        "acs-http-not-https",
        _app(
            sso_acs_url=ACS_URL.replace("https:", "http:"),
            recipient=ACS_URL.replace("https:", "http:"),
            destination=ACS_URL.replace("https:", "http:"),
        ),
        rules.ACS_NOT_HTTPS,
        "SAML Response not found",
        shows="http://lms.example.org/complete/saml/",
    ),
    Case(
        "proxy-ssl-header-missing",
        # Django then builds http://.../complete/saml/ and the Destination check fails.
        lambda scenario, keys: scenario.with_settings(
            SECURE_PROXY_SSL_HEADER=None, SECURE_SSL_REDIRECT=False
        ),
        rules.PROXY_SSL_HEADER_MISSING,
        r"received at http://lms\.example\.org/complete/saml/ instead of https://",
        shows="http://",
    ),
    Case(
        "audience-trailing-slash",
        _app(audience=LMS_URL + "/"),
        rules.AUDIENCE_MISMATCH,
        "is not a valid audience",
        shows=f"'{LMS_URL}/'",
    ),
    Case(
        "idp-entity-id-from-another-app",
        _idp_conf(entity_id="http://www.okta.com/exk1q2w3e4r5t6y7u8i9"),
        rules.IDP_ENTITY_ID_MISMATCH,
        "Invalid issuer",
        shows="http://www.okta.com/exk1q2w3e4r5t6y7u8i9",
    ),
    Case(
        "okta-issuer-changed",
        # Okta's "SAML Issuer ID" switched to a custom value the LMS does not know.
        _app(idp_issuer="https://sso.example.org/exk1q2w3e4r5t6y7u8i9"),
        rules.ISSUER_MISMATCH,
        "Invalid issuer",
        shows="https://sso.example.org/exk1q2w3e4r5t6y7u8i9",
    ),
    Case(
        "response-unsigned-while-want-messages-signed",
        _app(response_signed=False),
        rules.RESPONSE_NOT_SIGNED,
        "The Message of the Response is not signed",
        shows="wantMessagesSigned",
    ),
    Case(
        "assertion-unsigned-while-want-assertions-signed",
        _app(assertion_signed=False),
        rules.ASSERTION_NOT_SIGNED,
        "The Assertion of the Response is not signed",
        shows="wantAssertionsSigned",
    ),
    Case(
        "nothing-signed",
        _app(response_signed=False, assertion_signed=False),
        rules.NO_SIGNATURE,
        "is not signed and the SP require it|No Signature found",
        shows="unsigned",
    ),
    Case(
        "sha1-signature-rejected",
        _app(signature_algorithm="RSA_SHA1"),
        rules.SHA1_SIGNATURE,
        "Deprecated signature algorithm",
        shows="rsa-sha1",
    ),
    Case(
        "sha1-digest-rejected",
        _app(digest_algorithm="SHA1"),
        rules.SHA1_DIGEST,
        "Deprecated digest algorithm",
        shows="xmldsig#sha1",
    ),
    Case(
        "idp-certificate-of-another-app",
        lambda scenario, keys: scenario.with_idp_conf(x509cert=keys.other_idp.cert_body),
        rules.IDP_CERT_MISMATCH,
        "Signature validation failed",
        shows="certificate",
    ),
    Case(
        "attr-email-named-mail",
        # The SP expects "mail" (an LDAP habit); Okta's statement is called "email".
        _idp_conf(attr_email="mail"),
        rules.ATTRIBUTE_MISSING,
        r"claim=mail\b|parameter mail \(configured by attr_email\)",
        shows="'mail'",
    ),
    Case(
        "attr-first-name-wrong-case",
        _idp_conf(attr_first_name="firstname"),
        rules.ATTRIBUTE_MISSING,
        r"claim=firstname\b|parameter firstname \(configured by attr_first_name\)",
        shows="'firstname'",
    ),
    Case(
        "no-permanent-id-statement",
        # Okta does not send "username", which attr_user_permanent_id names.
        _app(attribute_statements=_statements_without("username")),
        rules.NO_PERMANENT_ID,
        r"claim=username\b|parameter username \(configured by attr_",
        shows="'username'",
    ),
    Case(
        "duplicate-attribute-statement",
        _app(
            attribute_statements=(
                *okta_attribute_statements(),
                AttributeStatement("email", "user.login"),
            )
        ),
        rules.DUPLICATE_ATTRIBUTE,
        "Found an Attribute element with duplicated Name",
        shows="email",
    ),
    Case(
        "no-attribute-statements",
        _app(attribute_statements=()),
        rules.NO_ATTRIBUTE_STATEMENT,
        "There is no AttributeStatement",
        shows="AttributeStatement",
    ),
    Case(
        "idp-clock-ten-minutes-fast",
        _app(clock_offset=600),
        rules.CLOCK_SKEW,
        "not yet valid",
        shows="before NotBefore",
    ),
    Case(
        "idp-initiated-without-allow-flag",
        lambda scenario, keys: scenario.with_settings(SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED=False),
        rules.IDP_INITIATED_NOT_ALLOWED,
        "missing AuthnRequest ID",
        flow="idp",
        fails_on_4x=False,  # 4.8.3 has no such flag and accepts unsolicited responses
        shows="SOCIAL_AUTH_SAML_ALLOW_IDP_INITIATED",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_misconfiguration_fails_login_and_is_reported(
    case: Case,
    okta_scenario: Scenario,
    saml_keys: SamlKeys,
    settings: Any,
    tmp_path: Path,
) -> None:
    scenario = replace(case.change(okta_scenario, saml_keys), flow=case.flow)
    apply_settings(settings, scenario.settings)

    result = login(scenario, tmp_path)
    report = run_validator(scenario, result)

    if SOCIAL_CORE_7 or case.fails_on_4x:
        assert_login_failed(result)
        assert re.search(case.symptom, result.symptoms()), result.explain()
        assert case.rule in errors(report), report.to_text()
        assert case.shows in errors(report)[case.rule], report.to_text()
    else:
        # The validator knows the installed social-core: no error where the login works.
        assert_logged_in(result)
        assert case.rule not in errors(report), report.to_text()
        assert errors(report) == {}, report.to_text()


@dataclass(frozen=True)
class Variant:
    """A change the login survives: the validator may warn, but must not call it an error."""

    id: str
    change: Callable[[Scenario, SamlKeys], Scenario]
    warning: str | None  # the rule id it should warn with, if any


def _expired_idp_certificate(scenario: Scenario, keys: SamlKeys) -> Scenario:
    # Okta still signs with a certificate that expired; the LMS has the same one.
    scenario = replace(scenario, idp=replace(scenario.idp, keys=keys.expired_idp))
    return scenario.with_idp_conf(x509cert=keys.expired_idp.cert_body)


VARIANTS = [
    Variant("idp-certificate-expired", _expired_idp_certificate, rules.IDP_CERT_EXPIRED),
    Variant(
        "nameid-email-format",
        _app(subject_name_id_format=NAMEID_EMAIL, subject_name_id_template="${user.email}"),
        None,
    ),
    Variant(
        "want-messages-signed-off-and-response-unsigned",
        lambda scenario, keys: scenario.with_app(response_signed=False).with_security(
            wantMessagesSigned=False
        ),
        rules.WANT_MESSAGES_SIGNED_OFF,
    ),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_weaker_setup_still_logs_in_and_is_not_an_error(
    variant: Variant,
    okta_scenario: Scenario,
    saml_keys: SamlKeys,
    settings: Any,
    tmp_path: Path,
) -> None:
    scenario = variant.change(okta_scenario, saml_keys)
    apply_settings(settings, scenario.settings)

    result = login(scenario, tmp_path)
    report = run_validator(scenario, result)

    assert_logged_in(result)
    assert errors(report) == {}, report.to_text()
    if variant.warning:
        warnings = {f.id for f in report if f.severity is Severity.WARNING}
        assert variant.warning in warnings, report.to_text()


def test_matrix_covers_fifteen_distinct_rules() -> None:
    assert len({c.rule for c in CASES}) >= 15
    assert all(rules.SEVERITY[c.rule] is Severity.ERROR for c in CASES)
