"""Allow-all and any-origin: django-cors-headers' allow-all switch and entries or
regexes that match every origin."""

from __future__ import annotations

from collections.abc import Iterator

from cors_gate.audit.findings import Severity
from cors_gate.audit.input import AuditInput
from cors_gate.audit.registry import Problem
from cors_gate.audit.rules.common import LIST_THEM, REGISTRY, by_credentials, row_subject


@REGISTRY.rule(
    "cors.allow-all-credentials",
    1,
    Severity.ERROR,
    "allow-all with credentials",
)
def allow_all_credentials(config: AuditInput) -> Iterator[Problem]:
    allow_all, cred = config.settings.allow_all, config.settings.credentials
    if allow_all.value and cred.value:
        yield Problem(
            Severity.ERROR,
            "every web site may read credentialed answers",
            f"{allow_all.name} = True and credentials are on ({cred.name}): "
            "django-cors-headers echoes any Origin with Access-Control-Allow-Credentials: true, "
            "so any page a logged-in user opens can read their data through the API",
            f"Set {allow_all.name} = False. {LIST_THEM}.",
            allow_all.name,
        )


@REGISTRY.rule(
    "cors.allow-all",
    2,
    Severity.WARNING,
    "allow-all without credentials",
)
def allow_all(config: AuditInput) -> Iterator[Problem]:
    named = config.settings.allow_all
    if named.value and not config.settings.credentials.value:
        yield Problem(
            Severity.WARNING,
            "every web site may read the API's uncredentialed answers",
            f"{named.name} = True: django-cors-headers answers Access-Control-Allow-Origin: * "
            "(and reflects the origin as soon as credentials are turned on)",
            f"Set {named.name} = False. {LIST_THEM}.",
            named.name,
        )


@REGISTRY.rule(
    "cors.any-origin-pattern",
    3,
    Severity.ERROR,
    "an entry or regex that allows any origin",
)
def any_origin_pattern(config: AuditInput) -> Iterator[Problem]:
    regexes = config.settings.origin_regexes
    for analysis in config.regex_analyses:
        if analysis.any_origin:
            yield Problem(
                by_credentials(config.corsheaders_credentials),
                "the regex allows any origin",
                f"{regexes.name} entry {analysis.text!r} accepts "
                f"{', '.join(repr(o) for o in analysis.any_origin)} (re.match, as "
                "django-cors-headers tests it)",
                f"Anchor the regex to your own hosts, e.g. r'^https://apps\\.example\\.com\\Z'. "
                f"{LIST_THEM}.",
                analysis.text,
            )
    for gate_pattern in config.live_patterns:
        if gate_pattern.pattern.matches_any_origin:
            yield Problem(
                by_credentials(config.gate_credentials),
                "a cors_gate entry allows any origin",
                f"{gate_pattern.pattern.text!r} matches every host"
                + (" and the policy sends credentials" if config.gate_credentials else ""),
                "Replace it with one entry per front end, e.g. https://apps.example.com.",
                row_subject(gate_pattern.row),
            )
