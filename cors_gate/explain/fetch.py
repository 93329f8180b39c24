"""Fetch-standard classification of a cross-origin request: not CORS, simple, or preflighted.

Pure functions. The rules are those of the WHATWG Fetch standard ("CORS-safelisted method",
"CORS-safelisted request-header", "CORS-unsafe request-header names"), applied the way
Chromium's network service applies them, so that the verdict agrees with DevTools:

* the 128-byte limit is checked first, then the name, then the value's form;
* when the safelisted values add up to more than 1024 bytes, every one of them becomes
  unsafe (not only the one that crossed the line);
* Chromium also safelists a few client-hint names (``DPR``, ``Width``, ``Save-Data`` …)
  with a valid value; they are reported as notes because Fetch itself does not list them.
  Firefox does not: the same request is preflighted there (``engine="firefox"``);
* a ``Range`` bound must fit the engine's integer: Chromium's parser refuses 2^63-1 and
  above (a signed 64-bit position plus one), Firefox's accepts up to 2^64-1 (unsigned);
  a bound it refuses makes the header unsafe, so the request is preflighted.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from cors_gate.exceptions import RequestInputError

Kind = Literal["not-cors", "simple", "preflight"]
Engine = Literal["chromium", "firefox"]

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# fetch() upper-cases only these six; any other method is sent (and compared) as written.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

SAFELISTED_NAMES = ("accept", "accept-language", "content-language", "content-type", "range")
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
MAX_VALUE_BYTES = 128
MAX_TOTAL_BYTES = 1024

# Headers script may not set; fetch() drops them silently, so they never cause a preflight.
FORBIDDEN_HEADER_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)

# Chromium's network service safelists these client hints when their value has the right form.
_DOUBLE = re.compile(r"\d+(\.\d+)?\Z")
_INT = re.compile(r"\d+\Z")
_CHROMIUM_CLIENT_HINTS: dict[str, re.Pattern[str]] = {
    "device-memory": _DOUBLE,
    "dpr": _DOUBLE,
    "downlink": _DOUBLE,
    "width": _INT,
    "viewport-width": _INT,
    "rtt": _INT,
    "ect": re.compile(r"(slow-2g|2g|3g|4g)\Z"),
    "save-data": re.compile(r"(?i:on)\Z"),
}

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_UNSAFE_BYTES = frozenset(b'"():<>?@[\\]{}\x7f') | (frozenset(range(0x20)) - {0x09})
_LANGUAGE_BYTES = frozenset(string.ascii_letters.encode() + string.digits.encode() + b" *,-.;=")
_SIMPLE_RANGE = re.compile(r"bytes=(\d+)-(\d*)\Z")
# The largest Range bound each engine's parser accepts (measured against both browsers).
RANGE_LIMITS: dict[Engine, int] = {"chromium": 2**63 - 2, "firefox": 2**64 - 1}
_HTTP_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Reason:
    """Why a request needs a preflight. `code` is stable; `message` is for people."""

    code: str
    message: str
    header: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "header": self.header, "message": self.message}


@dataclass(frozen=True)
class Classification:
    kind: Kind
    method: str  # as fetch() sends it
    reasons: tuple[Reason, ...]
    # Lower-case, sorted, de-duplicated: the value of Access-Control-Request-Headers.
    unsafe_header_names: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]  # what the browser would send (forbidden ones dropped)
    notes: tuple[str, ...] = field(default=())

    @property
    def needs_preflight(self) -> bool:
        return self.kind == "preflight"


def normalize_method(method: str) -> str:
    """The method as fetch() sends it; raises RequestInputError for what fetch() refuses."""
    if not _TOKEN.match(method):
        raise RequestInputError(f"method: {method!r} is not an HTTP token")
    upper = method.upper()
    if upper in FORBIDDEN_METHODS:
        raise RequestInputError(f"method: {upper} is forbidden; fetch() refuses to send it")
    return upper if upper in NORMALIZED_METHODS else method


def normalize_header(name: str, value: str) -> tuple[str, str]:
    """Validate one header as fetch()'s Headers object would; returns (lower name, value)."""
    if not name:
        raise RequestInputError("header: a header has no name")
    if not _TOKEN.match(name):
        raise RequestInputError(f"header: {name!r} is not a valid header name")
    stripped = value.strip(_HTTP_WHITESPACE)
    if any(c in stripped for c in "\r\n\x00"):
        raise RequestInputError(f"header {name}: the value contains CR, LF or NUL")
    try:
        stripped.encode("latin-1")
    except UnicodeEncodeError:
        raise RequestInputError(
            f"header {name}: the value has characters above U+00FF; fetch() refuses it"
        ) from None
    return name.lower(), stripped


def is_forbidden_header(name: str, value: str = "") -> bool:
    lower = name.lower()
    if lower in FORBIDDEN_HEADER_NAMES or lower.startswith(FORBIDDEN_HEADER_PREFIXES):
        return True
    if lower in METHOD_OVERRIDE_HEADERS:
        # Forbidden only when it smuggles a forbidden method.
        return any(
            part.strip(_HTTP_WHITESPACE).upper() in FORBIDDEN_METHODS for part in value.split(",")
        )
    return False


def _mime_essence(value: str) -> str | None:
    """The essence (type/subtype, lower case) of a MIME type, or None when it does not parse."""
    essence = value.split(";", 1)[0].strip(_HTTP_WHITESPACE).lower()
    parts = essence.split("/")
    if len(parts) != 2 or not all(_TOKEN.match(p) for p in parts):
        return None
    return essence


def header_value_problem(name: str, value: str, engine: Engine = "chromium") -> Reason | None:
    """Why one (lower-case name, value) pair is not CORS-safelisted, or None when it is."""
    raw = value.encode("latin-1")
    if name not in SAFELISTED_NAMES:
        return Reason(
            "header-not-safelisted",
            f"{name} is not a CORS-safelisted request header (only Accept, Accept-Language, "
            "Content-Language, Content-Type and Range can be)",
            name,
        )
    if len(raw) > MAX_VALUE_BYTES:
        return Reason(
            "value-too-long",
            f"{name}: the value is {len(raw)} bytes; a safelisted value is at most "
            f"{MAX_VALUE_BYTES}",
            name,
        )
    if name in ("accept", "content-type") and (problem := _unsafe_byte(name, raw)):
        return problem
    if name == "content-type":
        return _content_type_problem(value)
    if name in ("accept-language", "content-language"):
        return _language_problem(name, raw)
    if name == "range":
        return _range_problem(value, engine)
    return None


def _unsafe_byte(name: str, raw: bytes) -> Reason | None:
    bad = sorted({chr(b) for b in raw if b in _UNSAFE_BYTES})
    if not bad:
        return None
    return Reason(
        "unsafe-byte",
        f"{name}: the value contains {', '.join(repr(c) for c in bad)}, which a "
        'safelisted Accept/Content-Type may not hold (any of "():<>?@[\\]{}, DEL, '
        "control bytes)",
        name,
    )


def _content_type_problem(value: str) -> Reason | None:
    essence = _mime_essence(value)
    if essence in SAFELISTED_CONTENT_TYPES:
        return None
    shown = essence if essence is not None else "unparseable"
    return Reason(
        "content-type-essence",
        f"content-type: the essence is {shown}; only application/x-www-form-urlencoded, "
        "multipart/form-data and text/plain are safelisted",
        "content-type",
    )


def _language_problem(name: str, raw: bytes) -> Reason | None:
    bad = sorted({chr(b) for b in raw if b not in _LANGUAGE_BYTES})
    if not bad:
        return None
    return Reason(
        "language-charset",
        f"{name}: the value contains {', '.join(repr(c) for c in bad)}; only "
        "0-9 A-Z a-z space * , - . ; = are allowed",
        name,
    )


def _range_problem(value: str, engine: Engine) -> Reason | None:
    match = _SIMPLE_RANGE.match(value)
    if match is None or (match.group(2) and int(match.group(1)) > int(match.group(2))):
        return Reason(
            "range-form",
            f"range: {value!r} is not a single simple range of the form bytes=N- or "
            "bytes=N-M (N <= M)",
            "range",
        )
    limit = RANGE_LIMITS[engine]
    if any(int(bound) > limit for bound in match.groups() if bound):
        return Reason(
            "range-too-large",
            f"range: a bound in {value!r} is above {limit}, the largest "
            f"{engine.capitalize()}'s parser accepts",
            "range",
        )
    return None


def _combine(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A header set twice is sent once, values joined with ", " (Fetch's "combine")."""
    combined: dict[str, str] = {}
    for name, value in pairs:
        combined[name] = f"{combined[name]}, {value}" if name in combined else value
    return list(combined.items())


def _chromium_safelists(name: str, value: str) -> bool:
    pattern = _CHROMIUM_CLIENT_HINTS.get(name)
    return (
        pattern is not None
        and len(value.encode("latin-1")) <= MAX_VALUE_BYTES
        and bool(pattern.match(value))
    )


def classify(
    method: str,
    headers: Iterable[tuple[str, str]],
    *,
    cross_origin: bool = True,
    engine: Engine = "chromium",
) -> Classification:
    """Classify a request made by fetch()/XHR in "cors" mode.

    `cross_origin` is False when the request's URL has the page's own origin: then no CORS
    applies at all ("not-cors"), whatever the method and headers.
    """
    sent_method = normalize_method(method)
    pairs = _combine([normalize_header(n, v) for n, v in headers])
    notes: list[str] = []
    kept: list[tuple[str, str]] = []
    for name, value in pairs:
        if is_forbidden_header(name, value):
            notes.append(f"{name} is a forbidden request header: fetch() drops it silently")
        else:
            kept.append((name, value))

    if not cross_origin:
        return Classification("not-cors", sent_method, (), (), tuple(kept), tuple(notes))

    reasons: list[Reason] = []
    if sent_method not in SAFELISTED_METHODS:
        reasons.append(
            Reason(
                "method-not-safelisted",
                f"method {sent_method} is not CORS-safelisted (only GET, HEAD and POST are)",
            )
        )

    unsafe: list[str] = []
    safe: list[tuple[str, str]] = []
    for name, value in kept:
        problem = header_value_problem(name, value, engine)
        if problem is None:
            safe.append((name, value))
        elif (
            engine == "chromium"
            and problem.code == "header-not-safelisted"
            and _chromium_safelists(name, value)
        ):
            notes.append(
                f"{name} is a client hint Chromium safelists (Fetch does not): Chromium sends "
                "no preflight for it, other browsers may"
            )
            safe.append((name, value))
        else:
            reasons.append(problem)
            unsafe.append(name)

    total = sum(len(v.encode("latin-1")) for _, v in safe)
    if total > MAX_TOTAL_BYTES:
        for name, _ in safe:
            reasons.append(
                Reason(
                    "total-too-long",
                    f"{name}: the safelisted header values add up to {total} bytes; above "
                    f"{MAX_TOTAL_BYTES} every one of them needs a preflight",
                    name,
                )
            )
            unsafe.append(name)

    kind: Kind = "preflight" if reasons else "simple"
    return Classification(
        kind, sent_method, tuple(reasons), tuple(sorted(set(unsafe))), tuple(kept), tuple(notes)
    )
