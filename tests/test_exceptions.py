"""One exception vocabulary: every refusal is a CorsGateError with `field` and `message`, and
its text is exactly what the raiser wrote (commands print it, the API keys its 400 by field)."""

from __future__ import annotations

import pytest

from cors_gate.api.cloud_gate import CloudGateError
from cors_gate.doctor.discovery import DiscoveryError
from cors_gate.doctor.journeys import JourneyError
from cors_gate.doctor.matrix import DoctorError
from cors_gate.exceptions import (
    CorsGateError,
    InvalidInput,
    NotPermitted,
    OriginError,
    RequestInputError,
    SamlInputError,
)
from cors_gate.explain import ExplainError
from cors_gate.jsontext import JsonTextError
from cors_gate.origins import parse_pattern
from cors_gate.saml.certs import CertError
from cors_gate.saml.metadata import MetadataError
from cors_gate.saml.okta import OktaAppError
from cors_gate.saml.response import ResponseError
from cors_gate.saml.xmlsafe import XmlError


@pytest.mark.parametrize(
    "kind",
    [InvalidInput, NotPermitted, OriginError, RequestInputError, ExplainError, SamlInputError,
     CloudGateError, CertError, MetadataError, OktaAppError, ResponseError, XmlError,
     DoctorError, DiscoveryError, JourneyError, JsonTextError],
)  # fmt: skip
def test_every_refusal_is_a_cors_gate_error(kind: type[Exception]) -> None:
    assert issubclass(kind, CorsGateError) and issubclass(kind, ValueError)


@pytest.mark.parametrize(
    ("args", "field", "message", "text"),
    [
        (("pattern", "'x' already has a rule"), "pattern", "'x' already has a rule",
         "pattern: 'x' already has a rule"),
        (("header 'X': expected 'Name: value'",), "header 'X'", "expected 'Name: value'",
         "header 'X': expected 'Name: value'"),
        (("--okta-app /nowhere: no such file",), "--okta-app /nowhere", "no such file",
         "--okta-app /nowhere: no such file"),
        (("the whole input is unusable",), "", "the whole input is unusable",
         "the whole input is unusable"),
        (("", "no field"), "", "no field", "no field"),
    ],
)  # fmt: skip
def test_field_message_and_one_line_text(
    args: tuple[str, ...], field: str, message: str, text: str
) -> None:
    error = CorsGateError(*args)
    assert (error.field, error.message, str(error)) == (field, message, text)


def test_a_refused_pattern_names_its_part() -> None:
    with pytest.raises(OriginError) as raised:
        parse_pattern("https://a.example.com:99999")
    assert raised.value.field == raised.value.part == "port"
    assert str(raised.value) == "port: 99999 is outside 1-65535"
