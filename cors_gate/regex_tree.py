"""The structure of a regular expression, as `re` itself reads it.

`re._parser` is private, but it is the only exact reading of a pattern's structure: the
audit's regex probe reads django-cors-headers' regexes through it, and the policy's
`urls_regex` check looks through it for shapes that backtrack without end.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

parser: Any = importlib.import_module("re._parser")
constants: Any = importlib.import_module("re._constants")
# Every repeat opcode this Python has (POSSESSIVE_REPEAT is 3.11+).
REPEATS = (
    constants.MAX_REPEAT,
    constants.MIN_REPEAT,
    getattr(constants, "POSSESSIVE_REPEAT", None),
)
ATOMIC_GROUP = getattr(constants, "ATOMIC_GROUP", None)  # 3.11+
# Repeats that give back what they took when the rest fails to match (possessive ones do not).
_BACKTRACKING = (constants.MAX_REPEAT, constants.MIN_REPEAT)


def nested_repeat(compiled: re.Pattern[str]) -> bool:
    """Whether a repeat that may run more than once holds another such repeat or a choice of
    branches, one of them without an upper bound, as in ``(a+)+``, ``(a+){2,9}`` or
    ``(a|ab)*``: the shapes whose matching time can grow exponentially with the text they
    fail on (catastrophic backtracking). ``(a{1,2}){3}`` is bounded, so it is not one."""
    return _holds_nested(parser.parse(compiled.pattern, compiled.flags), _OUTSIDE)


# What encloses a part of the pattern: no repeat, a bounded repeat (runs 2 to n times), or a
# repeat without an upper bound.
_OUTSIDE, _BOUNDED, _UNBOUNDED = 0, 1, 2


def _holds_nested(items: Any, inside: int) -> bool:
    return any(_item_holds_nested(op, av, inside) for op, av in items)


def _item_holds_nested(op: Any, av: Any, inside: int) -> bool:
    if op in _BACKTRACKING:
        return _repeat_holds_nested(av[1], av[2], inside)
    if op is constants.BRANCH:
        return inside == _UNBOUNDED or any(_holds_nested(b, inside) for b in av[1])
    if op is constants.GROUPREF_EXISTS:
        return any(part is not None and _holds_nested(part, inside) for part in av[1:])
    if isinstance(av, tuple) and av and isinstance(av[-1], parser.SubPattern):
        # SUBPATTERN, ASSERT, ASSERT_NOT, ATOMIC_GROUP, POSSESSIVE_REPEAT: the last argument
        # is the sub-pattern they apply to.
        return _holds_nested(av[-1], inside)
    return isinstance(av, parser.SubPattern) and _holds_nested(av, inside)


def _repeat_holds_nested(high: int, body: Any, inside: int) -> bool:
    """A repeat of at most `high` times around `body`, itself inside `inside`."""
    if high <= 1:
        return _holds_nested(body, inside)
    if high == constants.MAXREPEAT:
        return bool(inside) or _holds_nested(body, _UNBOUNDED)
    return inside == _UNBOUNDED or _holds_nested(body, max(inside, _BOUNDED))
