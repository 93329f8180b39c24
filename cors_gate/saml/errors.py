"""The one exception the SAML validator raises for unusable input (defined with the rest of
cors_gate's exceptions)."""

from __future__ import annotations

from cors_gate.exceptions import SamlInputError

__all__ = ["SamlInputError"]
