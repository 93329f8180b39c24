"""The rule sets and the four requests every handler is timed on.

N rules, 10% of them wildcards. cors_gate stores them as AllowedOrigin rows; django-cors-headers
gets the exact ones in CORS_ALLOWED_ORIGINS and each wildcard as one anchored regex in
CORS_ALLOWED_ORIGIN_REGEXES, which is how its users write `https://*.example.com` today.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.test import RequestFactory

from cors_gate.origins import parse_pattern

WILDCARD_SHARE = 10  # one rule in ten is a wildcard
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"


def exact_entry(i: int) -> str:
    return f"https://app{i}.tenant{i % 997}.example.com"


def wildcard_entry(j: int) -> str:
    return f"https://*.site{j}.partner{j % 991}.org"


@dataclass(frozen=True)
class RuleSet:
    n: int
    exact: list[str]
    wildcards: list[str]

    @property
    def entries(self) -> list[str]:
        return self.exact + self.wildcards

    def corsheaders_settings(self) -> dict[str, object]:
        return {
            "CORS_ALLOWED_ORIGINS": list(self.exact),
            "CORS_ALLOWED_ORIGIN_REGEXES": [as_anchored_regex(w) for w in self.wildcards],
            "CORS_ALLOW_CREDENTIALS": True,
        }


def rule_set(n: int) -> RuleSet:
    n_wild = max(1, n // WILDCARD_SHARE)
    return RuleSet(
        n=n,
        exact=[exact_entry(i) for i in range(n - n_wild)],
        wildcards=[wildcard_entry(j) for j in range(n_wild)],
    )


def as_anchored_regex(entry: str) -> str:
    """`https://*.a.org` as the regex a django-cors-headers user writes: `^https://<label>\\.a\\.org$`."""
    p = parse_pattern(entry)
    scheme = "https?" if p.scheme == "*" else re.escape(p.scheme)
    host = r"\.".join(_LABEL if label == "*" else re.escape(label) for label in p.labels)
    port = r"(?::[0-9]{1,5})?" if p.any_port else ("" if p.port is None else f":{p.port}")
    return f"^{scheme}://{host}{port}$"


@dataclass(frozen=True)
class Scenario:
    name: str
    origin: str
    allowed: bool
    make: Callable[[], HttpRequest]


PATH = "/api/ok/"


def scenarios(rules: RuleSet) -> list[Scenario]:
    """Allowed exact (mid-list), allowed wildcard (mid-list), denied, and a preflight."""
    factory = RequestFactory()
    exact = rules.exact[len(rules.exact) // 2]
    k = len(rules.wildcards) // 2
    wild = f"https://lms.site{k}.partner{k % 991}.org"
    denied = "https://lms.example.com.evil.net"

    def get(origin: str) -> Callable[[], HttpRequest]:
        return lambda: factory.get(PATH, HTTP_ORIGIN=origin)

    def preflight() -> HttpRequest:
        return factory.options(
            PATH,
            HTTP_ORIGIN=exact,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken",
        )

    return [
        Scenario("allowed exact", exact, True, get(exact)),
        Scenario("allowed wildcard", wild, True, get(wild)),
        Scenario("denied", denied, False, get(denied)),
        Scenario("preflight", exact, True, preflight),
    ]
