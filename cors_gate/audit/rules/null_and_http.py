"""Origin: null and plain-http origins allowed to read credentialed answers."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit import origin_facts
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY, by_credentials, row_subject


def _matches_null(entry: str) -> bool:
    """django-cors-headers compares urlsplit(entry) with urlsplit('null'): no scheme, no host."""
    parts = origin_facts.split(entry)
    return parts is not None and not parts.scheme and not parts.netloc


@REGISTRY.rule(
    "cors.null-credentials",
    4,
    Severity.ERROR,
    "Origin: null allowed",
)
def null_origin(config: AuditInput) -> Iterator[Problem]:
    exact = config.settings.allowed_origins
    severity = by_credentials(config.corsheaders_credentials)
    why = (
        "sandboxed iframes, file: and data: pages and requests after a cross-origin redirect "
        "all send Origin: null, so any site can"
    )
    for entry in exact.value:
        text = str(entry)
        if text == "null" or _matches_null(text):
            how = "is 'null'" if text == "null" else "has no scheme, so it matches 'null'"
            yield Problem(
                severity,
                "Origin: null is allowed",
                f"{exact.name} entry {text!r} {how}: {why} get an allowed answer"
                + (" with credentials" if config.corsheaders_credentials else ""),
                f"Remove {text!r} from {exact.name}"
                + ("" if text == "null" else f"; write it with its scheme, e.g. 'https://{text}'")
                + ".",
                text,
            )
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        if analysis.error or analysis.any_origin:
            continue  # reported by cors.invalid-regex / cors.any-origin-pattern
        if analysis.accepts_null:
            yield Problem(
                severity,
                "Origin: null is allowed",
                f"{regexes.name} entry {analysis.text!r} accepts 'null': {why} get an allowed "
                "answer",
                "Remove the 'null' alternative from the regex.",
                analysis.text,
            )
    policy = config.policy
    if config.gate_on and policy.allow_null_origin:
        yield Problem(
            by_credentials(policy.allow_credentials),
            "cors_gate's policy allows Origin: null",
            f"allow_null_origin is on{' with credentials' if policy.allow_credentials else ''}: "
            f"{why} get an allowed answer",
            "Turn allow_null_origin off in the CORS policy (admin: CORS policy).",
            "CorsPolicy.allow_null_origin",
        )


@REGISTRY.rule(
    "cors.http-origin-credentials",
    5,
    Severity.ERROR,
    "http:// origin with credentials",
)
def http_origin(config: AuditInput) -> Iterator[Problem]:
    if config.corsheaders_credentials:
        exact = config.settings.allowed_origins
        for entry in exact.value:
            parts = origin_facts.split(str(entry))
            if parts is not None and parts.scheme == "http" and parts.hostname:
                yield _plain_http(str(entry), parts.hostname, f"{exact.name} entry", str(entry))
        yield from _plain_http_regexes(config)
    if config.gate_credentials:
        for gate_pattern in config.live_patterns:
            if (
                gate_pattern.pattern.scheme in ("http", "*")
                and not gate_pattern.pattern.matches_any_origin
            ):
                yield _plain_http(
                    gate_pattern.pattern.text,
                    gate_pattern.pattern.host,
                    "cors_gate entry",
                    row_subject(gate_pattern.row),
                )


def _plain_http_regexes(config: AuditInput) -> Iterator[Problem]:
    """The origin regexes that accept an http:// origin (one example each)."""
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        for example in analysis.examples:
            parts = origin_facts.split(example)
            if parts is not None and parts.scheme == "http" and parts.hostname:
                yield _plain_http(
                    example,
                    parts.hostname,
                    f"{regexes.name} entry {analysis.text!r} allows",
                    analysis.text,
                )
                break


def _plain_http(text: str, host: str, where: str, subject: str) -> Problem:
    loopback = origin_facts.is_loopback(host)
    return Problem(
        Severity.WARNING if loopback else Severity.ERROR,
        "a plain-http origin may read credentialed answers",
        f"{where} {text!r} is http://: anyone on the network path can inject script into "
        "that page and read users' data with their cookies"
        + (" (a loopback address: a development setting)" if loopback else ""),
        "Allow only the https:// origin"
        + (" in production; keep loopback origins to development settings" if loopback else "")
        + ".",
        subject,
    )
