"""The matrix: every front end by every step of its journeys -> the browser's verdict.

Each cell is one `cors_gate.explain.explain()` call in the chosen mode (policy, in-process
or a live base URL), so the verdict, the decision and the fix are explain's own. Two
cases explain leaves open are completed here with explain's own walk and Chromium checks:

* policy mode sees no views, so a step the journeys file marks ``redirects_to`` is
  followed to that URL as the browser would after the site's redirect;
* in-process mode stops where a redirect leaves this site.

In both, the other site is taken to send no CORS headers — what an SSO sign-in page does
(in the Open edX forum thread "Cross-Origin Resource Sharing error: Preflight Missing
Allow Origin Header", Okta answered the redirected login without any) —
and the cell says so. Live mode needs no assumption: explain follows the real redirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext as _

from cors_gate.doctor.discovery import Discovery, FrontEnd
from cors_gate.doctor.journeys import Journeys, Step
from cors_gate.exceptions import CorsGateError
from cors_gate.explain import ExplainError, Explanation, explain
from cors_gate.explain.browser import Answer
from cors_gate.explain.explanation import site_url
from cors_gate.explain.walk import REQUEST_BODY_HEADERS, redirect_method, walk
from cors_gate.middleware import SSO_FIX
from cors_gate.origins import url_origin

MODES = ("policy", "in-process", "live")
OK = "ok"
NOT_RUN = "-"


class DoctorError(CorsGateError):
    """Unusable doctor input (one line naming the field)."""


@dataclass(frozen=True)
class Cell:
    frontend: str
    step: Step
    ok: bool
    outcome: str  # "ok", the Chromium (DevTools) error name, or "cannot tell"
    # "error": blocked or cannot tell; "warning": works only because another CORS layer
    # answered what cors_gate would refuse.
    severity: str
    message: str
    fix: str | None
    failing_url: str | None
    failing_method: str | None
    firefox_error: str | None
    decision: dict[str, Any] | None
    assumed: str | None  # what the doctor took for granted to finish the walk
    explain_query: dict[str, str]  # the explain page's form, prefilled with this request

    def as_dict(self) -> dict[str, Any]:
        return {
            "frontend": self.frontend,
            "journey": self.step.journey,
            "step": self.step.id,
            "ok": self.ok,
            "outcome": self.outcome,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "failing_url": self.failing_url,
            "failing_method": self.failing_method,
            "firefox_error": self.firefox_error,
            "decision": self.decision,
            "assumed": self.assumed,
            "request": {
                "method": self.step.method,
                "path": self.step.path,
                "headers": [[n, v] for n, v in self.step.headers],
                "credentials": self.step.credentials,
            },
        }


@dataclass
class Matrix:
    mode: str
    site: str
    frontends: list[FrontEnd]
    steps: list[Step]  # the columns of the admin grid / rows of the text table
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (origin, step key)
    skipped: list[str] = field(default_factory=list)
    journey_files: tuple[str, ...] = ()

    def cell(self, origin: str, step: Step) -> Cell | None:
        return self.cells.get((origin, step.key))

    def counts(self) -> dict[str, int]:
        out = {"checks": 0, "ok": 0, "errors": 0, "warnings": 0}
        for cell in self.cells.values():
            out["checks"] += 1
            out["ok"] += cell.ok
            out["errors"] += cell.severity == "error"
            out["warnings"] += cell.severity == "warning"
        return out

    def worst(self) -> str:
        counts = self.counts()
        if counts["errors"]:
            return "error"
        return "warning" if counts["warnings"] else "ok"


class _SiteWithoutCors:
    """The other end of a redirect that neither policy nor in-process mode can reach:
    answers 200 with no CORS header, as an SSO provider's sign-in page does."""

    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        return Answer.build(url, 200, [("Content-Type", "text/html")])


def _continue_after_redirect(
    step: Step, target: str, status: int
) -> tuple[str | None, str | None, str | None, str | None, str]:
    """Follow the browser from this site's redirect to `target` on another origin.

    Returns (chrome_error, firefox_error, failing_url, failing_method, message). After a
    cross-origin hop the request is tainted: the browser sends ``Origin: null`` (Fetch
    standard §4.4), so it is walked from origin "null".
    """
    method = redirect_method(status, step.method)
    headers = list(step.headers)
    if method != step.method:
        headers = [(n, v) for n, v in headers if n.lower() not in REQUEST_BODY_HEADERS]
    result = walk(
        _SiteWithoutCors(),
        origin="null",
        method=method,
        headers=headers,
        credentials=step.credentials == "include",
        url=target,
    )
    failure = result.failure
    if failure is None:
        return None, None, None, None, _("the other site's answer passes")
    hop = next((h for h in reversed(result.hops) if h.error), result.hops[-1])
    return failure.chrome_error, failure.firefox_error, failure.url, hop.method, failure.message


def _within_site(step: Step) -> Step:
    """The request the browser sends after `step`'s redirect to another path of this site."""
    assert step.redirects_to is not None
    parts = urlsplit(step.redirects_to)
    method = redirect_method(step.redirect_status, step.method)
    headers = step.headers
    if method != step.method:
        headers = tuple((n, v) for n, v in headers if n.lower() not in REQUEST_BODY_HEADERS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return replace(step, method=method, path=path, headers=headers, redirects_to=None)


def _query(origin: str, step: Step, mode: str, base_url: str | None) -> dict[str, str]:
    query = {
        "origin": origin,
        "method": step.method,
        "headers": "\n".join(step.header_lines()),
        "credentials": step.credentials,
        "mode": "url" if mode == "live" else mode,
    }
    if mode == "live" and base_url:
        query["url"] = base_url + step.path
    else:
        query["path"] = step.path
    return query


def explain_link(base: str, cell: Cell) -> str:
    return f"{base}?{urlencode(cell.explain_query)}"


@dataclass(frozen=True)
class _Shown:
    """What the browser shows for one step: the names, where it failed, and why."""

    chrome: str | None
    firefox: str | None
    message: str
    fix: str | None
    url: str | None
    failing_method: str | None
    assumed: str | None = None


def _judge(front: FrontEnd, step: Step, mode: str, base_url: str | None) -> Cell:
    query = _query(front.origin, step, mode, base_url)
    try:
        explanation = explain(
            front.origin,
            step.method,
            step.header_lines(),
            credentials=step.credentials,
            path=None if mode == "live" else step.path,
            url=(base_url or "") + step.path if mode == "live" else None,
            in_process=mode == "in-process",
        )
    except ExplainError as exc:
        # A check that could not run must not let a CI job pass (e.g. the site is down).
        cannot_tell = _("cannot tell")
        return Cell(
            front.origin, step, False, cannot_tell, "error", str(exc),
            None, None, None, None, None, None, query,
        )  # fmt: skip
    redirect = _unfollowed_redirect(explanation, step, mode)
    if redirect is None:
        shown = _as_explained(explanation)
    elif mode == "policy" and url_origin(redirect[0]) == url_origin(site_url()):
        # A redirect within this site: the browser keeps the page's Origin there.
        return _judge(front, _within_site(step), mode, base_url)
    else:
        first = site_url() + step.path if mode != "live" else (base_url or "") + step.path
        shown = _after_redirect(step, *redirect, first=first)
    ok = shown.chrome is None and (explanation.browser.ok or redirect is not None)
    decision = explanation.decision
    message = shown.message
    if not ok:
        outcome, severity = shown.chrome or _("cannot tell"), "error"
    elif not decision.allowed and explanation.kind != "not-cors":
        # The browser accepts it, but not because of cors_gate: another layer answered.
        outcome, severity = OK, "warning"
        message = _(
            "%(msg)s cors_gate itself would not allow it (%(reason)s): another CORS layer "
            "answered, and the front end breaks when cors_gate enforces alone."
        ) % {"msg": message, "reason": decision.reason}
    else:
        outcome, severity = OK, "ok"
    return Cell(
        front.origin,
        step,
        ok,
        outcome,
        severity,
        message,
        shown.fix,
        shown.url,
        shown.failing_method,
        shown.firefox,
        decision.as_dict(),
        shown.assumed,
        query,
    )


def _as_explained(explanation: Explanation) -> _Shown:
    """explain's own verdict, with the method of the request that failed."""
    browser = explanation.browser
    url = browser.url
    failing_method: str | None = None
    if url:
        failing_method = next(
            (h.method for h in reversed(explanation.hops) if h.url == url and h.error), None
        )
    return _Shown(
        browser.chrome_error,
        browser.firefox_error,
        browser.message,
        browser.fix,
        url,
        failing_method,
    )


def _unfollowed_redirect(explanation: Explanation, step: Step, mode: str) -> tuple[str, int] | None:
    """The redirect explain could not follow, as (target, status): in policy mode the one
    the journeys file declares for a step that passed, in in-process mode the site's last
    redirect when the walk stopped at another origin."""
    browser = explanation.browser
    if mode == "policy" and browser.ok and step.redirects_to:
        return step.redirects_to, step.redirect_status
    url = browser.url
    if mode != "in-process" or browser.ok or browser.chrome_error is not None or not url:
        return None
    last_redirect = next(
        (
            (hop.url, hop.answer.status)
            for hop in reversed(explanation.hops)
            if hop.answer is not None and 300 <= hop.answer.status < 400
        ),
        None,
    )
    if last_redirect is not None and url_origin(url) != url_origin(last_redirect[0]):
        return url, last_redirect[1]
    return None


def _after_redirect(step: Step, target: str, status: int, *, first: str) -> _Shown:
    """The verdict once the browser follows this site's redirect to `target` on another
    site, which is taken to answer as an SSO sign-in page does (no CORS headers)."""
    chrome, firefox, url, failing_method, detail = _continue_after_redirect(step, target, status)
    assumed = _(
        "%(other)s is another site, taken to send no CORS headers (as an SSO sign-in page "
        "does); check it with --base-url"
    ) % {"other": url_origin(target)}
    if chrome is None:
        message = _("This site redirects to %(t)s, whose answer the browser accepts.") % {
            "t": target
        }
        return _Shown(chrome, firefox, message, None, url, failing_method, assumed)
    message = _(
        "%(err)s on %(url)s: %(first)s redirected this fetch() to %(other)s, and the "
        "browser followed it in CORS mode (with Origin: null). That site does not "
        "allow it; nothing in this site's allow-list can change that. %(detail)s"
    ) % {
        "err": chrome,
        "url": url,
        "first": first,
        "other": url_origin(target),
        "detail": detail,
    }
    return _Shown(chrome, firefox, message, SSO_FIX, url, failing_method, assumed)


def build_matrix(
    journeys: Journeys,
    discovery: Discovery,
    *,
    mode: str = "policy",
    base_url: str | None = None,
) -> Matrix:
    """Judge every step of every front end's journeys in one mode."""
    if mode not in MODES:
        raise DoctorError(_("mode: %(m)r must be policy, in-process or live") % {"m": mode})
    if mode == "live":
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
            raise DoctorError(
                _("base-url: %(u)r must be the site's root URL, e.g. https://lms.example.com")
                % {"u": base_url}
            )
        base_url = f"{parts.scheme}://{parts.netloc}"
        site = base_url
    else:
        if base_url:
            raise DoctorError(_("base-url: only live mode calls a URL"))
        site = site_url()
    matrix = Matrix(
        mode=mode,
        site=site,
        frontends=list(discovery.frontends),
        steps=[],
        skipped=list(discovery.skipped),
        journey_files=journeys.sources,
    )
    columns: dict[str, Step] = {}
    for front in discovery.frontends:
        for step in journeys.steps_for(*front.kinds):
            columns.setdefault(step.key, step)
            matrix.cells[(front.origin, step.key)] = _judge(front, step, mode, base_url)
    # Columns in the journeys file's order, not the order front ends happened to list them.
    order = {s.key: i for i, s in enumerate(journeys.all_steps())}
    matrix.steps = sorted(columns.values(), key=lambda s: order.get(s.key, len(order)))
    return matrix
