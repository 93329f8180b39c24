"""Plain-text rendering of an `Explanation` (the command's default output)."""

from __future__ import annotations

from collections.abc import Mapping

from cors_gate.explain.explanation import EngineVerdict, Explanation, same_verdict
from cors_gate.explain.walk import Hop, headers_dict

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


def engines_differ(engines: Mapping[str, EngineVerdict]) -> bool:
    """True when the engines do not end alike ("works in Firefox, fails in Chrome")."""
    verdicts = list(engines.values())
    return any(not same_verdict(verdicts[0], other) for other in verdicts[1:])


def _engine_line(verdict: EngineVerdict) -> str:
    if verdict.ok:
        return f"OK. {verdict.message}"
    step = f" at the {verdict.failed_step} step" if verdict.failed_step else ""
    return f"BLOCKED: {verdict.error or 'cannot tell'}{step}"


def render_text(explanation: Explanation) -> str:
    """The command's default output: the request, the decision, each hop, the verdict."""
    request = explanation.request
    target = request.get("url") or request.get("path")
    lines = [
        f"Request:  {request['method']} {target} from {request['origin']} "
        f"(credentials: {request['credentials']}, mode: {request['mode']})",
        f"Kind:     {explanation.kind}",
    ]
    lines.extend(f"          - {reason.message}" for reason in explanation.preflight_reasons)
    decision = explanation.decision
    verdict = "allowed" if decision.allowed else "not allowed"
    lines.append(f"Policy:   {verdict} ({decision.reason}): {decision.detail}")
    lines.append("Hops:")
    for number, hop in enumerate(explanation.hops, start=1):
        lines.extend(_hop_lines(number, hop))
    lines.extend(_verdict_lines(explanation))
    if explanation.browser.fix:
        lines.append(f"Fix:      {explanation.browser.fix}")
    lines.extend(f"Note:     {note}" for note in explanation.notes)
    return "\n".join(lines)


def _hop_lines(number: int, hop: Hop) -> list[str]:
    """One exchange: what was sent that CORS reads, what came back that CORS reads."""
    answer = hop.answer
    status = answer.status if answer is not None else "not sent"
    lines = [f"  {number}. {hop.method} {hop.url} -> {status}"]
    sent = headers_dict(hop.request_headers)
    for name in ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"):
        if name in sent:
            lines.append(f"       > {name}: {sent[name]}")
    received = headers_dict(answer.headers) if answer is not None else None
    lines.extend(f"       < {line}" for line in _interesting(received))
    if hop.note:
        lines.append(f"       ({hop.note})")
    if hop.error:
        lines.append(f"       !! {hop.error}")
    return lines


def _verdict_lines(explanation: Explanation) -> list[str]:
    """The browser's verdict: one line per engine when they disagree, then any warnings."""
    browser, engines = explanation.browser, explanation.engines
    lines: list[str] = []
    if engines_differ(engines):
        # "Works in Firefox, fails in Chrome" is the line an operator needs: one per engine.
        for engine, verdict in engines.items():
            label = f"{ENGINE_LABELS.get(engine, engine)}:"
            lines.append(f"{label:<10}{_engine_line(verdict)}")
            if not verdict.ok:
                lines.append(f"          {verdict.message}")
    elif browser.ok:
        lines.append(f"Browser:  OK. {browser.message}")
    else:
        name = browser.chrome_error or "cannot tell"
        firefox = f" (Firefox: {browser.firefox_error})" if browser.firefox_error else ""
        step = f" at the {browser.failed_step} step" if browser.failed_step else ""
        lines.append(f"Browser:  BLOCKED: {name}{firefox}{step}")
        lines.append(f"          {browser.message}")
    for engine, verdict in engines.items():
        for warning in verdict.warnings:
            lines.append(f"Warning:  {ENGINE_LABELS.get(engine, engine)}: {warning}")
    return lines
