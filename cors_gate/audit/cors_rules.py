"""The CORS (and CORS-related CSRF) audit rules.

Each rule is a small function with a stable id that reads an `AuditInput` (a read-only view
of the settings, plus the database rules and policy when they can be read) and yields
`Finding`s; a rule that yields nothing has passed. `RULES` lists them in a fixed order with
the number their Django system check uses (cors_gate.checks' table says what each checks).

Two layers are audited side by side: django-cors-headers' settings (current and old names,
and Open edX's flags that force credentials on) and cors_gate's own allow-list (pinned
`CORS_GATE_ALLOWED_ORIGINS` plus the AllowedOrigin table) and policy.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.http import is_same_domain

from cors_gate.audit import origin_facts, regex_probe
from cors_gate.audit.database_view import DatabaseView, PolicyRow, RuleRow
from cors_gate.audit.findings import Finding, Severity
from cors_gate.audit.settings_view import (
    CORSHEADERS_DEFAULT_URLS_REGEX,
    CORSHEADERS_MIDDLEWARE,
    SettingsView,
)
from cors_gate.csrf import csrf_trust_shape_ok
from cors_gate.origins import (
    DEFAULT_PORTS,
    OriginError,
    OriginPattern,
    parse_pattern,
    parse_request_origin,
    url_origin,
)
from cors_gate.settings.common import MIDDLEWARE_PATH as CORS_GATE_MIDDLEWARE

CHROMIUM_MAX_AGE_CAP = 7200
EXPIRY_WARNING_DAYS = 7
CORSHEADERS = "django-cors-headers"
GATE = "cors_gate"
PINNED_SETTING = "CORS_GATE_ALLOWED_ORIGINS"

# Paths Open edX front ends (MFEs) call with credentials; a urls regex must cover them.
FRONT_END_API_PATHS = (
    "/api/user/v1/me",
    "/oauth2/access_token",
    "/login_refresh",
    "/csrf/api/v1/token",
    "/user_api/v1/account/login_session/",
)

# Middleware that can answer a request before a CORS middleware placed after it runs, so
# the answer (a redirect, a 403) carries no CORS headers. Value: why, and the setting that
# must be on for it to happen (None: always).
EARLY_ANSWERS: dict[str, tuple[str, str | None]] = {
    "django.middleware.security.SecurityMiddleware": (
        "its SECURE_SSL_REDIRECT answers http requests with a 301, and a redirected preflight "
        "fails (PreflightDisallowedRedirect)",
        "SECURE_SSL_REDIRECT",
    ),
    "django.middleware.common.CommonMiddleware": (
        "its APPEND_SLASH/PREPEND_WWW redirects leave without CORS headers",
        None,
    ),
    "django.middleware.locale.LocaleMiddleware": (
        "its language-prefix redirects leave without CORS headers",
        None,
    ),
    "django.contrib.redirects.middleware.RedirectFallbackMiddleware": (
        "its redirects leave without CORS headers",
        None,
    ),
    "common.djangoapps.student.middleware.UserStandingMiddleware": (
        "it answers disabled accounts with a 403 of its own",
        None,
    ),
    "openedx.core.djangoapps.embargo.middleware.EmbargoMiddleware": (
        "it redirects embargoed requests",
        None,
    ),
}


# -- the input ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GatePattern:
    row: RuleRow
    pattern: OriginPattern


@dataclass(frozen=True)
class _Allowed:
    shown: str  # what the operator wrote
    sample: str  # an origin it allows
    credentials: bool
    layer: str
    gate_trusted: bool = False


@dataclass(frozen=True)
class AuditInput:
    """What the rules read. Derived values are worked out once per input (cached_property
    stores them in the instance's __dict__, which a frozen dataclass leaves writable)."""

    settings: SettingsView
    database: DatabaseView | None = None
    database_problem: str = ""  # why `database` is None
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))

    @property
    def policy(self) -> PolicyRow:
        """cors_gate's policy; its model defaults when the table cannot be read."""
        return self.database.policy if self.database is not None else PolicyRow()

    @cached_property
    def rows(self) -> tuple[RuleRow, ...]:
        """Pinned settings entries first, then the database rows."""
        pinned = [RuleRow(pattern=p, source=PINNED_SETTING) for p in self.settings.pinned_origins]
        stored = list(self.database.rules) if self.database is not None else []
        return (*pinned, *stored)

    def is_live(self, row: RuleRow) -> bool:
        return row.enabled and (row.expires_at is None or row.expires_at > self.now)

    @property
    def gate_on(self) -> bool:
        return self.policy.mode != "off"

    @property
    def gate_credentials(self) -> bool:
        return self.policy.allow_credentials

    @property
    def corsheaders_credentials(self) -> bool:
        return bool(self.settings.credentials.value)

    @cached_property
    def live_patterns(self) -> tuple[GatePattern, ...]:
        """The cors_gate entries that decide requests today (parsed; invalid ones skipped)."""
        if not self.gate_on:
            return ()
        out: list[GatePattern] = []
        for row in self.rows:
            if not self.is_live(row):
                continue
            try:
                out.append(GatePattern(row, parse_pattern(row.pattern)))
            except OriginError:
                continue  # reported by cors.invalid-pattern
        return tuple(out)

    @cached_property
    def regex_analyses(self) -> tuple[regex_probe.RegexAnalysis, ...]:
        """regex_probe.analyse() of each django-cors-headers origin regex, in order."""
        return tuple(regex_probe.analyse(regex) for regex in self.settings.origin_regexes.value)

    @cached_property
    def allowed_samples(self) -> tuple[_Allowed, ...]:
        """One sample origin per allow-list entry of both layers (not allow-all, not any-origin)."""
        out: list[_Allowed] = []
        cred = self.corsheaders_credentials
        for entry in self.settings.allowed_origins.value:
            good = canonical(str(entry))
            if good:
                out.append(_Allowed(str(entry), good, cred, CORSHEADERS))
        for analysis in self.regex_analyses:
            if not analysis.error and not analysis.any_origin:
                out.extend(_Allowed(analysis.text, e, cred, CORSHEADERS) for e in analysis.examples)
        for gp in self.live_patterns:
            p = gp.pattern
            if p.matches_any_origin or p.scheme == "*":
                continue
            host = ".".join("l" if label == "*" else label for label in p.labels)
            port = "" if p.port is None and not p.any_port else f":{p.port or 8443}"
            sample = f"{p.scheme}://{host}{port}"
            out.append(_Allowed(p.text, sample, self.gate_credentials, GATE, gp.row.csrf_trusted))
        return tuple(out)


def _subject(row: RuleRow) -> str:
    return row.pattern if row.source == "database" else f"{row.source}: {row.pattern}"


# -- the registry ---------------------------------------------------------------------------

RuleFunc = Callable[[AuditInput], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    check: int  # the NNN of cors_gate.ENNN / WNNN / INNN
    func: RuleFunc
    deploy: bool  # only `check --deploy` runs it

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]


RULES: list[Rule] = []


def rule(rule_id: str, check: int, *, deploy: bool = True) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        RULES.append(Rule(rule_id, check, func, deploy))
        return func

    return register


def _f(
    rule_id: str,
    severity: Severity,
    title: str,
    detail: str,
    fix: str,
    subject: str = "",
) -> Finding:
    return Finding(
        id=rule_id,
        severity=severity,
        area=rule_id.split(".", 1)[0],
        title=title,
        detail=detail,
        fix=fix,
        subject=subject,
    )


def _by_credentials(credentials: bool) -> Severity:
    return Severity.ERROR if credentials else Severity.WARNING


LIST_THEM = (
    "List each front end's origin in CORS_ALLOWED_ORIGINS (Open edX: "
    "EDXAPP_CORS_ORIGIN_WHITELIST) or as a cors_gate allowed origin"
)


# -- allow-all and any-origin -------------------------------------------------------------


@rule("cors.allow-all-credentials", 1)
def allow_all_credentials(inp: AuditInput) -> Iterator[Finding]:
    allow_all, cred = inp.settings.allow_all, inp.settings.credentials
    if allow_all.value and cred.value:
        yield _f(
            "cors.allow-all-credentials",
            Severity.ERROR,
            "every web site may read credentialed answers",
            f"{allow_all.name} = True and credentials are on ({cred.name}): "
            "django-cors-headers echoes any Origin with Access-Control-Allow-Credentials: true, "
            "so any page a logged-in user opens can read their data through the API",
            f"Set {allow_all.name} = False. {LIST_THEM}.",
            allow_all.name,
        )


@rule("cors.allow-all", 2)
def allow_all(inp: AuditInput) -> Iterator[Finding]:
    named = inp.settings.allow_all
    if named.value and not inp.settings.credentials.value:
        yield _f(
            "cors.allow-all",
            Severity.WARNING,
            "every web site may read the API's uncredentialed answers",
            f"{named.name} = True: django-cors-headers answers Access-Control-Allow-Origin: * "
            "(and reflects the origin as soon as credentials are turned on)",
            f"Set {named.name} = False. {LIST_THEM}.",
            named.name,
        )


@rule("cors.any-origin-pattern", 3)
def any_origin_pattern(inp: AuditInput) -> Iterator[Finding]:
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        if analysis.any_origin:
            yield _f(
                "cors.any-origin-pattern",
                _by_credentials(inp.corsheaders_credentials),
                "the regex allows any origin",
                f"{regexes.name} entry {analysis.text!r} accepts "
                f"{', '.join(repr(o) for o in analysis.any_origin)} (re.match, as "
                "django-cors-headers tests it)",
                f"Anchor the regex to your own hosts, e.g. r'^https://apps\\.example\\.com\\Z'. "
                f"{LIST_THEM}.",
                analysis.text,
            )
    for gp in inp.live_patterns:
        if gp.pattern.matches_any_origin:
            yield _f(
                "cors.any-origin-pattern",
                _by_credentials(inp.gate_credentials),
                "a cors_gate entry allows any origin",
                f"{gp.pattern.text!r} matches every host"
                + (" and the policy sends credentials" if inp.gate_credentials else ""),
                "Replace it with one entry per front end, e.g. https://apps.example.com.",
                _subject(gp.row),
            )


# -- null and http -------------------------------------------------------------------------


def _matches_null(entry: str) -> bool:
    """django-cors-headers compares urlsplit(entry) with urlsplit('null'): no scheme, no host."""
    parts = origin_facts.split(entry)
    return parts is not None and not parts.scheme and not parts.netloc


@rule("cors.null-credentials", 4)
def null_origin(inp: AuditInput) -> Iterator[Finding]:
    exact = inp.settings.allowed_origins
    severity = _by_credentials(inp.corsheaders_credentials)
    why = (
        "sandboxed iframes, file: and data: pages and requests after a cross-origin redirect "
        "all send Origin: null, so any site can"
    )
    for entry in exact.value:
        text = str(entry)
        if text == "null" or _matches_null(text):
            how = "is 'null'" if text == "null" else "has no scheme, so it matches 'null'"
            yield _f(
                "cors.null-credentials",
                severity,
                "Origin: null is allowed",
                f"{exact.name} entry {text!r} {how}: {why} get an allowed answer"
                + (" with credentials" if inp.corsheaders_credentials else ""),
                f"Remove {text!r} from {exact.name}"
                + ("" if text == "null" else f"; write it with its scheme, e.g. 'https://{text}'")
                + ".",
                text,
            )
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        if analysis.error or analysis.any_origin:
            continue  # reported by cors.invalid-regex / cors.any-origin-pattern
        if analysis.accepts_null:
            yield _f(
                "cors.null-credentials",
                severity,
                "Origin: null is allowed",
                f"{regexes.name} entry {analysis.text!r} accepts 'null': {why} get an allowed "
                "answer",
                "Remove the 'null' alternative from the regex.",
                analysis.text,
            )
    policy = inp.policy
    if inp.gate_on and policy.allow_null_origin:
        yield _f(
            "cors.null-credentials",
            _by_credentials(policy.allow_credentials),
            "cors_gate's policy allows Origin: null",
            f"allow_null_origin is on{' with credentials' if policy.allow_credentials else ''}: "
            f"{why} get an allowed answer",
            "Turn allow_null_origin off in the CORS policy (admin: CORS policy).",
            "CorsPolicy.allow_null_origin",
        )


@rule("cors.http-origin-credentials", 5)
def http_origin(inp: AuditInput) -> Iterator[Finding]:
    def finding(text: str, host: str, where: str, subject: str) -> Finding:
        loopback = origin_facts.is_loopback(host)
        return _f(
            "cors.http-origin-credentials",
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

    if inp.corsheaders_credentials:
        exact = inp.settings.allowed_origins
        for entry in exact.value:
            parts = origin_facts.split(str(entry))
            if parts is not None and parts.scheme == "http" and parts.hostname:
                yield finding(str(entry), parts.hostname, f"{exact.name} entry", str(entry))
        regexes = inp.settings.origin_regexes
        for analysis in inp.regex_analyses:
            for example in analysis.examples:
                parts = origin_facts.split(example)
                if parts is not None and parts.scheme == "http" and parts.hostname:
                    yield finding(
                        example,
                        parts.hostname,
                        f"{regexes.name} entry {analysis.text!r} allows",
                        analysis.text,
                    )
                    break
    if inp.gate_credentials:
        for gp in inp.live_patterns:
            if gp.pattern.scheme in ("http", "*") and not gp.pattern.matches_any_origin:
                yield finding(gp.pattern.text, gp.pattern.host, "cors_gate entry", _subject(gp.row))


# -- public suffixes and code hosts ----------------------------------------------------------


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


@rule("cors.public-suffix-wildcard", 6)
def public_suffix_wildcard(inp: AuditInput) -> Iterator[Finding]:
    def finding(text: str, suffix: str, where: str, credentials: bool, subject: str) -> Finding:
        anyone = "any top-level domain" if suffix == "*" else f"{suffix!r} is a public suffix"
        return _f(
            "cors.public-suffix-wildcard",
            _by_credentials(credentials),
            "a wildcard allows every site under a public suffix",
            f"{where} {text!r}: {anyone}, so anyone can register a name it matches "
            "(Public Suffix List)",
            "Name your own hosts instead, e.g. https://myorg.github.io.",
            subject,
        )

    for gp in inp.live_patterns:
        if gp.pattern.matches_any_origin:
            continue
        suffix = _over_public_suffix(gp.pattern.host)
        if suffix:
            yield finding(
                gp.pattern.text, suffix, "cors_gate entry", inp.gate_credentials, _subject(gp.row)
            )
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        for suggestion in analysis.suggestions:
            host = suggestion.split("://", 1)[-1].rsplit(":", 1)[0]
            suffix = _over_public_suffix(host)
            if suffix:
                yield finding(
                    analysis.text,
                    suffix,
                    f"{regexes.name} entry (the same as cors_gate's {suggestion!r})",
                    inp.corsheaders_credentials,
                    analysis.text,
                )
                break


@rule("cors.code-host-origin", 7)
def code_host_origin(inp: AuditInput) -> Iterator[Finding]:
    def shared(host: str) -> str | None:
        service = origin_facts.code_host(host)
        if service is None:
            return None
        # myorg.github.io belongs to one tenant (github.io is a public suffix): not shared.
        if host != service and origin_facts.is_public_suffix(service):
            return None
        return service

    def finding(text: str, service: str, where: str, credentials: bool, subject: str) -> Finding:
        return _f(
            "cors.code-host-origin",
            _by_credentials(credentials),
            "a code-hosting site is allowed",
            f"{where} {text!r} is {service}, where anyone can publish a page that runs script "
            "on that origin",
            "Remove it; demos there should call a sandbox API without credentials.",
            subject,
        )

    exact = inp.settings.allowed_origins
    for entry in exact.value:
        host = origin_facts.host_of(str(entry))
        service = shared(host) if host else None
        if service:
            yield finding(
                str(entry), service, f"{exact.name} entry", inp.corsheaders_credentials, str(entry)
            )
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        if analysis.any_origin:
            continue  # reported by cors.any-origin-pattern
        for example in analysis.examples:
            host = origin_facts.host_of(example)
            service = shared(host) if host else None
            if service:
                where = f"{regexes.name} entry {analysis.text!r} allows"
                yield finding(example, service, where, inp.corsheaders_credentials, analysis.text)
                break
    for gp in inp.live_patterns:
        if gp.pattern.matches_any_origin or _over_public_suffix(gp.pattern.host):
            continue  # reported by the two rules above
        host = ".".join(label for label in gp.pattern.labels if label != "*")
        service = shared(host)
        if service:
            yield finding(
                gp.pattern.text, service, "cors_gate entry", inp.gate_credentials, _subject(gp.row)
            )


# -- regexes -----------------------------------------------------------------------------------


@rule("cors.regex-hostile-origin", 8)
def regex_hostile_origin(inp: AuditInput) -> Iterator[Finding]:
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        worst = analysis.worst
        if analysis.error or analysis.any_origin or worst is None:
            continue
        if not inp.corsheaders_credentials and worst is Severity.ERROR:
            worst = Severity.WARNING  # readable without cookies only
        kinds = ", ".join(p.kind for p in analysis.accepted)
        accepted = "; ".join(f"{p.kind}: {p.origin!r} ({p.why})" for p in analysis.accepted)
        fix = (
            "Anchor the end with $, escape every dot, and write a label as [a-z0-9-]+ "
            "(not \\w+ or .*)"
        )
        if analysis.suggestions:
            fix += f"; or replace the regex with cors_gate's {', '.join(analysis.suggestions)}"
        yield _f(
            "cors.regex-hostile-origin",
            worst,
            f"the regex accepts hostile origins ({kinds})",
            f"{regexes.name} entry {analysis.text!r}, meant for origins such as "
            f"{', '.join(analysis.examples) or '(none recognised)'}, accepts {accepted}",
            fix + ".",
            analysis.text,
        )


@rule("cors.invalid-regex", 9, deploy=False)
def invalid_regex(inp: AuditInput) -> Iterator[Finding]:
    regexes = inp.settings.origin_regexes
    for regex in regexes.value:
        error = regex_probe.compile_error(regex)  # not analyse(): this runs at start-up
        if error:
            text = regex_probe.regex_text(regex)
            yield _f(
                "cors.invalid-regex",
                Severity.ERROR,
                "an origin regex does not compile",
                f"{regexes.name} entry {text!r}: {error}; django-cors-headers "
                "raises on every cross-origin request (500)",
                "Fix the regex, or replace it with a cors_gate pattern such as "
                "https://*.example.com.",
                text,
            )


# Runs on every `check` (start-up): there it sees the settings-pinned entries, the ones no
# form validated; stored rows are validated on save and checked by the audit command.
# A pinned entry is the one channel no service validates, so the credentials refusal every
# write path applies (a wildcard over a public suffix) is an Error here, before start-up.
@rule("cors.invalid-pattern", 10, deploy=False)
def invalid_pattern(inp: AuditInput) -> Iterator[Finding]:
    from cors_gate.models import credentials_refusal, too_broad

    for row in inp.rows:
        try:
            parsed = parse_pattern(row.pattern)
        except OriginError as exc:
            yield _f(
                "cors.invalid-pattern",
                Severity.ERROR,
                "a cors_gate entry is not a valid origin pattern",
                f"{row.source} entry {row.pattern!r}: {exc}; the gate ignores it",
                "Write it as PROTOCOL://HOST[:PORT], e.g. https://apps.example.com.",
                _subject(row),
            )
            continue
        broad = too_broad(parsed) if row.source == PINNED_SETTING else None
        if broad and inp.gate_credentials:
            yield _f(
                "cors.invalid-pattern",
                Severity.ERROR,
                "a cors_gate entry is refused while credentials are on",
                f"{row.source} entry {credentials_refusal(parsed.text, broad)}",
                "Name your own hosts, e.g. https://*.example.com, or turn the policy's "
                "credentials off.",
                _subject(row),
            )


# -- exact entries --------------------------------------------------------------------------


def canonical(entry: str) -> str | None:
    """The browser's serialisation of an exact entry, or None when it has no host."""
    parts = origin_facts.split(entry)
    if parts is None or not parts.scheme or not parts.hostname:
        return None
    return url_origin(entry)


@rule("cors.non-canonical-origin", 11)
def non_canonical_origin(inp: AuditInput) -> Iterator[Finding]:
    regexes = inp.settings.origin_regexes
    for analysis in inp.regex_analyses:
        if analysis.schemeless:
            yield _f(
                "cors.non-canonical-origin",
                Severity.ERROR,
                "an origin regex never matches",
                f"{regexes.name} entry {analysis.text!r} matches {analysis.schemeless!r} but "
                f"not 'https://{analysis.schemeless}': browsers send the scheme and "
                "django-cors-headers anchors the regex at the start",
                f"Start it with the scheme, e.g. r'^https://{re.escape(analysis.schemeless)}\\Z'.",
                analysis.text,
            )
    exact = inp.settings.allowed_origins
    entries = [str(e) for e in exact.value]
    present = set(entries)
    for text in entries:
        if text == "null":
            continue
        parts = origin_facts.split(text)
        good = canonical(text)
        if parts is None or good is None:
            yield _f(
                "cors.non-canonical-origin",
                Severity.ERROR,
                "an allowed origin has no scheme",
                f"{exact.name} entry {text!r}: django-cors-headers compares scheme and host from "
                "urlsplit, finds neither, so it never matches the front end and it does match "
                "'Origin: null'",
                f"Write it as 'https://{text.strip('/')}'.",
                text,
            )
            continue
        never: list[str] = []
        ignored: list[str] = []
        if parts.netloc != parts.netloc.lower():
            never.append("upper case (browsers send the host in lower case)")
        if parts.port is not None and parts.port == DEFAULT_PORTS.get(parts.scheme):
            never.append(f"the default port :{parts.port} (browsers omit it)")
        if parts.path == "/":
            ignored.append("a trailing slash")
        elif parts.path:
            ignored.append(f"a path {parts.path!r}")
        if parts.query or parts.fragment:
            ignored.append("a query or fragment")
        if never:
            twin = good in present
            yield _f(
                "cors.non-canonical-origin",
                Severity.WARNING if twin else Severity.ERROR,
                "an allowed origin never matches",
                f"{exact.name} entry {text!r} has {' and '.join(never)}; django-cors-headers "
                "compares the host text as written, so requests from "
                f"{good} are refused" + (f" (harmless: {good} is listed too)" if twin else ""),
                f"Write {good!r}" + (" and delete this one" if twin else "") + ".",
                text,
            )
        elif ignored:
            yield _f(
                "cors.non-canonical-origin",
                Severity.WARNING,
                "an allowed origin is not in a browser's form",
                f"{exact.name} entry {text!r} has {' and '.join(ignored)}: django-cors-headers "
                "ignores it, other tools (and cors_gate) do not",
                f"Write {good!r}.",
                text,
            )


# -- CSRF ------------------------------------------------------------------------------------


def _csrf_trusted(origin: str, trusted: Iterable[str]) -> bool:
    """Django's CsrfViewMiddleware._origin_verified, for a cross-origin request."""
    parts = origin_facts.split(origin)
    if parts is None:
        return False
    for entry in trusted:
        if entry == origin:
            return True
        if "*" in entry:
            t = origin_facts.split(entry)
            same_scheme = t is not None and t.scheme == parts.scheme
            if same_scheme and t is not None and is_same_domain(parts.netloc, t.netloc.lstrip("*")):
                return True
    return False


def _own_origins(inp: AuditInput) -> set[str]:
    """The LMS/Studio origins: same-origin requests pass Django's CSRF check anyway."""
    own: set[str] = set()
    for name in ("LMS_ROOT_URL", "CMS_ROOT_URL"):
        value = inp.settings.get(name)
        if isinstance(value, str) and (good := canonical(value)):
            own.add(good)
    return own


def _gate_csrf_on(inp: AuditInput) -> bool:
    return any(m.startswith("cors_gate.csrf.") for m in inp.settings.middleware)


@rule("csrf.allowed-origin-not-trusted", 12)
def allowed_not_trusted(inp: AuditInput) -> Iterator[Finding]:
    trusted = inp.settings.csrf_trusted_origins
    own = _own_origins(inp)
    gate_csrf = _gate_csrf_on(inp)
    missing: list[str] = []
    for a in inp.allowed_samples:
        if not a.credentials or a.sample in own:
            continue
        gate_trusts = gate_csrf and a.gate_trusted and csrf_trust_shape_ok(a.shown)
        if _csrf_trusted(a.sample, trusted) or gate_trusts:
            continue
        missing.append(a.shown)
    missing = list(dict.fromkeys(missing))  # each entry once, in first-seen order
    if missing:
        yield _f(
            "csrf.allowed-origin-not-trusted",
            Severity.WARNING,
            "allowed front ends cannot POST with cookies",
            f"{', '.join(missing)} may send credentialed requests, but "
            "CSRF_TRUSTED_ORIGINS does not trust them: every POST/PUT/PATCH/DELETE they send "
            "with the session cookie fails Django's CSRF origin check (403)",
            "Add them to CSRF_TRUSTED_ORIGINS (wildcards such as https://*.example.com work), "
            "or mark the cors_gate rule 'CSRF trusted'.",
            "CSRF_TRUSTED_ORIGINS",
        )


@rule("csrf.trusted-not-allowed", 13)
def trusted_not_allowed(inp: AuditInput) -> Iterator[Finding]:
    if inp.settings.allow_all.value:
        return
    allowed = [a.sample for a in inp.allowed_samples]
    patterns = [gp.pattern for gp in inp.live_patterns]
    own = _own_origins(inp)
    orphans: list[str] = []
    for entry in inp.settings.csrf_trusted_origins:
        if "*" in entry or entry in own:
            continue
        good = canonical(entry)
        if good is None or good in allowed:
            continue
        if any(regex_probe.accepts_any(r, good) for r in inp.settings.origin_regexes.value):
            continue
        request_origin = parse_request_origin(good)
        if request_origin is not None and any(p.matches(request_origin) for p in patterns):
            continue
        orphans.append(entry)
    if orphans:
        yield _f(
            "csrf.trusted-not-allowed",
            Severity.INFO,
            "CSRF-trusted origins that CORS does not allow",
            f"{', '.join(orphans)} are in CSRF_TRUSTED_ORIGINS but no CORS allow-list has "
            "them: their forms may POST, but their scripts cannot read any answer",
            "Allow them in CORS too if a front end there calls the API, or drop them from "
            "CSRF_TRUSTED_ORIGINS.",
            "CSRF_TRUSTED_ORIGINS",
        )


def _samesite(value: object) -> str:
    return "(unset, browsers use Lax)" if value in (None, False, "") else str(value)


@rule("csrf.cookie-samesite", 14)
def cookie_samesite(inp: AuditInput) -> Iterator[Finding]:
    s = inp.settings
    for prefix in ("SESSION", "CSRF"):
        samesite = s.get(f"{prefix}_COOKIE_SAMESITE", "Lax")
        secure = bool(s.get(f"{prefix}_COOKIE_SECURE", False))
        if str(samesite).lower() == "none" and not secure:
            yield _f(
                "csrf.cookie-samesite",
                Severity.WARNING,  # a lost cookie, not an unsafe answer: no error
                f"the {prefix.lower()} cookie is SameSite=None without Secure",
                f"{prefix}_COOKIE_SAMESITE = 'None' and {prefix}_COOKIE_SECURE = False: "
                "browsers refuse such a cookie, so it is never stored",
                f"Set {prefix}_COOKIE_SECURE = True (and serve the site over https).",
                f"{prefix}_COOKIE_SECURE",
            )
    lms = s.get("LMS_ROOT_URL")
    lms_site = origin_facts.site_of(lms) if isinstance(lms, str) else None
    if lms_site is None:
        return  # without the site's own URL, same-site and cross-site cannot be told apart
    # Listed front ends only: allow-all's strangers losing their cookies is a relief, not a bug.
    cross = list(
        dict.fromkeys(
            a.shown
            for a in inp.allowed_samples
            if a.credentials and origin_facts.site_of(a.sample) != lms_site
        )
    )
    if not cross:
        return
    lax = [
        f"{prefix}_COOKIE_SAMESITE = {_samesite(s.get(f'{prefix}_COOKIE_SAMESITE', 'Lax'))}"
        for prefix in ("SESSION", "CSRF")
        if str(s.get(f"{prefix}_COOKIE_SAMESITE", "Lax")).lower() != "none"
    ]
    if lax:
        yield _f(
            "csrf.cookie-samesite",
            Severity.WARNING,
            "cross-site front ends get no session or CSRF cookie",
            f"{', '.join(cross)} {'is' if len(cross) == 1 else 'are'} on another site than "
            f"{lms}, and {', '.join(lax)}: browsers do not send those cookies with their "
            "fetch calls, so the user looks logged out there and POSTs fail the CSRF check",
            "Serve the front ends from the LMS's own site (apps.<your domain>), or set the "
            "cookies' SameSite to 'None' with Secure = True.",
            "SESSION_COOKIE_SAMESITE",
        )


@rule("csrf.cross-domain-cookie", 15)
def cross_domain_cookie(inp: AuditInput) -> Iterator[Finding]:
    s = inp.settings
    if not s.feature("ENABLE_CROSS_DOMAIN_CSRF_COOKIE"):
        return
    name = s.get("CROSS_DOMAIN_CSRF_COOKIE_NAME", "")
    domain = s.get("CROSS_DOMAIN_CSRF_COOKIE_DOMAIN", "")
    for setting, value, example in (
        ("CROSS_DOMAIN_CSRF_COOKIE_NAME", name, "'example-csrftoken'"),
        ("CROSS_DOMAIN_CSRF_COOKIE_DOMAIN", domain, "'.example.com'"),
    ):
        if not value:
            yield _f(
                "csrf.cross-domain-cookie",
                Severity.ERROR,
                f"{setting} is empty",
                f"ENABLE_CROSS_DOMAIN_CSRF_COOKIE is on but {setting} is {value!r}: the "
                "cross-domain CSRF cookie cannot be set (Open edX's "
                "CsrfCrossDomainCookieMiddleware refuses to start), so front ends on other "
                "subdomains have no token to send",
                f"Set {setting} (e.g. {example}).",
                setting,
            )
    if name and name == s.get("CSRF_COOKIE_NAME", "csrftoken"):
        yield _f(
            "csrf.cross-domain-cookie",
            Severity.WARNING,
            "the cross-domain CSRF cookie has the regular CSRF cookie's name",
            f"CROSS_DOMAIN_CSRF_COOKIE_NAME = {name!r} = CSRF_COOKIE_NAME: the two cookies "
            "overwrite each other in the browser",
            "Give the cross-domain cookie its own name, e.g. 'example-csrftoken'.",
            "CROSS_DOMAIN_CSRF_COOKIE_NAME",
        )
    if s.allow_all.value:
        return
    # openedx-platform's CsrfCrossDomainCookieMiddleware (cors_csrf) sets the cookie only for
    # a Referer whose origin is in CORS_ORIGIN_WHITELIST, whatever cors_gate allows.
    listed = {c for e in s.get("CORS_ORIGIN_WHITELIST", ()) or () if (c := canonical(str(e)))}
    missing = [
        gp.pattern.text
        for gp in inp.live_patterns
        if not gp.pattern.is_wildcard and canonical(gp.pattern.text) not in listed
    ]
    if missing:
        yield _f(
            "csrf.cross-domain-cookie",
            Severity.WARNING,
            "front ends cors_gate allows get no cross-domain CSRF cookie",
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} allowed by cors_gate "
            "but not in CORS_ORIGIN_WHITELIST: Open edX's CsrfCrossDomainCookieMiddleware "
            "(openedx/core/djangoapps/cors_csrf) reads that list, not cors_gate's, to decide "
            "which Referers get the cookie, so their POSTs have no CSRF token to send",
            "Keep these origins in CORS_ORIGIN_WHITELIST (Open edX: EDXAPP_CORS_ORIGIN_WHITELIST) "
            "as long as ENABLE_CROSS_DOMAIN_CSRF_COOKIE is on, even after removing "
            "django-cors-headers' middleware.",
            "CORS_ORIGIN_WHITELIST",
        )


# -- middleware ------------------------------------------------------------------------------


def _gate_decides_before(inp: AuditInput, cors: str) -> bool:
    """Whether CorsGateMiddleware runs ahead of `cors` and enforces: then it overwrites or
    strips whatever `cors` answered, and `cors`'s place in MIDDLEWARE changes nothing."""
    chain = inp.settings.middleware
    if CORS_GATE_MIDDLEWARE not in chain or cors not in chain:
        return False
    ahead = chain.index(CORS_GATE_MIDDLEWARE) < chain.index(cors)
    return ahead and inp.database is not None and inp.policy.mode == "enforce"


# A deploy check, and a warning: the platform's stock MIDDLEWARE lists CommonMiddleware and
# CsrfViewMiddleware before django-cors-headers, and an error here would stop `migrate`
# (Tutor's init job) on every stock LMS and Studio. What it costs is a CORS error in place
# of a redirect or a 403, not an unsafe answer.
@rule("cors.middleware-order", 16)
def middleware_order(inp: AuditInput) -> Iterator[Finding]:
    chain = inp.settings.middleware
    for cors in (CORS_GATE_MIDDLEWARE, CORSHEADERS_MIDDLEWARE):
        if cors not in chain:
            continue
        if cors == CORSHEADERS_MIDDLEWARE and _gate_decides_before(inp, cors):
            continue
        position = chain.index(cors)
        for earlier in chain[:position]:
            known = EARLY_ANSWERS.get(earlier)
            if known is None:
                continue
            why, needs = known
            if needs is not None and not inp.settings.get(needs, False):
                continue
            fix = f"Move {cors} above {earlier} (first in MIDDLEWARE is safest)."
            if cors == CORSHEADERS_MIDDLEWARE and inp.settings.cors_gate_active:
                fix = (
                    f"Switch cors_gate's policy to 'enforce' once its allow-list is complete "
                    f"(CorsGateMiddleware comes first and then decides alone), or move {cors} "
                    f"above {earlier}."
                )
            yield _f(
                "cors.middleware-order",
                Severity.WARNING,
                f"{cors.rsplit('.', 1)[-1]} comes after {earlier.rsplit('.', 1)[-1]}",
                f"MIDDLEWARE lists {earlier} before {cors}: {why}, so the browser reports a "
                "CORS error instead of the real answer",
                fix,
                cors,
            )


@rule("cors.middleware-missing", 17)
def middleware_missing(inp: AuditInput) -> Iterator[Finding]:
    s = inp.settings
    if "cors_gate" not in s.installed_apps and "cors_gate.apps.CorsGateConfig" not in (
        s.installed_apps
    ):
        return
    if s.cors_gate_active:
        return
    via_signal = s.corsheaders_active and bool(s.get("CORS_GATE_CORSHEADERS_SIGNAL", False))
    if via_signal:
        return
    yield _f(
        "cors.middleware-missing",
        Severity.WARNING,
        "cors_gate's allow-list decides nothing",
        f"cors_gate is installed but {CORS_GATE_MIDDLEWARE} is not in MIDDLEWARE (and "
        "CORS_GATE_CORSHEADERS_SIGNAL is off): the origins managed in the admin have no effect",
        f"Add {CORS_GATE_MIDDLEWARE} at the top of MIDDLEWARE (Open edX: leave "
        "CORS_GATE_AUTO_MIDDLEWARE on), or turn CORS_GATE_CORSHEADERS_SIGNAL on.",
        "MIDDLEWARE",
    )


@rule("cors.two-cors-middlewares", 18)
def two_cors_middlewares(inp: AuditInput) -> Iterator[Finding]:
    s = inp.settings
    if not (s.cors_gate_active and s.corsheaders_active):
        return
    theirs = {c for e in s.allowed_origins.value if (c := canonical(str(e)))}
    theirs |= {regex_probe.regex_text(r) for r in s.origin_regexes.value}
    if s.allow_all.value:
        theirs.add("*")
    mine = {gp.pattern.text for gp in inp.live_patterns}
    if theirs == mine:
        yield _f(
            "cors.two-cors-middlewares",
            Severity.INFO,
            "two CORS middlewares with the same origins",
            "cors_gate and django-cors-headers both run and allow the same origins today",
            f"Remove {CORSHEADERS_MIDDLEWARE} from MIDDLEWARE (or turn "
            "CORS_GATE_CORSHEADERS_SIGNAL on and keep only one list).",
            "MIDDLEWARE",
        )
        return

    def shown(origins: set[str]) -> str:
        return ", ".join("any origin (allow-all)" if o == "*" else o for o in sorted(origins))

    only_theirs, only_mine = theirs - mine, mine - theirs
    chain = s.middleware
    mode = inp.policy.mode
    lost: set[str] = set()
    if chain.index(CORS_GATE_MIDDLEWARE) < chain.index(CORSHEADERS_MIDDLEWARE):
        if mode == "enforce":
            decides = (
                "CorsGateMiddleware comes first and enforces: it answers preflights itself and "
                "replaces or strips django-cors-headers' headers on every other response, so "
                "cors_gate alone decides"
            )
            lost = only_theirs
            consequence = f"refused although django-cors-headers lists them: {shown(lost)}"
        else:
            decides = f"cors_gate's policy is {mode!r}, so django-cors-headers decides"
            consequence = f"allowed although cors_gate does not list them: {shown(only_theirs)}"
    else:
        decides = (
            "CorsMiddleware comes first: it answers every preflight itself, so cors_gate "
            "never sees them"
        )
        lost = only_mine if mode == "enforce" else set()
        consequence = f"preflights refused although cors_gate lists them: {shown(only_mine)}"
    yield _f(
        "cors.two-cors-middlewares",
        Severity.ERROR if lost else Severity.WARNING,
        "two CORS middlewares with different origin lists",
        f"{decides}. Only django-cors-headers allows: {shown(only_theirs) or 'nothing'}; "
        f"only cors_gate allows: {shown(only_mine) or 'nothing'}"
        + (f". Front ends {consequence}" if lost or mode != "enforce" else ""),
        "Keep one list: add the origins to cors_gate (cors_gate_origins add …), then remove "
        f"{CORSHEADERS_MIDDLEWARE} from MIDDLEWARE.",
        "MIDDLEWARE",
    )


# -- policy values ----------------------------------------------------------------------------


@rule("cors.max-age", 19)
def max_age(inp: AuditInput) -> Iterator[Finding]:
    found: list[tuple[str, int]] = []
    if inp.gate_on and (inp.policy.max_age or 0) > CHROMIUM_MAX_AGE_CAP:
        found.append(("CorsPolicy.max_age", int(inp.policy.max_age or 0)))
    value = inp.settings.get("CORS_PREFLIGHT_MAX_AGE")
    if isinstance(value, int) and value > CHROMIUM_MAX_AGE_CAP:
        found.append(("CORS_PREFLIGHT_MAX_AGE", value))
    for where, seconds in found:
        yield _f(
            "cors.max-age",
            Severity.WARNING,
            "the preflight max age is above 7200 s",
            f"{where} = {seconds}: Chromium caps preflight caching at 7200 s, Firefox keeps "
            f"it up to 86400 s, so a method or header you withdraw stays usable there for "
            f"{seconds} s",
            "Use 7200 or less.",
            where,
        )


@rule("cors.report-only", 20)
def report_only(inp: AuditInput) -> Iterator[Finding]:
    if inp.database is not None and inp.policy.mode == "report-only":
        yield _f(
            "cors.report-only",
            Severity.WARNING,
            "cors_gate is in report-only mode",
            "CorsPolicy.mode = 'report-only': decisions are recorded but nothing is enforced; "
            "the observed-origins list shows what enforcing would refuse",
            "Review the observed origins, then set the mode to 'enforce'.",
            "CorsPolicy.mode",
        )


@rule("cors.policy-off", 21)
def policy_off(inp: AuditInput) -> Iterator[Finding]:
    if inp.database is not None and inp.policy.mode == "off" and inp.settings.cors_gate_active:
        yield _f(
            "cors.policy-off",
            Severity.WARNING,
            "cors_gate is switched off",
            "CorsPolicy.mode = 'off' while CorsGateMiddleware is in MIDDLEWARE: no origin is "
            "allowed by cors_gate, so its front ends fail",
            "Set the mode to 'enforce' (or 'report-only' while migrating).",
            "CorsPolicy.mode",
        )


@rule("cors.expired-rule", 22)
def expired_rule(inp: AuditInput) -> Iterator[Finding]:
    soon = inp.now + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    for row in inp.rows:
        if not row.enabled or row.expires_at is None:
            continue
        when = row.expires_at.isoformat(timespec="minutes")
        if row.expires_at <= inp.now:
            yield _f(
                "cors.expired-rule",
                Severity.WARNING,
                "an allowed origin has expired",
                f"{row.pattern!r} expired at {when}: requests from it are refused"
                + (f" (note: {row.note})" if row.note else ""),
                "Delete the rule, or give it a new expiry date if the front end still needs it.",
                _subject(row),
            )
        elif row.expires_at <= soon:
            days = max((row.expires_at - inp.now).days, 0)
            yield _f(
                "cors.expired-rule",
                Severity.WARNING,
                "an allowed origin expires soon",
                f"{row.pattern!r} expires at {when} (in {days} day{'s' if days != 1 else ''})",
                "Extend the expiry date if the front end still needs it.",
                _subject(row),
            )


@rule("cors.disabled-rule", 23)
def disabled_rule(inp: AuditInput) -> Iterator[Finding]:
    for row in inp.rows:
        if not row.enabled:
            yield _f(
                "cors.disabled-rule",
                Severity.INFO,
                "an allowed origin is disabled",
                f"{row.pattern!r} is disabled and allows nothing"
                + (f" (note: {row.note})" if row.note else ""),
                "Delete it if it is not coming back.",
                _subject(row),
            )


def _missed_paths(regex: str) -> list[str] | None:
    try:
        compiled = re.compile(regex)
    except re.error:
        return None
    return [p for p in FRONT_END_API_PATHS if compiled.match(p) is None]


@rule("cors.urls-regex-misses-api", 24)
def urls_regex(inp: AuditInput) -> Iterator[Finding]:
    candidates: list[tuple[str, str]] = []
    if inp.database is not None and inp.gate_on and inp.policy.urls_regex:
        candidates.append(("CorsPolicy.urls_regex", inp.policy.urls_regex))
    theirs = inp.settings.corsheaders_urls_regex
    if inp.settings.has("CORS_URLS_REGEX") and theirs != CORSHEADERS_DEFAULT_URLS_REGEX:
        candidates.append(("CORS_URLS_REGEX", theirs))
    for where, regex in candidates:
        missed = _missed_paths(regex)
        if missed is None:
            yield _f(
                "cors.urls-regex-misses-api",
                Severity.ERROR,
                "the urls regex does not compile",
                f"{where} = {regex!r} is not a regular expression",
                "Fix it, e.g. r'^/(api|oauth2|user_api|csrf/api|login_refresh)'.",
                where,
            )
        elif missed:
            yield _f(
                "cors.urls-regex-misses-api",
                Severity.WARNING,
                "the urls regex leaves front-end API paths without CORS",
                f"{where} = {regex!r} does not match {', '.join(missed)} (re.match on the path): "
                "front ends calling them get no CORS headers",
                "Widen it, e.g. r'^/(api|oauth2|user_api|csrf/api|login_refresh)', or use r'^.*$'.",
                where,
            )


# -- Open edX's cors_csrf ---------------------------------------------------------------


# openedx-platform's cors_csrf middleware, and the flag that keeps each in the chain.
CORS_CSRF_MIDDLEWARE = {
    "openedx.core.djangoapps.cors_csrf.middleware.CorsCSRFMiddleware": "ENABLE_CORS_HEADERS",
    "openedx.core.djangoapps.cors_csrf.middleware.CsrfCrossDomainCookieMiddleware": (
        "ENABLE_CROSS_DOMAIN_CSRF_COOKIE"
    ),
}


@rule("csrf.allow-insecure", 25)
def allow_insecure(inp: AuditInput) -> Iterator[Finding]:
    s = inp.settings
    if not s.get("CORS_ALLOW_INSECURE", False):
        return
    active = [
        path.rsplit(".", 1)[-1]
        for path, flag in CORS_CSRF_MIDDLEWARE.items()
        if path in s.middleware and s.feature(flag)
    ]
    if not active:
        return  # only the platform's cors_csrf middleware reads it
    anyone = bool(s.allow_all.value)
    yield _f(
        "csrf.allow-insecure",
        Severity.WARNING,
        "the platform's cross-domain CSRF checks accept plain http",
        f"CORS_ALLOW_INSECURE = True: Open edX's {' and '.join(active)} "
        "(openedx/core/djangoapps/cors_csrf) skip their https checks, so plain-http requests "
        "and http:// Referers from "
        + ("any site (CORS_ORIGIN_ALLOW_ALL is on)" if anyone else "CORS_ORIGIN_WHITELIST")
        + " skip Django's CSRF Referer check and get the cross-domain CSRF cookie; the "
        "platform meant it for development and testing only",
        "Set CORS_ALLOW_INSECURE = False (Open edX: EDXAPP_CORS_ALLOW_INSECURE) and serve the "
        "front ends over https.",
        "CORS_ALLOW_INSECURE",
    )


def rules_by_id() -> dict[str, Rule]:
    return {r.id: r for r in RULES}
