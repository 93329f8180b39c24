"""Plain-text rendering of an explain report (the command's default output)."""

from __future__ import annotations

from typing import Any

# Only these response headers matter to the verdict; the rest would drown them.
_SHOWN = (
    "access-control-",
    "vary",
    "location",
)


def _interesting(headers: dict[str, str] | None) -> list[str]:
    if not headers:
        return []
    return [f"{k}: {v}" for k, v in headers.items() if k.lower().startswith(_SHOWN)]


ENGINE_LABELS = {"chromium": "Chromium", "firefox": "Firefox"}


def engines_differ(engines: dict[str, dict[str, Any]]) -> bool:
    verdicts = list(engines.values())
    return any(
        (v["ok"], v["failed_step"], v["url"]) != (verdicts[0]["ok"], verdicts[0]["failed_step"],
                                                 verdicts[0]["url"])
        for v in verdicts[1:]
    )  # fmt: skip


def _engine_line(verdict: dict[str, Any]) -> str:
    if verdict["ok"]:
        return f"OK. {verdict['message']}"
    step = f" at the {verdict['failed_step']} step" if verdict["failed_step"] else ""
    return f"BLOCKED: {verdict['error'] or 'cannot tell'}{step}"


def render_text(report: dict[str, Any]) -> str:
    req = report["request"]
    target = req.get("url") or req.get("path")
    lines = [
        f"Request:  {req['method']} {target} from {req['origin']} "
        f"(credentials: {req['credentials']}, mode: {req['mode']})",
        f"Kind:     {report['kind']}",
    ]
    for reason in report["preflight_reasons"]:
        lines.append(f"          - {reason['message']}")
    decision = report["decision"]
    verdict = "allowed" if decision["allowed"] else "not allowed"
    lines.append(f"Policy:   {verdict} ({decision['reason']}): {decision['detail']}")
    lines.append("Hops:")
    for number, hop in enumerate(report["hops"], start=1):
        status = hop["status"] if hop["status"] is not None else "not sent"
        lines.append(f"  {number}. {hop['method']} {hop['url']} -> {status}")
        sent = hop["request_headers"]
        for name in ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"):
            if name in sent:
                lines.append(f"       > {name}: {sent[name]}")
        lines.extend(f"       < {line}" for line in _interesting(hop["headers"]))
        if hop["note"]:
            lines.append(f"       ({hop['note']})")
        if hop["error"]:
            lines.append(f"       !! {hop['error']}")
    browser = report["browser"]
    engines = report.get("engines") or {}
    if engines_differ(engines):
        # "Works in Firefox, fails in Chrome" is the line an operator needs: one per engine.
        for engine, verdict in engines.items():
            label = f"{ENGINE_LABELS.get(engine, engine)}:"
            lines.append(f"{label:<10}{_engine_line(verdict)}")
            if not verdict["ok"]:
                lines.append(f"          {verdict['message']}")
    elif browser["ok"]:
        lines.append(f"Browser:  OK. {browser['message']}")
    else:
        name = browser["chrome_error"] or "cannot tell"
        firefox = f" (Firefox: {browser['firefox_error']})" if browser["firefox_error"] else ""
        step = f" at the {browser['failed_step']} step" if browser["failed_step"] else ""
        lines.append(f"Browser:  BLOCKED: {name}{firefox}{step}")
        lines.append(f"          {browser['message']}")
    for engine, verdict in engines.items():
        for warning in verdict.get("warnings", []):
            lines.append(f"Warning:  {ENGINE_LABELS.get(engine, engine)}: {warning}")
    if browser["fix"]:
        lines.append(f"Fix:      {browser['fix']}")
    for note in report.get("notes", []):
        lines.append(f"Note:     {note}")
    return "\n".join(lines)
