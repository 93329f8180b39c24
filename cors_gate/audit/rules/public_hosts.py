"""Wildcards directly over a public suffix, and origins on shared code-hosting services."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit import origin_facts
from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import REGISTRY, by_credentials, row_subject


def _wildcard_tail(host: str) -> str | None:
    """`*.github.io` -> `github.io`; None when the host has no wildcard label."""
    labels = host.split(".")
    if "*" not in labels:
        return None
    last = max(i for i, label in enumerate(labels) if label == "*")
    return ".".join(labels[last + 1 :])


def _over_public_suffix(host: str) -> str | None:
    """The public suffix a wildcard sits on (`github.io`, `com`, or `*` for `example.*`)."""
    tail = _wildcard_tail(host)
    if tail is None:
        return None
    if tail == "":
        return "*"
    return tail if origin_facts.is_public_suffix(tail) else None


@REGISTRY.rule(
    "cors.public-suffix-wildcard",
    6,
    Severity.ERROR,
    "wildcard directly over a public suffix",
)
def public_suffix_wildcard(config: AuditInput) -> Iterator[Problem]:
    def finding(text: str, suffix: str, where: str, credentials: bool, subject: str) -> Problem:
        anyone = "any top-level domain" if suffix == "*" else f"{suffix!r} is a public suffix"
        return Problem(
            by_credentials(credentials),
            "a wildcard allows every site under a public suffix",
            f"{where} {text!r}: {anyone}, so anyone can register a name it matches "
            "(Public Suffix List)",
            "Name your own hosts instead, e.g. https://myorg.github.io.",
            subject,
        )

    for gate_pattern in config.live_patterns:
        if gate_pattern.pattern.matches_any_origin:
            continue
        suffix = _over_public_suffix(gate_pattern.pattern.host)
        if suffix:
            yield finding(
                gate_pattern.pattern.text,
                suffix,
                "cors_gate entry",
                config.gate_credentials,
                row_subject(gate_pattern.row),
            )
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        for suggestion in analysis.suggestions:
            host = suggestion.split("://", 1)[-1].rsplit(":", 1)[0]
            suffix = _over_public_suffix(host)
            if suffix:
                yield finding(
                    analysis.text,
                    suffix,
                    f"{regexes.name} entry (the same as cors_gate's {suggestion!r})",
                    config.corsheaders_credentials,
                    analysis.text,
                )
                break


@REGISTRY.rule(
    "cors.code-host-origin",
    7,
    Severity.ERROR,
    "third-party code-hosting origin",
)
def code_host_origin(config: AuditInput) -> Iterator[Problem]:
    exact = config.settings.allowed_origins
    for entry in exact.value:
        host = origin_facts.host_of(str(entry))
        service = _shared_code_host(host) if host else None
        if service:
            yield _code_host(
                str(entry),
                service,
                f"{exact.name} entry",
                config.corsheaders_credentials,
                str(entry),
            )
    yield from _code_host_regexes(config)
    for gate_pattern in config.live_patterns:
        if gate_pattern.pattern.matches_any_origin or _over_public_suffix(
            gate_pattern.pattern.host
        ):
            continue  # reported by the two rules above
        host = ".".join(label for label in gate_pattern.pattern.labels if label != "*")
        service = _shared_code_host(host)
        if service:
            yield _code_host(
                gate_pattern.pattern.text,
                service,
                "cors_gate entry",
                config.gate_credentials,
                row_subject(gate_pattern.row),
            )


def _code_host_regexes(config: AuditInput) -> Iterator[Problem]:
    """The origin regexes that accept a shared code host (one example each)."""
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        if analysis.any_origin:
            continue  # reported by cors.any-origin-pattern
        for example in analysis.examples:
            host = origin_facts.host_of(example)
            service = _shared_code_host(host) if host else None
            if service:
                where = f"{regexes.name} entry {analysis.text!r} allows"
                yield _code_host(
                    example, service, where, config.corsheaders_credentials, analysis.text
                )
                break


def _shared_code_host(host: str) -> str | None:
    """The code-hosting service whose pages anyone may publish on `host`, if any."""
    service = origin_facts.code_host(host)
    if service is None:
        return None
    # myorg.github.io belongs to one tenant (github.io is a public suffix): not shared.
    if host != service and origin_facts.is_public_suffix(service):
        return None
    return service


def _code_host(text: str, service: str, where: str, credentials: bool, subject: str) -> Problem:
    return Problem(
        by_credentials(credentials),
        "a code-hosting site is allowed",
        f"{where} {text!r} is {service}, where anyone can publish a page that runs script "
        "on that origin",
        "Remove it; demos there should call a sandbox API without credentials.",
        subject,
    )
