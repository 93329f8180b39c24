"""The one exception vocabulary: every input cors_gate refuses raises a `CorsGateError`.

Each carries `field` (what was wrong: a form field, an API key, a command option; empty when
the whole input is unusable) and `message` (why, for people). `str()` is one line, "field:
message", so a command prints it as is; the REST API turns it into a 400 keyed by `field` in
one place (`APIView.handle_exception`), the admin into an error on that form field.
"""

from __future__ import annotations


class CorsGateError(ValueError):
    """Input refused before anything changed; `str()` is "field: message" on one line.

    Raised either as ``CorsGateError(field, message)`` or with the one-line text alone
    (``CorsGateError("origin: 'x' is not an origin")``), whose field is what precedes the
    first ": " - so `str()` is always exactly the text the raiser wrote.
    """

    def __init__(self, field: str, message: str | None = None) -> None:
        if message is None:
            text = field
            field, sep, message = text.partition(": ")
            if not sep:
                field, message = "", text
        else:
            text = f"{field}: {message}" if field else message
        self.field = field
        self.message = message
        super().__init__(text)


class InvalidInput(CorsGateError):
    """A write refused by cors_gate.services before anything changed."""


class NotPermitted(InvalidInput):
    """The actor's user lacks a permission the change needs (field "permission")."""


class OriginError(CorsGateError):
    """A pattern was refused: `field` is the part ("scheme", "host", ...), `message` why."""

    def __init__(self, part: str, reason: str, entry: str = "") -> None:
        self.entry = entry
        super().__init__(part, reason)

    @property
    def part(self) -> str:
        return self.field

    @property
    def reason(self) -> str:
        return self.message


class RequestInputError(CorsGateError):
    """A request a browser could not make (the explain feature's input)."""


class SamlInputError(CorsGateError):
    """A SAML validator input cannot be used at all (missing file, not JSON, > 5 MB,
    unreachable URL...); the command prints the message and exits 2."""


class SamlDocumentError(CorsGateError):
    """A SAML document (Okta app JSON, metadata, certificate, response, XML) cannot be read;
    the message says what is missing or wrong."""
