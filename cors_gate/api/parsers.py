"""JSON request bodies (application/json and SCIM's application/scim+json).

A malformed body is a 400 whose message gives the line, column and position (Cloud Gate's
own documented sample is not valid JSON); a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused
before it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from cors_gate.api.cloud_gate import CloudGateError, parse_json


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"body: is larger than {limit} bytes")
        try:
            return parse_json(raw)
        except CloudGateError as exc:
            raise ParseError(str(exc)) from None


class ScimJSONParser(JSONParser):
    media_type = "application/scim+json"


class AsciiJSONRenderer(JSONRenderer):
    """JSON with every non-ASCII character escaped: whatever text an answer carries (an error
    that quotes the request, say), encoding it can never fail and turn a 400 into a 500."""

    ensure_ascii = True
