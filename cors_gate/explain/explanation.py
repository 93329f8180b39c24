"""Explain one cross-origin request: classification, policy decision, answers, verdict.

`explain()` is what ``manage.py cors_gate_explain``, the admin page, the API and the doctor
call; it returns an `Explanation`, whose `as_dict()` is the JSON structure documented in
docs/how-to/explain-a-failure.rst. Bad input raises `ExplainError` whose text is one line
naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

from cors_gate import conf
from cors_gate.explain.browser import ENGINES, WARNING_TEXT, WARNINGS, Answer, Engine
from cors_gate.explain.fetch import Classification, Reason, RequestInputError, classify
from cors_gate.explain.policy_answers import (
    DecisionView,
    PolicyTransport,
    decide,
    refused,
)
from cors_gate.explain.transports import DjangoClientTransport, HttpTransport
from cors_gate.explain.walk import (
    CannotFollow,
    Hop,
    Transport,
    WalkResult,
    headers_dict,
    walk,
)
from cors_gate.middleware import SSO_FIX
from cors_gate.origins import url_origin
from cors_gate.policy import REASONS

ExplainError = RequestInputError

Mode = Literal["policy", "in-process", "url"]


def parse_header_line(line: str) -> tuple[str, str]:
    """`"Name: value"` → (name, value); one-line error when it has no name or no colon."""
    name, sep, value = line.partition(":")
    if not sep:
        raise ExplainError(f"header {line!r}: expected 'Name: value'")
    if not name.strip():
        raise ExplainError(f"header {line!r}: a header has no name")
    return name.strip(), value.strip()


def _check_origin(origin: str) -> str:
    if origin == "null":
        return origin
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in origin)
    ):
        raise ExplainError(
            f"origin: {origin!r} is not an origin (expected scheme://host[:port] or null)"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ExplainError(f"origin: {origin!r} has an invalid port") from None
    return origin


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExplainError(f"url: {url!r} is not an http(s) URL")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise ExplainError(f"url: {url!r} has an invalid port") from None
    return url


def site_url() -> str:
    """The URL this project is served at: CORS_GATE_SITE_URL, else the first usable
    ALLOWED_HOSTS entry over https (production LMSs answer http with a redirect)."""
    configured = conf.site_url()
    if configured:
        return configured
    for host in getattr(settings, "ALLOWED_HOSTS", []):
        host = str(host).lstrip(".")
        if host and host != "*":
            return f"https://{host}"
    return "https://testserver"


def _reason(view: DecisionView) -> str:
    """The decision's reason, with report-only made visible: the rules may allow the origin,
    but in report-only mode the middleware sends nothing."""
    if view.mode == "report-only" and view.reason == "matched":
        return "report-only"
    return view.reason


@dataclass(frozen=True)
class DecisionReport:
    """cors_gate's decision as explain reports it, `detail` in words."""

    allowed: bool
    rule: str | None
    reason: str  # a key of `cors_gate.policy.REASONS`
    enforced: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "rule": self.rule,
            "reason": self.reason,
            "enforced": self.enforced,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class EngineVerdict:
    """What one engine does: lets the page read the answer, or the name it shows and why."""

    ok: bool
    error: str | None  # Chromium's DevTools name or Firefox's console key (None when ok)
    network_error: bool
    failed_step: str | None  # "preflight" | "actual" | "redirect"
    message: str
    fix: str | None
    url: str | None  # the URL whose answer failed
    failed_parameter: str | None
    kind: str
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "network_error": self.network_error,
            "failed_step": self.failed_step,
            "message": self.message,
            "fix": self.fix,
            "url": self.url,
            "failed_parameter": self.failed_parameter,
            "kind": self.kind,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class BrowserVerdict:
    """The first version's `browser` object: Chromium's verdict, Firefox's name, and one
    fix for both."""

    ok: bool
    chrome_error: str | None
    firefox_error: str | None
    failed_step: str | None
    message: str
    fix: str | None
    url: str | None
    failed_parameter: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "chrome_error": self.chrome_error,
            "firefox_error": self.firefox_error,
            "failed_step": self.failed_step,
            "message": self.message,
            "fix": self.fix,
            "url": self.url,
            "failed_parameter": self.failed_parameter,
        }


def _decision_report(view: DecisionView, origin: str, path: str) -> DecisionReport:
    fmt = {"origin": origin, "path": path, "rule": view.rule}
    reason = _reason(view)
    known = REASONS.get(reason)
    detail = known.detail.format(**fmt) if known else reason
    return DecisionReport(view.allowed, view.rule, reason, view.enforced, detail)


def _engine_verdict(
    result: WalkResult,
    *,
    origin: str,
    path: str,
    first_url: str,
    decided: DecisionReport,
) -> EngineVerdict:
    """One engine's verdict: ok or the name that engine shows, its warnings, message, fix."""
    failure = result.failure
    kind, warnings = result.kind, tuple(result.warnings)
    if failure is None and result.stopped is None:
        last = result.hops[-1].answer if result.hops else None
        status = f" (status {last.status})" if last is not None else ""
        message = (
            f"Same-origin request: the browser applies no CORS checks{status}."
            if result.kind == "not-cors"
            else f"The browser lets {origin} read the answer{status}."
        )
        fix = " ".join(WARNING_FIXES[w] for w in result.warnings if w in WARNING_FIXES) or None
        return EngineVerdict(True, None, False, None, message, fix, None, None, kind, warnings)
    if failure is None:
        assert result.stopped is not None
        message = f"Cannot predict the end: {result.stopped.why}." + (
            " The browser would follow it with Origin: null; unless that site answers "
            "CORS for null, the request fails there."
            if result.crossed_origin
            else ""
        )
        return EngineVerdict(
            False,
            None,
            False,
            "redirect" if result.crossed_origin else "actual",
            message,
            SSO_FIX if result.crossed_origin else None,
            result.stopped.url,
            None,
            kind,
            warnings,
        )
    message, fix = failure.message, failure.fix
    base = failure.check.removeprefix("Preflight")
    if (
        not failure.network
        and result.crossed_origin
        and url_origin(failure.url) != url_origin(first_url)
    ):
        # The case of the Open edX forum thread "Cross-Origin Resource Sharing error:
        # Preflight Missing Allow Origin Header": the failing answer is another site's
        # (the IdP's), after a redirect.
        message = (
            f"{failure.error} on {failure.url}: {first_url} redirected this fetch() "
            f"to {url_origin(failure.url)}, and the browser followed it in CORS mode "
            "(with Origin: null). That site does not allow it; nothing in this site's "
            f"allow-list can change that. {message}"
        )
        fix = SSO_FIX
    elif base == "MissingAllowOriginHeader":
        known = REASONS.get(decided.reason)
        hint = known.fix if known else None
        if hint and (decided.allowed is False or decided.reason == "report-only"):
            hinted = hint.format(origin=origin, path=path, rule=decided.rule)
            # The page prints "Fix:" before this: lead with the action, then the cause.
            fix = f"{hinted} (cors_gate did not allow it: {decided.detail})."
    return EngineVerdict(
        False,
        failure.error,
        failure.network,
        failure.step,
        message,
        fix,
        failure.url,
        failure.failed_parameter,
        kind,
        warnings,
    )


# The warning names of both engines → what to change so neither warns.
WARNING_FIXES = {
    name: WARNING_TEXT[key] for names in WARNINGS.values() for key, name in names.items()
}


def _both_fix(engines: Mapping[str, EngineVerdict]) -> str | None:
    """One fix for both engines: each distinct fix of a failing (or warning) engine, once."""
    fixes: list[str] = []
    for verdict in engines.values():
        if verdict.fix and verdict.fix not in fixes:
            fixes.append(verdict.fix)
    return " ".join(fixes) or None


def same_verdict(a: EngineVerdict, b: EngineVerdict) -> bool:
    """Both engines end alike: both pass, or both fail at the same step on the same URL."""
    return (a.ok, a.failed_step, a.url) == (b.ok, b.failed_step, b.url)


def _browser(engines: Mapping[str, EngineVerdict]) -> BrowserVerdict:
    """Chromium's fields, Firefox's name, and the fix for both; the message says so when
    the engines disagree."""
    chromium, firefox = engines["chromium"], engines["firefox"]
    message = chromium.message
    if not same_verdict(chromium, firefox):
        if firefox.ok:
            message += f" Firefox lets it through: {firefox.message}"
        else:
            message += f" Firefox blocks it ({firefox.error}): {firefox.message}"
    return BrowserVerdict(
        chromium.ok,
        chromium.error,
        firefox.error,
        chromium.failed_step,
        message,
        _both_fix(engines),
        chromium.url,
        chromium.failed_parameter,
    )


class _Replay:
    """Sends each distinct request once: the second engine's walk reuses the first's
    answers (no second POST to a live view), and asks only what the first did not."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Answer | CannotFollow] = {}

    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        key = (method, url, tuple(headers))
        if key not in self.seen:
            try:
                self.seen[key] = self.transport.send(method, url, headers)
            except CannotFollow as stop:
                self.seen[key] = stop
        found = self.seen[key]
        if isinstance(found, CannotFollow):
            raise found
        return found


@dataclass(frozen=True)
class Explanation:
    """What `explain()` predicts for one request; `as_dict()` is the documented JSON."""

    request: dict[str, Any]  # the inputs as understood: origin, method, headers, mode ...
    kind: str  # "simple" | "preflight" | "not-cors"
    preflight_reasons: tuple[Reason, ...]
    decision: DecisionReport
    preflight: dict[str, Any] | None  # this site's answer to the preflight (status, headers)
    actual: dict[str, Any] | None  # ... and to the request itself
    hops: tuple[Hop, ...]  # every exchange, in order, as Chromium makes them
    browser: BrowserVerdict  # Chromium's verdict, Firefox's error name, one fix for both
    engines: dict[str, EngineVerdict]  # each engine's own verdict
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "kind": self.kind,
            "preflight_reasons": [r.as_dict() for r in self.preflight_reasons],
            "decision": self.decision.as_dict(),
            "preflight": self.preflight,
            "actual": self.actual,
            "hops": [hop.as_dict() for hop in self.hops],
            "browser": self.browser.as_dict(),
            "engines": {name: verdict.as_dict() for name, verdict in self.engines.items()},
            "notes": list(self.notes),
        }


def explain(
    origin: str,
    method: str = "GET",
    headers: Iterable[str | tuple[str, str]] = (),
    credentials: str = "include",
    path: str | None = None,
    url: str | None = None,
    in_process: bool = False,
    timeout: float = 10.0,
) -> Explanation:
    """Predict what a browser does with this request."""
    origin = _check_origin(origin)
    if credentials not in ("include", "omit"):
        raise ExplainError(f"credentials: {credentials!r} must be include or omit")
    pairs = [parse_header_line(h) if isinstance(h, str) else h for h in headers]
    mode, target, path = _target(path, url, in_process)
    target_path = urlsplit(target).path or "/"
    # Validate method and headers up front (one-line errors), before any HTTP.
    classification = classify(method, pairs, cross_origin=origin != url_origin(target))
    transport = _transport(mode, timeout)
    decision = decide(origin, target_path)
    results = _walk_each_engine(
        transport,
        origin=origin,
        method=method,
        headers=pairs,
        credentials=credentials == "include",
        url=target,
    )
    result = results["chromium"]
    if result.stopped is not None and len(result.hops) == 1 and result.hops[0].answer is None:
        raise ExplainError(f"url: {result.stopped.why}")
    actual = _status_headers(result, "actual")
    if isinstance(transport, PolicyTransport):
        if actual is None and result.kind != "not-cors":
            actual = _policy_actual(transport, classification, origin, target)
        if transport.refused:
            decision = refused(decision, transport.refused)
    decided = _decision_report(decision, origin, target_path)
    engines: dict[str, EngineVerdict] = {
        engine: _engine_verdict(
            results[engine],
            origin=origin,
            path=target_path,
            first_url=target,
            decided=decided,
        )
        for engine in ENGINES
    }
    request: dict[str, Any] = {
        "origin": origin,
        "method": classification.method,
        "headers": [[n, v] for n, v in pairs],
        "credentials": credentials,
        "mode": mode,
    }
    request["url" if mode == "url" else "path"] = target if mode == "url" else path
    return Explanation(
        request=request,
        kind=result.kind,
        preflight_reasons=classification.reasons,
        decision=decided,
        preflight=_status_headers(result, "preflight"),
        actual=actual,
        hops=tuple(result.hops),
        browser=_browser(engines),
        engines=engines,
        notes=classification.notes,
    )


def _target(path: str | None, url: str | None, in_process: bool) -> tuple[Mode, str, str | None]:
    """(mode, the URL the page fetches, the path as given): one-line errors for bad input."""
    if url is not None and path is not None:
        raise ExplainError("path: give either a path or a URL, not both")
    if url is not None and in_process:
        raise ExplainError("url: --in-process runs this project; it cannot take a URL")
    if url is not None:
        return "url", _check_url(url), path
    path = path or "/"
    if not path.startswith("/"):
        raise ExplainError(f"path: {path!r} must start with /")
    return ("in-process" if in_process else "policy"), site_url() + path, path


def _transport(mode: Mode, timeout: float) -> Transport:
    if mode == "url":
        return HttpTransport(timeout=timeout)
    if mode == "in-process":
        return DjangoClientTransport(site_url())
    return PolicyTransport(site_url())


def _walk_each_engine(
    transport: Transport,
    *,
    origin: str,
    method: str,
    headers: list[tuple[str, str]],
    credentials: bool,
    url: str,
) -> dict[Engine, WalkResult]:
    """One walk per engine over one replaying transport (each distinct request sent once)."""
    replay = _Replay(transport)
    try:
        return {
            engine: walk(
                replay,
                origin=origin,
                method=method,
                headers=headers,
                credentials=credentials,
                url=url,
                engine=engine,
            )
            for engine in ENGINES
        }
    finally:
        if isinstance(transport, HttpTransport):
            transport.close()


def _policy_actual(
    transport: PolicyTransport, classification: Classification, origin: str, target: str
) -> dict[str, Any]:
    """Policy mode shows what cors_gate would send on the actual answer even when the
    browser stops at the preflight: that is half of what the operator asked."""
    sent = [*classification.headers, ("Origin", origin)]
    answer = transport.send(classification.method, target, sent)
    return {"status": answer.status, "headers": headers_dict(answer.headers)}


def _status_headers(result: WalkResult, step: str) -> dict[str, Any] | None:
    """This site's answer to the first preflight / actual request (None when not sent)."""
    hop = result.first(step)
    if hop is None or hop.answer is None or hop.url != result.hops[0].url:
        return None
    return {"status": hop.answer.status, "headers": headers_dict(hop.answer.headers)}
