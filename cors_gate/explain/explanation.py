"""Explain one cross-origin request: classification, policy decision, answers, verdict.

`explain()` is what ``manage.py cors_gate_explain``, the admin page, the API and the doctor
call; it returns an `Explanation`, whose `as_dict()` is the JSON structure documented in
docs/how-to/explain-a-failure.rst. Bad input raises `ExplainError` whose text is one line naming
the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

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
    configured = getattr(settings, "CORS_GATE_SITE_URL", "")
    if configured:
        return str(configured).rstrip("/")
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


def _decision_dict(view: DecisionView, origin: str, path: str) -> dict[str, Any]:
    fmt = {"origin": origin, "path": path, "rule": view.rule}
    reason = _reason(view)
    known = REASONS.get(reason)
    detail = known.detail.format(**fmt) if known else reason
    return {
        "allowed": view.allowed,
        "rule": view.rule,
        "reason": reason,
        "enforced": view.enforced,
        "detail": detail,
    }


def _engine_verdict(
    result: WalkResult,
    *,
    origin: str,
    decision: DecisionView,
    path: str,
    first_url: str,
    decided: dict[str, Any],
) -> dict[str, Any]:
    """One engine's verdict: ok or the name that engine shows, its warnings, message, fix."""
    failure = result.failure
    common = {"kind": result.kind, "warnings": list(result.warnings)}
    if failure is None and result.stopped is None:
        last = result.hops[-1].answer if result.hops else None
        status = f" (status {last.status})" if last is not None else ""
        message = (
            f"Same-origin request: the browser applies no CORS checks{status}."
            if result.kind == "not-cors"
            else f"The browser lets {origin} read the answer{status}."
        )
        fix = " ".join(WARNING_FIXES[w] for w in result.warnings if w in WARNING_FIXES) or None
        return {
            "ok": True,
            "error": None,
            "network_error": False,
            "failed_step": None,
            "message": message,
            "fix": fix,
            "url": None,
            "failed_parameter": None,
            **common,
        }
    if failure is None:
        assert result.stopped is not None
        return {
            "ok": False,
            "error": None,
            "network_error": False,
            "failed_step": "redirect" if result.crossed_origin else "actual",
            "message": f"Cannot predict the end: {result.stopped.why}."
            + (
                " The browser would follow it with Origin: null; unless that site answers "
                "CORS for null, the request fails there."
                if result.crossed_origin
                else ""
            ),
            "fix": SSO_FIX if result.crossed_origin else None,
            "url": result.stopped.url,
            "failed_parameter": None,
            **common,
        }
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
        reason = decided["reason"]
        known = REASONS.get(reason)
        hint = known.fix if known else None
        if hint and (decision.allowed is False or reason == "report-only"):
            detail = decided["detail"]
            hinted = hint.format(origin=origin, path=path, rule=decision.rule)
            # The page prints "Fix:" before this: lead with the action, then the cause.
            fix = f"{hinted} (cors_gate did not allow it: {detail})."
    return {
        "ok": False,
        "error": failure.error,
        "network_error": failure.network,
        "failed_step": failure.step,
        "message": message,
        "fix": fix,
        "url": failure.url,
        "failed_parameter": failure.failed_parameter,
        **common,
    }


# The warning names of both engines → what to change so neither warns.
WARNING_FIXES = {
    name: WARNING_TEXT[key] for names in WARNINGS.values() for key, name in names.items()
}


def _both_fix(engines: dict[str, dict[str, Any]]) -> str | None:
    """One fix for both engines: each distinct fix of a failing (or warning) engine, once."""
    fixes: list[str] = []
    for verdict in engines.values():
        fix = verdict["fix"]
        if fix and fix not in fixes:
            fixes.append(fix)
    return " ".join(fixes) or None


def _same_verdict(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["ok"] == b["ok"] and a["failed_step"] == b["failed_step"] and a["url"] == b["url"]


def _browser(engines: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The first version's `browser` object: Chromium's fields, Firefox's name, and the fix
    for both; the message says so when the engines disagree."""
    chromium, firefox = engines["chromium"], engines["firefox"]
    message = chromium["message"]
    if not _same_verdict(chromium, firefox):
        if firefox["ok"]:
            message += f" Firefox lets it through: {firefox['message']}"
        else:
            message += f" Firefox blocks it ({firefox['error']}): {firefox['message']}"
    return {
        "ok": chromium["ok"],
        "chrome_error": chromium["error"],
        "firefox_error": firefox["error"],
        "failed_step": chromium["failed_step"],
        "message": message,
        "fix": _both_fix(engines),
        "url": chromium["url"],
        "failed_parameter": chromium["failed_parameter"],
    }


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
    decision: dict[str, Any]  # cors_gate's decision: allowed, rule, reason, detail
    preflight: dict[str, Any] | None  # this site's answer to the preflight (status, headers)
    actual: dict[str, Any] | None  # ... and to the request itself
    hops: tuple[Hop, ...]  # every exchange, in order, as Chromium makes them
    browser: dict[str, Any]  # Chromium's verdict, Firefox's error name, one fix for both
    engines: dict[str, dict[str, Any]]  # each engine's own verdict
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "kind": self.kind,
            "preflight_reasons": [r.as_dict() for r in self.preflight_reasons],
            "decision": self.decision,
            "preflight": self.preflight,
            "actual": self.actual,
            "hops": [hop.as_dict() for hop in self.hops],
            "browser": self.browser,
            "engines": self.engines,
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
    decided = _decision_dict(decision, origin, target_path)
    engines: dict[str, dict[str, Any]] = {
        engine: _engine_verdict(
            results[engine],
            origin=origin,
            decision=decision,
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
