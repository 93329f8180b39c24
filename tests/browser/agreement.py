"""Run one request in Chromium and in Firefox, and ask ``cors_gate_explain`` about it.

The agreement bar: for every scenario, explain's verdict for each engine
(``engines.chromium`` / ``engines.firefox``: ``ok``, or the name that engine shows) and
whether it sends a preflight must be exactly what that browser did. A mismatch fails the
test with both verdicts.

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
from cors_gate.explain.browser import WARNINGS

from .firefox import FirefoxVerdict
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


def predicted(report: dict[str, Any], engine: str = "chromium") -> str:
    """Explain's verdict for one engine in that engine's vocabulary: ``ok`` or its name."""
    verdict = report["engines"][engine]
    if verdict["ok"]:
        return "ok"
    return verdict["error"] or f"no prediction ({verdict['message']})"


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
    ).as_dict()


# The deprecation warnings explain models; a browser's other warnings are not its business.
KNOWN_WARNINGS = frozenset(name for names in WARNINGS.values() for name in names.values())


def known(warnings: Sequence[str]) -> tuple[str, ...]:
    return tuple(w for w in warnings if w in KNOWN_WARNINGS)


def run_firefox(probe: BrowserProbe, request: Request) -> tuple[FirefoxVerdict, bool]:
    """Firefox's verdict, and whether a preflight reached the suite's servers."""
    mark = probe.log.mark()
    verdict = probe.firefox.run_fetch(
        request.page_origin,
        request.url,
        request.method,
        request.headers,
        request.credentials,
        request.body,
        sandboxed=request.sandboxed,
        api=request.api,
    )
    preflighted = any(r.method == "OPTIONS" for r in probe.log.since(mark))
    return verdict, preflighted


def judge(
    probe: BrowserProbe,
    request: Request,
    *,
    expect: str,
    site_url: str,
    modes: Sequence[str] = ALL_MODES,
    expect_firefox: str | None = None,
) -> tuple[BrowserVerdict, dict[str, dict[str, Any]]]:
    """Chromium's verdict (asserted against ``expect``), Firefox's (against
    ``expect_firefox`` when given), and explain's for each engine, which must agree."""
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
    firefox, firefox_preflighted = run_firefox(probe, request)
    reports = {mode: ask_explain(request, mode, site_url) for mode in modes}
    # The harness's two witnesses must agree too: preflights DevTools saw leave, and arrive.
    assert sum(1 for method, _ in verdict.sent if method == "OPTIONS") == verdict.options_count
    observed = {
        "chromium": (verdict.outcome, bool(verdict.received("OPTIONS")), known(verdict.warnings)),
        "firefox": (firefox.outcome, firefox_preflighted, known(firefox.warnings)),
    }
    disagreements = [
        f"explain --{mode} predicted {predicted(report, engine)!r} for {engine} "
        f"(kind {report['engines'][engine]['kind']}, warnings "
        f"{report['engines'][engine]['warnings']}, decision {report['decision']['reason']})"
        for mode, report in reports.items()
        for engine, (outcome, preflighted, warnings) in observed.items()
        if predicted(report, engine) != outcome
        or (report["engines"][engine]["kind"] == "preflight") != preflighted
        or tuple(report["engines"][engine]["warnings"]) != warnings
    ]
    assert verdict.outcome == expect, f"Chromium did {verdict.outcome!r}, expected {expect!r}"
    if expect_firefox is not None:
        assert firefox.outcome == expect_firefox, (
            f"Firefox did {firefox.outcome!r}, expected {expect_firefox!r}"
        )
    assert not disagreements, f"browsers did {observed}; " + "; ".join(disagreements)
    return verdict, reports
