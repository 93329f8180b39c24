"""JSON text from outside (API bodies, payload and provider files), decoded within bounds.

Python's decoder turns hostile but well-formed JSON into exceptions nobody catches: 100,000
nested arrays raise RecursionError, an integer of over 4,300 digits raises ValueError (the
interpreter's integer-string limit), and `NaN`/`Infinity` are accepted although JSON has no
such values. `loads` refuses all of them with one line, and refuses nesting deeper than any
document cors_gate reads, so no later step walks an unbounded structure.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext

from cors_gate.exceptions import CorsGateError

MAX_DEPTH = 32  # a Cloud Gate PatchOp is 5 deep; an Okta provider document under 10
MAX_INT_DIGITS = 100  # every number cors_gate reads fits in 64 bits (19 digits)


class JsonTextError(CorsGateError):
    """Refused JSON text; `str()` is one line."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonTextError(
            gettext("a number has %(n)d digits (at most %(max)d)")
            % {"n": len(text.lstrip("-")), "max": MAX_INT_DIGITS}
        )
    return int(text)


def _constant(name: str) -> Any:
    raise JsonTextError(gettext("%(name)s is not a JSON value") % {"name": name})


def _too_deep(value: Any) -> bool:
    """Whether containers nest deeper than MAX_DEPTH (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(text: str) -> Any:
    """Decode JSON text, or raise JsonTextError (JSONDecodeError for syntax errors)."""
    try:
        value = json.loads(text, parse_int=_int, parse_constant=_constant)
    except RecursionError:
        raise JsonTextError(
            gettext("nests arrays or objects deeper than %(max)d levels") % {"max": MAX_DEPTH}
        ) from None
    if _too_deep(value):
        raise JsonTextError(
            gettext("nests arrays or objects deeper than %(max)d levels") % {"max": MAX_DEPTH}
        )
    return value
