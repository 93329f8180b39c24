"""The rule framework both audits share: each rule is declared once, here is what it says.

A rule is an id, the worst severity it reports, a one-line title and, for the CORS audit,
the number of its Django system check, whether only ``check --deploy`` runs it, and the
function that looks for problems. A CORS rule function yields `Problem`s (a finding without
the rule's id); the rule turns them into `Finding`s, so an id is written once. A SAML rule
is declared the same way and checked inside the validator (`cors_gate.saml.context.Checker`),
which reads its severity from the declaration.

The command's ``--list-rules`` and the rules reference page (``docs/reference/rules.rst``,
written by ``python -m cors_gate.audit.docs``) read the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cors_gate.audit.findings import Finding, Severity

if TYPE_CHECKING:
    from cors_gate.audit.input import AuditInput


@dataclass(frozen=True)
class Problem:
    """What a CORS rule function yields: a `Finding` without the id its rule adds."""

    severity: Severity
    title: str
    detail: str
    fix: str
    subject: str = ""


RuleFunc = Callable[["AuditInput"], Iterable[Problem]]


@dataclass(frozen=True)
class AuditRule:
    id: str  # stable: reports, tests and CI pipelines match on it
    severity: Severity  # the worst severity its findings have
    title: str  # what it checks, one line
    number: int | None = None  # CORS: the NNN of cors_gate.ENNN / WNNN / INNN
    deploy: bool = True  # CORS: only `check --deploy` runs it (False: every `check`)
    func: RuleFunc | None = None  # CORS: the check itself; SAML rules run in the validator
    softened: bool = False  # SAML: a warning when the weaker setting does not break the login

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def finding(self, problem: Problem) -> Finding:
        return Finding(
            id=self.id,
            severity=problem.severity,
            area=self.area,
            title=problem.title,
            detail=problem.detail,
            fix=problem.fix,
            subject=problem.subject,
        )

    def findings(self, config: AuditInput) -> Iterator[Finding]:
        if self.func is None:
            raise TypeError(f"{self.id}: is checked by the SAML validator, not run on its own")
        for problem in self.func(config):
            yield self.finding(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "severity": self.severity.value,
            "softened": self.softened,
            "title": self.title,
            "number": self.number,
            "deploy": self.deploy if self.number is not None else None,
        }


class Registry:
    """Rules in declaration order; ids and check numbers are unique."""

    def __init__(self) -> None:
        self._rules: dict[str, AuditRule] = {}

    def add(self, rule: AuditRule) -> AuditRule:
        if rule.id in self._rules:
            raise ValueError(f"{rule.id}: declared twice")
        if rule.number is not None and any(r.number == rule.number for r in self):
            raise ValueError(f"{rule.id}: check number {rule.number} is taken")
        self._rules[rule.id] = rule
        return rule

    def rule(
        self,
        rule_id: str,
        number: int,
        severity: Severity,
        title: str,
        *,
        deploy: bool = True,
    ) -> Callable[[RuleFunc], RuleFunc]:
        """Declare a CORS rule on the function that checks it."""

        def register(func: RuleFunc) -> RuleFunc:
            self.add(AuditRule(rule_id, severity, title, number, deploy, func))
            return func

        return register

    def declare(
        self, rule_id: str, severity: Severity, title: str, *, softened: bool = False
    ) -> str:
        """Declare a SAML rule; returns its id for the checks to name it by."""
        self.add(AuditRule(rule_id, severity, title, softened=softened))
        return rule_id

    def __iter__(self) -> Iterator[AuditRule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __getitem__(self, rule_id: str) -> AuditRule:
        return self._rules[rule_id]

    def by_id(self) -> dict[str, AuditRule]:
        return dict(self._rules)


def all_rules() -> list[AuditRule]:
    """Every rule of both audits: the CORS rules by check number, then the SAML rules."""
    from cors_gate.audit.rules import RULES
    from cors_gate.saml.rules import REGISTRY as SAML

    return [*RULES, *SAML]
