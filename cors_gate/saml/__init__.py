"""SAML provider-config validator for Okta.

    from cors_gate.saml import build_inputs, validate
    report = validate(build_inputs(lms_url="https://lms.example.com", okta_app="okta.json"))

`validate(SamlInputs) -> Report` is the one entry point (the audit command calls it too);
rule ids live in `cors_gate.saml.rules`.
"""

from __future__ import annotations

from cors_gate.saml.errors import SamlInputError
from cors_gate.saml.inputs import build_inputs
from cors_gate.saml.types import ProviderConfig, ProviderData, SamlInputs, SpConfig
from cors_gate.saml.validator import validate

__all__ = [
    "ProviderConfig",
    "ProviderData",
    "SamlInputError",
    "SamlInputs",
    "SpConfig",
    "build_inputs",
    "validate",
]
