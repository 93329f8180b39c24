"""The one exception the SAML validator raises for unusable input."""

from __future__ import annotations


class SamlInputError(ValueError):
    """An input cannot be used at all (missing file, not JSON, > 5 MB, unreachable URL...).

    The message is one line that says what and where; the command prints it and exits 2.
    """
