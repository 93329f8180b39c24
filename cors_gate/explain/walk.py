"""The browser's walk: preflight, actual request and redirects, as Chromium performs them.

A `Transport` answers one HTTP exchange (from the policy, through Django's test client, or
over the network); `walk()` decides what the browser sends next and judges each answer with
the checks in `browser.py`. Redirect handling follows Chromium's CorsURLLoader:

* the CORS check applies to the 3xx answer itself;
* 301/302 turn POST into GET and 303 turns anything but HEAD into GET; a method change
  drops the request-body headers (Content-Type, Content-Encoding, Content-Language,
  Content-Location);
* a hop to a new origin, from a URL that is not the page's own origin, taints the request:
  the next `Origin` is `null` and the next answer must allow `null`;
* a CORS-unsafe header that survives causes a new preflight to the new URL;
* `Location` with user:password is RedirectContainsCredentials;
* at most 20 redirects.

The same walk runs once per engine (`engine=`): the classification (which headers are
safelisted), the checks and the names differ where the engines do (see `browser.py`).
A transport that cannot reach a server says so with the net:: error Chromium would show;
the walk turns that into each engine's network-error outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from cors_gate.explain.browser import (
    WARNINGS,
    Answer,
    CorsFailure,
    Engine,
    check_preflight,
    check_redirect_location,
    check_response,
    network_failure,
)
from cors_gate.explain.fetch import Classification, classify
from cors_gate.origins import url_origin

MAX_REDIRECTS = 20
REQUEST_BODY_HEADERS = frozenset(
    {"content-type", "content-encoding", "content-language", "content-location"}
)


class Transport(Protocol):
    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer: ...


class CannotFollow(Exception):
    """The transport cannot reach `url`: another site in --in-process mode (explain cannot
    know the answer), or, with `network_error` (Chromium's net:: name), a server that gave
    no answer at all (the browser cannot either: that is a prediction)."""

    def __init__(self, url: str, why: str, network_error: str | None = None) -> None:
        super().__init__(why)
        self.url = url
        self.why = why
        self.network_error = network_error


class SiteTransport:
    """Sends to this site only (a hop elsewhere stops the walk); subclasses say who answers."""

    other_site = "{url} is another site"

    def __init__(self, site_url: str) -> None:
        self.site_origin = url_origin(site_url)
        parts = urlsplit(site_url)
        self.secure = parts.scheme == "https"
        self.host = parts.netloc

    def answer(self, method: str, path: str, headers: dict[str, str]) -> Any:
        """The Django response for `method path` with these request headers."""
        raise NotImplementedError

    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        if url_origin(url) != self.site_origin:
            raise CannotFollow(url, self.other_site.format(url=url, site=self.site_origin))
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        sent = {name: value for name, value in headers}
        sent["Host"] = self.host
        response = self.answer(method, path, sent)
        return Answer.build(url, response.status_code, list(response.items()))


@dataclass
class Hop:
    step: str  # "preflight" | "actual"
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    answer: Answer | None = None
    error: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "method": self.method,
            "url": self.url,
            "request_headers": headers_dict(self.request_headers),
            "status": self.answer.status if self.answer else None,
            "headers": headers_dict(self.answer.headers) if self.answer else None,
            "error": self.error,
            "note": self.note,
        }


@dataclass
class WalkResult:
    hops: list[Hop] = field(default_factory=list)
    failure: CorsFailure | None = None
    # Set when the walk stopped before the browser would have (e.g. another site in-process).
    stopped: CannotFollow | None = None
    crossed_origin: bool = False  # a redirect led to an origin other than the first URL's
    kind: str = "simple"
    engine: Engine = "chromium"
    warnings: list[str] = field(default_factory=list)  # deprecations on a request let through

    def first(self, step: str) -> Hop | None:
        return next((h for h in self.hops if h.step == step), None)


def headers_dict(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Headers as a JSON object; repeats are joined with ", " the way browsers read them."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = next((k for k in out if k.lower() == name.lower()), name)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def redirect_method(status: int, method: str) -> str:
    """The method the browser follows a `status` redirect with (Fetch standard §4.4,
    HTTP-redirect fetch)."""
    if (status in (301, 302) and method == "POST") or (status == 303 and method != "HEAD"):
        return "GET"
    return method


@dataclass
class _Fetch:
    """One fetch() in flight: where it goes next, with what, and what the browser carries
    over from hop to hop (the tainted origin, the CORS flag)."""

    transport: Transport
    origin: str
    credentials: bool
    engine: Engine
    method: str
    url: str
    headers: list[tuple[str, str]]
    result: WalkResult
    tainted: bool = False
    cors_flag: bool = False

    @property
    def sent_origin(self) -> str:
        return "null" if self.tainted else self.origin

    def fail(self, hop: Hop, failure: CorsFailure) -> None:
        hop.error = failure.error
        self.result.failure = failure

    def cannot_follow(self, hop: Hop, stop: CannotFollow) -> None:
        """The transport could not send `hop`: the walk stops short, or, on a network
        error, fails the way the browser would."""
        hop.note = stop.why
        if stop.network_error is None:
            self.result.stopped = stop
            return
        failure = network_failure(
            stop.url, stop.why, stop.network_error, origin=self.origin,
            cors_flag=self.cors_flag, engine=self.engine,
        )  # fmt: skip
        self.fail(hop, failure)


def walk(
    transport: Transport,
    *,
    origin: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    credentials: bool,
    url: str,
    engine: Engine = "chromium",
) -> WalkResult:
    """Follow one fetch() from `origin` to `url` the way `engine` would."""
    result = WalkResult(engine=engine)
    fetch = _Fetch(transport, origin, credentials, engine, method, url, list(headers), result)
    first_origin = url_origin(url)
    for redirects in range(MAX_REDIRECTS + 1):
        # Once set, the CORS flag stays set for the rest of the redirect chain.
        fetch.cors_flag = fetch.cors_flag or origin == "null" or url_origin(fetch.url) != origin
        classification = classify(
            fetch.method, fetch.headers, cross_origin=fetch.cors_flag, engine=engine
        )
        if redirects == 0:
            result.kind = classification.kind
        if fetch.cors_flag and urlsplit(fetch.url).scheme not in ("http", "https"):
            result.failure = check_redirect_location(
                fetch.url, current_url=fetch.url, origin=origin, tainted=fetch.tainted,
                engine=engine,
            )  # fmt: skip
            return result
        if (
            fetch.cors_flag
            and classification.needs_preflight
            and not _preflight(fetch, classification)
        ):
            return result
        hop = _actual(fetch, classification)
        if hop is None or not _redirect(fetch, hop, classification, first_origin=first_origin):
            return result
    result.stopped = CannotFollow(fetch.url, "more than 20 redirects: net::ERR_TOO_MANY_REDIRECTS")
    return result


def _preflight(fetch: _Fetch, classification: Classification) -> bool:
    """Send the preflight and check its answer; True when the browser goes on."""
    pre_headers = [
        ("Accept", "*/*"),
        ("Origin", fetch.sent_origin),
        ("Access-Control-Request-Method", classification.method),
        ("Sec-Fetch-Mode", "cors"),
    ]
    if classification.unsafe_header_names:
        pre_headers.append(
            ("Access-Control-Request-Headers", ",".join(classification.unsafe_header_names))
        )
    hop = Hop("preflight", "OPTIONS", fetch.url, pre_headers)
    fetch.result.hops.append(hop)
    try:
        hop.answer = fetch.transport.send("OPTIONS", fetch.url, pre_headers)
    except CannotFollow as stop:
        fetch.cannot_follow(hop, stop)
        return False
    failure = check_preflight(
        hop.answer,
        origin=fetch.sent_origin,
        credentials=fetch.credentials,
        method=classification.method,
        unsafe_headers=classification.unsafe_header_names,
        engine=fetch.engine,
        warnings=fetch.result.warnings,
    )
    if failure is not None:
        fetch.fail(hop, failure)
        return False
    return True


def _actual(fetch: _Fetch, classification: Classification) -> Hop | None:
    """Send the request itself and check its answer: the hop when the browser lets the
    answer through (it may be a redirect), None when the walk ends here."""
    sent = list(classification.headers)
    if fetch.cors_flag or classification.method not in ("GET", "HEAD"):
        sent.append(("Origin", fetch.sent_origin))
    sent.append(("Sec-Fetch-Mode", "cors"))
    hop = Hop("actual", classification.method, fetch.url, sent)
    fetch.result.hops.append(hop)
    try:
        hop.answer = fetch.transport.send(classification.method, fetch.url, sent)
    except CannotFollow as stop:
        fetch.cannot_follow(hop, stop)
        return None
    if fetch.cors_flag:
        failure = check_response(
            hop.answer,
            origin=fetch.sent_origin,
            credentials=fetch.credentials,
            method=fetch.method,
            engine=fetch.engine,
        )
        if failure is not None:
            fetch.fail(hop, failure)
            return None
    return hop


def _redirect(
    fetch: _Fetch, hop: Hop, classification: Classification, *, first_origin: str
) -> bool:
    """When the answer is a redirect the browser follows, move `fetch` to its target;
    True when there is a next hop."""
    answer = hop.answer
    if answer is None or not answer.is_redirect:
        return False
    current_url = fetch.url
    new_url = urljoin(current_url, answer.location or "")
    failure = check_redirect_location(
        new_url, current_url=current_url, origin=fetch.origin, tainted=fetch.tainted,
        cors_flag=fetch.cors_flag, engine=fetch.engine,
    )  # fmt: skip
    if failure is not None:
        fetch.fail(hop, failure)
        if failure.check == "EmbeddedCredentials":
            fetch.result.warnings.append(WARNINGS[fetch.engine]["embedded-credentials"])
        return False
    if url_origin(new_url) != url_origin(current_url) and fetch.origin != url_origin(current_url):
        fetch.tainted = True
    if url_origin(new_url) != first_origin:
        fetch.result.crossed_origin = True
    new_method = redirect_method(answer.status, classification.method)
    if new_method != classification.method:
        fetch.headers = [(n, v) for n, v in fetch.headers if n.lower() not in REQUEST_BODY_HEADERS]
    hop.note = f"redirect to {new_url}" + (
        f"; the browser follows it with {new_method}" if new_method != fetch.method else ""
    )
    fetch.method = new_method
    fetch.url = new_url
    return True
