"""Run a request in Chromium and read Chromium's own verdict.

The verdict comes from two independent places: the page (did ``fetch`` resolve, which
headers could script read) and the DevTools protocol (``Network.loadingFailed`` →
``corsErrorStatus.corsError``, the name DevTools prints, or its ``errorText`` — a
``net::`` error — when the request failed outside CORS; ``Audits.issueAdded`` for the
deprecation warnings DevTools shows). The servers' request log says how many preflights
really reached a server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import CDPSession, Frame, Page

from .firefox import Firefox
from .servers import LoggedRequest, RequestLog

CHROMIUM = "/usr/bin/chromium"
# The flags this machine needs (closed network), plus the ones that keep a sandboxed
# iframe in the page's process so the page's DevTools session sees its requests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-site-isolation-trials",
    "--disable-features=IsolateSandboxedIframes,site-per-process",
]


@dataclass(frozen=True)
class BrowserVerdict:
    """What Chromium did with one request."""

    ok: bool  # the page got the response
    cors_error: str | None  # DevTools' corsError name when CORS blocked it
    options_count: int  # preflights the suite's servers received
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # readable from script
    body: str = ""
    error_text: str | None = None  # the page's exception text
    page_origin: str | None = None  # self.origin inside the page ("null" when sandboxed)
    requests: tuple[LoggedRequest, ...] = ()  # what the suite's servers received
    sent: tuple[tuple[str, str], ...] = ()  # (method, url) Chromium reported sending
    net_error: str | None = None  # DevTools' errorText (net::…) of the failed request
    warnings: tuple[str, ...] = ()  # DevTools deprecation issues raised by this request

    @property
    def outcome(self) -> str:
        """``"ok"``, the corsError name, or the ``net::`` error when the request failed
        outside CORS: the vocabulary explain predicts in."""
        if self.ok:
            return "ok"
        return self.cors_error or self.net_error or f"failed: {self.error_text}"

    def received(self, method: str, server: str = "django") -> list[LoggedRequest]:
        return [r for r in self.requests if r.method == method and r.server == server]


class BrowserProbe:
    """One Playwright page plus a DevTools session that records CORS failures."""

    def __init__(self, page: Page, log: RequestLog, firefox: Firefox | None = None) -> None:
        self.page = page
        self.log = log
        self._firefox = firefox
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Audits.enable")
        self.failures: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.issues: list[dict[str, Any]] = []
        self.cdp.on("Network.loadingFailed", lambda event: self.failures.append(event))
        self.cdp.on("Network.requestWillBeSent", lambda event: self.sent.append(event))
        self.cdp.on("Audits.issueAdded", lambda event: self.issues.append(event["issue"]))

    @property
    def firefox(self) -> Firefox:
        """The session's Firefox, the second judge (see firefox.py)."""
        assert self._firefox is not None, "this probe was made without Firefox"
        return self._firefox

    def _frame(self, page_origin: str, sandboxed: bool) -> Frame:
        target = f"{page_origin}/{'sandbox' if sandboxed else 'runner'}.html"
        if self.page.url != target:
            self.page.goto(target)
        if not sandboxed:
            self.page.wait_for_function("window.probeReady === true")
            return self.page.main_frame
        frame = self.page.frame(name="probe")
        deadline = time.monotonic() + 5
        while frame is None and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
            frame = self.page.frame(name="probe")
        assert frame is not None, "the sandboxed frame did not load"
        frame.wait_for_function("window.probeReady === true")
        return frame

    def cors_errors(self) -> list[str]:
        return [
            f["corsErrorStatus"]["corsError"] for f in self.failures if f.get("corsErrorStatus")
        ]

    def net_errors(self) -> list[str]:
        return [f["errorText"] for f in self.failures if f.get("errorText")]

    def deprecations(self) -> list[str]:
        return [
            i["details"]["deprecationIssueDetails"]["type"]
            for i in self.issues
            if i.get("code") == "DeprecationIssue"
        ]

    def run_fetch(
        self,
        page_origin: str,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        credentials: str = "omit",
        body: str | None = None,
        *,
        sandboxed: bool = False,
        api: str = "fetch",
    ) -> BrowserVerdict:
        """Run ``fetch`` (or XHR) from a page on ``page_origin`` and return Chromium's verdict."""
        frame = self._frame(page_origin, sandboxed)
        self.failures.clear()
        self.sent.clear()
        self.issues.clear()
        mark = self.log.mark()
        result: dict[str, Any] = frame.evaluate(
            "(o) => window.corsProbe(o)",
            {
                "url": url,
                "method": method,
                "headers": headers or {},
                "credentials": credentials,
                "body": body,
                "api": api,
            },
        )
        if not result["ok"]:
            # The page's promise can settle before DevTools delivers loadingFailed.
            # A CORS failure's loadingFailed carries the corsError; a failure outside CORS
            # only a net:: errorText, and a failed preflight may report its own first.
            deadline = time.monotonic() + 3
            while not self.cors_errors() and time.monotonic() < deadline:
                if self.net_errors():
                    deadline = min(deadline, time.monotonic() + 0.3)
                self.page.wait_for_timeout(25)
        else:
            self.page.wait_for_timeout(100)  # a deprecation issue can trail the answer
        errors = self.cors_errors()
        received = self.log.since(mark)
        if len(self.sent) < len(received):  # DevTools events may trail the servers' log
            self.page.wait_for_timeout(100)
        return BrowserVerdict(
            ok=bool(result["ok"]),
            cors_error=errors[-1] if errors and not result["ok"] else None,
            options_count=sum(1 for r in received if r.method == "OPTIONS"),
            status=result.get("status"),
            headers=dict(result.get("headers") or {}),
            body=str(result.get("body") or ""),
            error_text=result.get("error"),
            page_origin=result.get("origin"),
            requests=tuple(received),
            sent=tuple((e["request"]["method"], e["request"]["url"]) for e in self.sent),
            net_error=(self.net_errors() or [None])[-1] if not result["ok"] else None,
            warnings=tuple(self.deprecations()),
        )
