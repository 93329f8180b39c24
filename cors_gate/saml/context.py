"""What every check needs about one provider, computed once, and the `Checker` that turns
check outcomes into findings and passed rules."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import Any

from cors_gate.audit.findings import Finding, Report, Severity
from cors_gate.origins import DEFAULT_PORTS
from cors_gate.saml import rules
from cors_gate.saml.metadata import IdpMetadata
from cors_gate.saml.okta import OktaApp
from cors_gate.saml.response import ResponseFacts
from cors_gate.saml.types import ProviderConfig


class Checker:
    """Collects findings; a rule that ran for a subject and found nothing counts as passed.

    `rule(id, subject)` records that the rule is checked for the subject and returns the
    handle that reports its failures, so a check names its rule once and cannot fail a rule
    it did not record.
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        self._ran: list[tuple[str, str]] = []
        self._failed: set[tuple[str, str]] = set()
        self._seen: set[tuple[str, str, str]] = set()

    def rule(self, rule: str, subject: str) -> RuleCheck:
        if (rule, subject) not in self._ran:
            self._ran.append((rule, subject))
        return RuleCheck(self, rule, subject)

    def failed(self, rule: str, subject: str) -> bool:
        return (rule, subject) in self._failed

    def _fail(
        self,
        rule: str,
        subject: str,
        title: str,
        detail: str,
        fix: str,
        severity: Severity | None,
    ) -> None:
        key = (rule, subject, title)
        if key in self._seen:
            return
        self._seen.add(key)
        self._failed.add((rule, subject))
        # "okta:attr_email" failing means the rule did not pass for provider "okta" either.
        self._failed.add((rule, subject.split(":", 1)[0]))
        self.report.add(
            Finding(
                id=rule,
                severity=severity or rules.SEVERITY[rule],
                area=rules.AREA,
                title=title,
                detail=detail,
                fix=fix,
                subject=subject,
            )
        )

    def finish(self) -> None:
        for rule, subject in self._ran:
            if (rule, subject) not in self._failed:
                self.report.ok(rule)


@dataclass(frozen=True)
class RuleCheck:
    """One rule checked for one subject (made by `Checker.rule`)."""

    checker: Checker
    rule: str
    subject: str

    def fail(self, title: str, detail: str, fix: str, severity: Severity | None = None) -> None:
        """A finding; `severity` softens the rule's declared one where the docs say so."""
        self.checker._fail(self.rule, self.subject, title, detail, fix, severity)


def normalise_url(url: str) -> str:
    """Scheme and host are case-insensitive and the default port is implied; the path is exact
    (a missing trailing slash makes Django redirect the POST and lose the response)."""
    parts = urllib.parse.urlsplit(url.strip())  # scheme and hostname come lower-cased
    host = parts.hostname or ""
    port = parts.port
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


@dataclass(frozen=True)
class Ctx:
    provider: ProviderConfig
    lms_url: str | None  # without trailing slash
    acs_url: str  # absolute when lms_url is known, else the path
    settings_acs_url: str  # acs_url, on a placeholder host when no LMS URL is known
    settings_errors: list[str]  # python3-saml's error codes for the SP settings ([] = accepted)
    security: dict[str, Any]  # effective security settings (python3-saml defaults applied)
    social_core_major: int | None
    now: dt.datetime
    okta: OktaApp | None = None
    metadata: IdpMetadata | None = None
    facts: ResponseFacts | None = None
    relay_state: str | None = None

    @property
    def subject(self) -> str:
        return self.provider.slug

    @property
    def sp_entity_id(self) -> str:
        return self.provider.sp.entity_id

    def same_acs(self, url: str) -> bool:
        if self.lms_url:
            return normalise_url(url) == normalise_url(self.acs_url)
        return urllib.parse.urlsplit(url.strip()).path == self.acs_url

    def differs_only_in_scheme(self, url: str) -> bool:
        if not self.lms_url:
            return False
        a = urllib.parse.urlsplit(normalise_url(url))
        b = urllib.parse.urlsplit(normalise_url(self.acs_url))
        return a.scheme != b.scheme and a._replace(scheme="") == b._replace(scheme="")
