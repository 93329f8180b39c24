"""Run one request in Chromium and ask ``cors_gate_explain`` about the same request.

The agreement bar of issue 8: for every scenario, explain's ``browser.chrome_error`` (or
``ok``) must be exactly what Chromium did. A mismatch fails the test with both verdicts.

Explain runs in each mode that can know the answer:
* ``url``: real HTTP to the live server (redirects followed to other loopback servers);
* ``in-process``: this project's middleware and views through Django's test client;
* ``policy``: cors_gate's middleware alone, before a stand-in view (no HTTP). It cannot know
  what a view adds or where it redirects, so scenarios about views leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cors_gate.explain import explain

from .harness import BrowserProbe, BrowserVerdict

ALL_MODES = ("url", "in-process", "policy")
VIEW_MODES = ("url", "in-process")  # the view's own headers or redirects matter


@dataclass(frozen=True)
class Request:
    """One cross-origin request as the page makes it."""

    page_origin: str
    url: str  # absolute URL on the live server
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    credentials: str = "omit"  # fetch()'s "include" or "omit"
    body: str | None = None
    sandboxed: bool = False  # run it from a sandboxed iframe (Origin: null)
    api: str = "fetch"

    @property
    def origin(self) -> str:
        return "null" if self.sandboxed else self.page_origin


def predicted(report: dict[str, Any]) -> str:
    """Explain's verdict in Chromium's vocabulary: ``ok`` or the corsError name."""
    browser = report["browser"]
    if browser["ok"]:
        return "ok"
    return browser["chrome_error"] or f"no prediction ({browser['message']})"


def ask_explain(request: Request, mode: str, site_url: str) -> dict[str, Any]:
    path = request.url.removeprefix(site_url)
    return explain(
        request.origin,
        request.method,
        list(request.headers.items()),
        credentials=request.credentials,
        path=None if mode == "url" else path,
        url=request.url if mode == "url" else None,
        in_process=mode == "in-process",
    )


def judge(
    probe: BrowserProbe,
    request: Request,
    *,
    expect: str,
    site_url: str,
    modes: Sequence[str] = ALL_MODES,
) -> tuple[BrowserVerdict, dict[str, dict[str, Any]]]:
    """Chromium's verdict (asserted against ``expect``) and explain's, which must agree."""
    verdict = probe.run_fetch(
        request.page_origin,
        request.url,
        request.method,
        request.headers,
        request.credentials,
        request.body,
        sandboxed=request.sandboxed,
        api=request.api,
    )
    reports = {mode: ask_explain(request, mode, site_url) for mode in modes}
    # The harness's two witnesses must agree too: preflights DevTools saw leave, and arrive.
    assert sum(1 for method, _ in verdict.sent if method == "OPTIONS") == verdict.options_count
    chromium_preflighted = bool(verdict.received("OPTIONS"))
    disagreements = [
        f"explain --{mode} predicted {predicted(report)!r} "
        f"(kind {report['kind']}, decision {report['decision']['reason']})"
        for mode, report in reports.items()
        if predicted(report) != verdict.outcome
        or (report["kind"] == "preflight") != chromium_preflighted
    ]
    assert verdict.outcome == expect, f"Chromium did {verdict.outcome!r}, expected {expect!r}"
    assert not disagreements, (
        f"Chromium did {verdict.outcome!r} (preflight sent: {chromium_preflighted}); "
        + "; ".join(disagreements)
    )
    return verdict, reports
