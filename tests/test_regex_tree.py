"""Reading a regular expression's structure: the shapes that backtrack without end."""

from __future__ import annotations

import re

import pytest

from cors_gate.regex_tree import nested_repeat


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",
        r"^/api/(\w+/)*x$",
        r"(a|ab)*c",
        r"(?:a*)*",
        r"(a{2,}){2,}",
        r"(a+){2,9}",  # bounded outside, unbounded inside
        r"(a{1,3})+",  # unbounded outside, bounded inside
        r"(?=(a+)+)",  # inside a lookahead
        r"(?>(a+)+)",  # the inner repeat still backtracks inside the atomic group
        r"(a)(?(1)(b+)+|c)",  # inside a conditional
    ],
)
def test_nested_repetition_is_found(pattern: str) -> None:
    assert nested_repeat(re.compile(pattern))


@pytest.mark.parametrize(
    "pattern",
    [
        r"^.*$",
        r"^/api/",
        r"^/(api|oauth2)/.*$",
        r"^/(?:api|courses)/v[0-9]+/.*$",
        r"[a-z]+(\d+)?$",
        r"(a{1,2}){3}",  # bounded in bounded: at most six characters
        r"(a|b){3}",
    ],
)
def test_linear_shapes_pass(pattern: str) -> None:
    assert not nested_repeat(re.compile(pattern))
