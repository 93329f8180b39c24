"""The origin-pattern grammar of Oracle Cloud Gate, made exact, and strict `Origin` parsing.

Allow-list entries::

    Entry    := "*" | PROTOCOL "://" HOST [PORT]
    PROTOCOL := "*" | "http" | "https"
    HOST     := "*" | LABEL ("." LABEL)* | IPv4 | "[" IPv6 "]"
    LABEL    := "*" | RFC 1123 label (letters, digits, "-", not at either end, 1-63 chars)
    PORT     := ":*" | ":" 1..65535            (absent: the scheme's default port only)

`parse_pattern` normalises (lower case, IDN to punycode, one trailing "/" dropped, the
scheme's default port dropped) and refuses everything else with an `OriginError` that names
the part and the reason. `parse_request_origin` accepts only the canonical serialisation a
browser sends and returns None for anything else; it never raises.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

import idna

from cors_gate.exceptions import OriginError

NULL_ORIGIN = "null"
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ORIGIN_LENGTH = 512
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_DIGITS = re.compile(r"[0-9]+")
_PLAIN_LABEL = r"(?:\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
_PLAIN_HOST = re.compile(rf"{_PLAIN_LABEL}(?:\.{_PLAIN_LABEL})*")
_DOTTED_QUAD = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
# The only shapes a browser serialises; everything outside them is refused before any work.
# DNS labels are checked by the expression itself (1-63 letters, digits and inner hyphens), so
# the common case costs one match; IPv4 and IPv6 literals get a second look.
_REQUEST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_REQUEST_ORIGIN = re.compile(
    rf"(https?)://((?:{_REQUEST_LABEL}\.)*{_REQUEST_LABEL}|\[[0-9a-f:.]{{2,45}}\])"
    r"(?::([1-9][0-9]{0,4}))?"
)


class RequestOrigin(NamedTuple):
    """A browser's origin: scheme, host and port (None = the scheme's default).

    A named tuple, not a frozen dataclass: one is built for every CORS request, and a
    frozen dataclass's __init__ costs four times as much."""

    scheme: str
    host: str
    port: int | None

    @property
    def serialized(self) -> str:
        if self.port is None:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def effective_port(self) -> int:
        return DEFAULT_PORTS[self.scheme] if self.port is None else self.port

    def __str__(self) -> str:
        return self.serialized


@dataclass(frozen=True, slots=True)
class OriginPattern:
    """A normalised allow-list entry."""

    scheme: str  # "*" | "http" | "https"
    host: str  # "*" (any host), a DNS name whose labels may be "*", or an IP literal
    port: int | None  # None: the scheme's default port only (ignored when any_port)
    any_port: bool = False

    @property
    def text(self) -> str:
        if self.scheme == "*" and self.host == "*" and self.any_port:
            return "*"
        port = ":*" if self.any_port else ("" if self.port is None else f":{self.port}")
        return f"{self.scheme}://{self.host}{port}"

    def __str__(self) -> str:
        return self.text

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.host.split("."))

    @property
    def matches_any_origin(self) -> bool:
        """True for entries that let every site in (`*`, `https://*`, `*://*:*` ...)."""
        return self.host == "*"

    @property
    def wildcard_labels(self) -> int:
        return 0 if self.host == "*" else self.labels.count("*")

    @property
    def is_wildcard(self) -> bool:
        # A "*" can only be a whole label (or the whole host): no need to split the host.
        return self.scheme == "*" or self.any_port or "*" in self.host

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key: smaller is more specific (exact, fewer * labels, explicit port)."""
        host_stars = 1_000 if self.host == "*" else self.wildcard_labels
        return (
            1 if self.is_wildcard else 0,
            host_stars,
            1 if self.any_port else 0,
            1 if self.scheme == "*" else 0,
        )

    def matches(self, origin: RequestOrigin) -> bool:
        """Reference matching, one pattern at a time (the Matcher indexes the same rule)."""
        if self.scheme != "*" and self.scheme != origin.scheme:
            return False
        if not self.any_port:
            if self.port is None:
                if origin.port is not None:
                    return False
            elif self.port != origin.effective_port:
                return False
        if self.host == "*":
            return True
        mine = self.labels
        theirs = origin.host.split(".")
        if len(mine) != len(theirs):
            return False
        if origin.host.startswith("[") or _is_ipv4(origin.host):
            return self.host == origin.host  # no wildcards inside IP literals
        return all(m == "*" or m == t for m, t in zip(mine, theirs, strict=True))


ANY_ORIGIN = OriginPattern(scheme="*", host="*", port=None, any_port=True)


def _is_ipv4(host: str) -> bool:
    return _DOTTED_QUAD.fullmatch(host) is not None


def _refuse_characters(text: str) -> None:
    # Fast path, exact: every whitespace character but " " and every control character is
    # non-printable, so a printable text without " " or "," has nothing to refuse.
    if text.isprintable() and " " not in text and "," not in text:
        return
    for ch in text:
        if ch.isspace():
            raise OriginError("entry", "contains whitespace")
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise OriginError("entry", f"contains the control character {ord(ch):#04x}")
    if "," in text:
        raise OriginError("entry", "contains ',': give one origin per entry")


def _parse_port(scheme: str, port_text: str | None) -> tuple[int | None, bool]:
    if port_text is None:
        return None, False
    if port_text == "*":
        return None, True
    if port_text == "":
        raise OriginError("port", "is empty after ':' (use ':*' for any port, or omit it)")
    if not _DIGITS.fullmatch(port_text):
        raise OriginError("port", f"{port_text!r} is not a number or '*'")
    if len(port_text) > 1 and port_text.startswith("0"):
        raise OriginError("port", f"{port_text!r} has a leading zero")
    value = int(port_text) if len(port_text) <= 5 else 0
    if not 1 <= value <= 65535:
        raise OriginError("port", f"{port_text} is outside 1-65535")
    if scheme in DEFAULT_PORTS and DEFAULT_PORTS[scheme] == value:
        return None, False  # the scheme's default port is how browsers say "no port"
    return value, False


def _split_host_port(rest: str) -> tuple[str, str | None]:
    if rest.startswith("["):
        end = rest.find("]")
        if end == -1:
            raise OriginError("host", "IPv6 literal has no closing ']'")
        host, after = rest[: end + 1], rest[end + 1 :]
        if after == "":
            return host, None
        if not after.startswith(":"):
            raise OriginError("host", f"unexpected {after!r} after the IPv6 literal")
        return host, after[1:]
    if rest.count(":") > 1:
        raise OriginError("host", "has more than one ':' (IPv6 literals need [brackets])")
    host, colon, port = rest.partition(":")
    return host, (port if colon else None)


def _normalise_ipv6(host: str) -> str:
    inner = host[1:-1]
    if "*" in inner:
        raise OriginError("host", "wildcards are not allowed inside IP literals")
    if "%" in inner:
        raise OriginError("host", "IPv6 zone identifiers are not allowed in origins")
    try:
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        raise OriginError("host", f"{host!r} is not a valid IPv6 address") from None
    return f"[{address.compressed}]"


def _normalise_label(label: str, host: str) -> str:
    if label == "":
        if host.endswith("."):
            raise OriginError("host", f"{host!r} ends with '.'")
        raise OriginError("host", f"{host!r} has an empty label")
    if label == "*":
        return label
    if "*" in label:
        raise OriginError(
            "host", f"partial-label wildcard {label!r}: a '*' must stand for a whole label"
        )
    if not label.isascii():
        label = _idn_to_ascii(label)
    _check_host_label(label)
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except idna.IDNAError:
            raise OriginError("host", f"label {label!r} is not valid punycode") from None
    return label


def _idn_to_ascii(label: str) -> str:
    """An internationalised label in its punycode form (UTS #46 mapping, as browsers do)."""
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise OriginError("host", f"label {label!r} is not a valid IDN label ({exc})") from None


def _check_host_label(label: str) -> None:
    """An ASCII label is RFC 1123: at most 63 letters, digits and inner hyphens."""
    if len(label) > MAX_LABEL_LENGTH:
        raise OriginError("host", f"label {label[:20]!r}... is longer than 63 characters")
    if "_" in label:
        raise OriginError("host", f"label {label!r} contains '_', not allowed in a host name")
    if not _LDH_LABEL.fullmatch(label):
        if label.startswith("-") or label.endswith("-"):
            raise OriginError("host", f"label {label!r} starts or ends with '-'")
        bad = next(ch for ch in label if not (ch.isalnum() and ch.isascii()) and ch != "-")
        raise OriginError("host", f"label {label!r} contains {bad!r}, not allowed in a host name")


def _normalise_host(host: str) -> str:
    if host == "":
        raise OriginError("host", "is empty")
    if host == "*":
        return host
    if host.startswith("["):
        return _normalise_ipv6(host)
    labels = host.split(".")
    numeric = [lbl for lbl in labels if _DIGITS.fullmatch(lbl)]
    if numeric and "*" in labels and len(numeric) + labels.count("*") == len(labels):
        raise OriginError("host", "wildcards are not allowed inside IP literals")
    if labels[-1] and _DIGITS.fullmatch(labels[-1]):
        # Browsers read a host ending in a number as IPv4: only a dotted quad is valid.
        if not _is_ipv4(host):
            raise OriginError("host", f"{host!r} is neither a valid IPv4 address nor a DNS name")
        if any(int(part) > 255 for part in labels):
            raise OriginError("host", f"{host!r} is not a valid IPv4 address (a part is over 255)")
        return host
    if _PLAIN_HOST.fullmatch(host) and "xn--" not in host and len(host) <= MAX_HOST_LENGTH:
        return host  # lower-case LDH labels or "*" only: exactly what the label loop returns
    normalised = ".".join(_normalise_label(label, host) for label in labels)
    if len(normalised) > MAX_HOST_LENGTH:
        raise OriginError("host", f"is {len(normalised)} characters long (at most 253)")
    return normalised


def parse_pattern(text: str) -> OriginPattern:
    """Parse and normalise one allow-list entry, or raise OriginError."""
    _check_entry_text(text)
    if text == "*":
        return ANY_ORIGIN
    scheme, rest = _split_scheme(text)
    host_text, port_text = _split_host_port(_host_and_port(rest))
    if not host_text.startswith("["):
        host_text = host_text.lower()
    host = _normalise_host(host_text)
    if port_text is not None:
        port_text = port_text.lower()
    port, any_port = _parse_port(scheme, port_text)
    return OriginPattern(scheme=scheme, host=host, port=port, any_port=any_port)


def _check_entry_text(text: object) -> None:
    """Refuse what cannot be an entry at all: not text, empty, too long, odd characters."""
    if not isinstance(text, str):
        raise OriginError("entry", f"must be text, not {type(text).__name__}")
    if text == "":
        raise OriginError("entry", "is empty")
    if len(text) > MAX_ORIGIN_LENGTH:
        raise OriginError("entry", f"is {len(text)} characters long (at most 512)")
    _refuse_characters(text)


def _split_scheme(text: str) -> tuple[str, str]:
    """The entry's protocol (lower case) and what follows "://"."""
    if text.lower() == NULL_ORIGIN:
        raise OriginError(
            "entry", "'null' is not an entry: turn on the policy's allow-null-origin flag instead"
        )
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise OriginError(
            "protocol", "missing: write PROTOCOL://HOST (PROTOCOL is *, http or https)"
        )
    scheme = scheme.lower()
    if scheme not in ("*", *SCHEMES):
        raise OriginError("protocol", f"{scheme!r} is not one of *, http, https")
    return scheme, rest


def _host_and_port(rest: str) -> str:
    """HOST[:PORT] after the protocol: no user info, query, fragment or path (one trailing
    "/" is dropped: a common copy-paste from the address bar)."""
    if "@" in rest:
        raise OriginError("user info", "is not allowed in an origin (found '@')")
    if rest.endswith("/"):
        rest = rest[:-1]
    for ch, part in (("?", "query"), ("#", "fragment"), ("/", "path")):
        if ch in rest:
            raise OriginError(part, "is not allowed: an origin is only PROTOCOL://HOST[:PORT]")
    return rest


def _valid_literal(host: str) -> bool:
    """A host the expression accepted that is an IP literal or ends in a number."""
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]" == host
        except ValueError:
            return False
    # Browsers read a host whose last label is a number as IPv4: only a dotted quad is valid.
    if not _is_ipv4(host):
        return False
    return all(int(part) <= 255 for part in host.split("."))


def parse_request_origin(value: object) -> RequestOrigin | None:
    """The request's origin if `value` is exactly a browser's serialisation, else None.

    Called once per CORS request with whatever the client sent: no cache (a flood of distinct
    values would only churn it), one regular-expression match for the common case."""
    if not isinstance(value, str) or len(value) > MAX_ORIGIN_LENGTH:
        return None
    match = _REQUEST_ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host, port_text = match.groups()
    if len(host) > MAX_HOST_LENGTH:
        return None
    if host[-1].isdigit() or host[0] == "[":
        last = host.rpartition(".")[2]
        if (host[0] == "[" or last.isdigit()) and not _valid_literal(host):
            return None
    if port_text is None:
        return RequestOrigin(scheme, host, None)
    port = int(port_text)
    if port > 65535 or port == DEFAULT_PORTS[scheme]:
        return None  # browsers never send the default port
    return RequestOrigin(scheme, host, port)


def url_origin(url: str) -> str:
    """The serialized origin of an http(s) URL: `scheme://host[:port]`, host lower-cased,
    IPv6 in brackets, the scheme's default port omitted (what a browser sends as Origin)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == DEFAULT_PORTS.get(parts.scheme):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"
