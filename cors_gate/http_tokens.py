"""RFC 9110 tokens: the shape of HTTP method and header names.

One definition for the request path (which header names and methods a preflight may
mirror) and for the write paths (which names a policy may list).
"""

from __future__ import annotations

import re

# RFC 9110 section 5.6.2: token = 1*tchar
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def is_token(value: str) -> bool:
    """True when `value` is a non-empty RFC 9110 token (no spaces, separators or controls)."""
    return TOKEN.fullmatch(value) is not None
