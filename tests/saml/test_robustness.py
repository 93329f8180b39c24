"""Whatever the Okta side holds, the validator answers with findings, never a traceback."""

from __future__ import annotations

import base64
from typing import Any

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cors_gate.saml import SamlInputs, rules, sources, validate
from tests.saml import factory as F

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
SIGN_ON_KEYS = st.sampled_from(
    ["ssoAcsUrl", "recipient", "destination", "audience", "defaultRelayState",
     "subjectNameIdFormat", "responseSigned", "assertionSigned", "signatureAlgorithm",
     "digestAlgorithm", "attributeStatements", "assertionEncrypted", "destinationOverride"]
)  # fmt: skip

PROVIDER = sources.from_json_document(F.forum_document(), "json:test")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(SIGN_ON_KEYS, JSON, max_size=5))
def test_any_okta_sign_on_values(changes: dict[str, Any]) -> None:
    report = validate(
        SamlInputs(providers=[PROVIDER], okta_app=F.okta_app(**changes), lms_url=F.LMS)
    )
    assert report.summary()["passed"] > 0


@settings(max_examples=40, deadline=None)
@given(app=JSON)
def test_any_okta_app_json(app: Any) -> None:
    report = validate(
        SamlInputs(providers=[PROVIDER], okta_app=app if isinstance(app, dict) else {"x": app})
    )
    assert all(f.area == "saml" for f in report)


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
)
def test_any_captured_response_or_metadata(text: str) -> None:
    report = validate(
        SamlInputs(providers=[PROVIDER], saml_response=text, idp_metadata=text, lms_url=F.LMS)
    )
    ids = {f.id for f in report}
    assert ids & {rules.RESPONSE_MALFORMED, rules.METADATA_MALFORMED} or text.strip().startswith(
        "<"
    )


def test_unset_org_info_is_what_python3_saml_crashes_on() -> None:
    with override_settings(
        SOCIAL_AUTH_SAML_SP_ENTITY_ID=F.LMS,
        SOCIAL_AUTH_SAML_TECHNICAL_CONTACT={"givenName": "T", "emailAddress": "t@example.com"},
        SOCIAL_AUTH_SAML_SUPPORT_CONTACT={"givenName": "S", "emailAddress": "s@example.com"},
        SOCIAL_AUTH_SAML_ENABLED_IDPS={
            "okta": {"entity_id": F.IDP_ENTITY_ID, "url": "https://x.okta.com/sso"}
        },
    ):
        report = validate(SamlInputs(providers=sources.from_social_settings(), lms_url=F.LMS))
    (finding,) = [f for f in report if f.id == rules.ORG_CONTACT_INCOMPLETE]
    assert "ORG_INFO = None" in finding.detail
