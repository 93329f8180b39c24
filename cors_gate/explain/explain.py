"""Explain one cross-origin request: classification, policy decision, answers, verdict.

`explain()` is what ``manage.py cors_gate_explain`` and the admin page call; it returns the
JSON-able dict documented in the README. Bad input raises `ExplainError` whose text is one
line naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings

from cors_gate import conf
from cors_gate.explain.browser import ENGINES, WARNING_TEXT, WARNINGS, Answer, Engine
from cors_gate.explain.fetch import RequestInputError, classify
from cors_gate.explain.policy_answers import (
    DecisionView,
    PolicyTransport,
    decide,
    refused,
)
from cors_gate.explain.transports import DjangoClientTransport, HttpTransport
from cors_gate.explain.walk import CannotFollow, Transport, WalkResult, headers_dict, walk
from cors_gate.middleware import SSO_FIX
from cors_gate.origins import url_origin

ExplainError = RequestInputError

Mode = Literal["policy", "in-process", "url"]

# The cure for the Open edX forum thread's case (a login POST redirected to the IdP): no
# allow-list entry on this site helps.

_DECISION_DETAIL = {
    "matched": "the origin matches rule {rule}",
    "no-rule": "no allowed-origin rule matches {origin}",
    "non-canonical": "{origin!r} is not how a browser serializes an origin "
    "(lower-case scheme://host[:port], no default port, no path), so no rule can match it",
    "null-not-allowed": "the origin is null and the policy does not allow null origins",
    "null-allowed": "the origin is null and the policy allows null origins",
    "path-not-allowed": "rule {rule} matches the origin but does not cover the path {path}",
    "disabled": "rule {rule} matches the origin but is disabled",
    "expired": "rule {rule} matches the origin but has expired",
    "mode-off": "cors_gate's mode is off: it adds no CORS headers at all",
    "report-only": "cors_gate is in report-only mode: it records what it would allow and "
    "leaves the answer as it is",
    "outside-urls-regex": "the path {path} is outside the policy's urls_regex",
    "no-snapshot": "cors_gate's policy could not be loaded",
    "preflight-too-large": "the preflight asks for so many methods or headers that cors_gate's "
    "answer would exceed 8 KB, so it is refused (no CORS headers)",
}

_DECISION_FIX = {
    "no-rule": "add {origin} (or a pattern covering it) to cors_gate's allowed origins",
    "non-canonical": "this value cannot come from a browser; call with the exact origin the "
    "page runs on",
    "null-not-allowed": "Origin null comes from sandboxed iframes, file: pages and requests "
    "after a cross-origin redirect; fix the page rather than allowing null (allowing null "
    "lets any sandboxed page in)",
    "path-not-allowed": "add a prefix covering {path} to the paths of rule {rule}",
    "disabled": "enable rule {rule}",
    "expired": "extend or clear the expiry of rule {rule}",
    "mode-off": "set cors_gate's mode to enforce",
    "report-only": "set cors_gate's mode to enforce once the observed origins look right",
    "outside-urls-regex": "widen the policy's urls_regex to cover {path}",
    "preflight-too-large": "send only the request headers the endpoint needs, or list the "
    "allowed headers in cors_gate's policy instead of mirroring the requested ones",
}


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


def _decision_dict(view: DecisionView, origin: str, path: str) -> dict[str, Any]:
    fmt = {"origin": origin, "path": path, "rule": view.rule}
    reason = _reason(view)
    detail = _DECISION_DETAIL.get(reason, reason).format(**fmt)
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
        # The seed's case: the failing answer is another site's, after a redirect.
        message = (
            f"{failure.error} on {failure.url}: {first_url} redirected this fetch() "
            f"to {url_origin(failure.url)}, and the browser followed it in CORS mode "
            "(with Origin: null). That site does not allow it; nothing in this site's "
            f"allow-list can change that. {message}"
        )
        fix = SSO_FIX
    elif base == "MissingAllowOriginHeader":
        reason = decided["reason"]
        hint = _DECISION_FIX.get(reason)
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


def explain(
    origin: str,
    method: str = "GET",
    headers: Iterable[str | tuple[str, str]] = (),
    credentials: str = "include",
    path: str | None = None,
    url: str | None = None,
    in_process: bool = False,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Predict what a browser does with this request; the JSON structure of the README."""
    origin = _check_origin(origin)
    if credentials not in ("include", "omit"):
        raise ExplainError(f"credentials: {credentials!r} must be include or omit")
    pairs = [parse_header_line(h) if isinstance(h, str) else h for h in headers]
    if url is not None and path is not None:
        raise ExplainError("path: give either a path or a URL, not both")
    if url is not None and in_process:
        raise ExplainError("url: --in-process runs this project; it cannot take a URL")
    mode: Mode = "url" if url is not None else "in-process" if in_process else "policy"
    if url is not None:
        target = _check_url(url)
    else:
        path = path or "/"
        if not path.startswith("/"):
            raise ExplainError(f"path: {path!r} must start with /")
        target = site_url() + path
    target_path = urlsplit(target).path or "/"
    # Validate method and headers up front (one-line errors), before any HTTP.
    classification = classify(method, pairs, cross_origin=origin != url_origin(target))

    transport: Transport
    http: HttpTransport | None = None
    if mode == "url":
        transport = http = HttpTransport(timeout=timeout)
    elif mode == "in-process":
        transport = DjangoClientTransport(site_url())
    else:
        transport = PolicyTransport(site_url())

    decision = decide(origin, target_path)
    replay = _Replay(transport)
    results: dict[Engine, WalkResult] = {}
    try:
        for engine in ENGINES:
            results[engine] = walk(
                replay,
                origin=origin,
                method=method,
                headers=pairs,
                credentials=credentials == "include",
                url=target,
                engine=engine,
            )
    finally:
        if http is not None:
            http.close()
    result = results["chromium"]
    if result.stopped is not None and len(result.hops) == 1 and result.hops[0].answer is None:
        raise ExplainError(f"url: {result.stopped.why}")
    actual = _status_headers(result, "actual")
    if mode == "policy" and actual is None and result.kind != "not-cors":
        # Policy mode shows what cors_gate would send on the actual answer even when the
        # browser stops at the preflight: that is half of what the operator asked.
        sent = [*classification.headers, ("Origin", origin)]
        answer = transport.send(classification.method, target, sent)
        actual = {"status": answer.status, "headers": headers_dict(answer.headers)}

    if isinstance(transport, PolicyTransport) and transport.refused:
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
    return {
        "request": request,
        "kind": result.kind,
        "preflight_reasons": [r.as_dict() for r in classification.reasons],
        "decision": decided,
        "preflight": _status_headers(result, "preflight"),
        "actual": actual,
        "hops": [hop.as_dict() for hop in result.hops],
        "browser": _browser(engines),
        "engines": engines,
        "notes": list(classification.notes),
    }


def _status_headers(result: WalkResult, step: str) -> dict[str, Any] | None:
    """This site's answer to the first preflight / actual request (None when not sent)."""
    hop = result.first(step)
    if hop is None or hop.answer is None or hop.url != result.hops[0].url:
        return None
    return {"status": hop.answer.status, "headers": headers_dict(hop.answer.headers)}
