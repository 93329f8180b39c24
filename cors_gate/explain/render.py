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
    if browser["ok"]:
        lines.append(f"Browser:  OK. {browser['message']}")
    else:
        name = browser["chrome_error"] or "cannot tell"
        firefox = f" (Firefox: {browser['firefox_error']})" if browser["firefox_error"] else ""
        step = f" at the {browser['failed_step']} step" if browser["failed_step"] else ""
        lines.append(f"Browser:  BLOCKED: {name}{firefox}{step}")
        lines.append(f"          {browser['message']}")
        if browser["fix"]:
            lines.append(f"Fix:      {browser['fix']}")
    for note in report.get("notes", []):
        lines.append(f"Note:     {note}")
    return "\n".join(lines)
