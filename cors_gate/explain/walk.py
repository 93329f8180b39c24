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
from cors_gate.explain.fetch import classify
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


def _redirect_method(status: int, method: str) -> str:
    if (status in (301, 302) and method == "POST") or (status == 303 and method != "HEAD"):
        return "GET"
    return method


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
    first_origin = url_origin(url)
    current_url = url
    current_headers = list(headers)
    tainted = False
    cors_flag = False
    for redirects in range(MAX_REDIRECTS + 1):
        # Once set, the CORS flag stays set for the rest of the redirect chain.
        cors_flag = cors_flag or origin == "null" or url_origin(current_url) != origin
        sent_origin = "null" if tainted else origin
        classification = classify(method, current_headers, cross_origin=cors_flag, engine=engine)
        if redirects == 0:
            result.kind = classification.kind
        if cors_flag and urlsplit(current_url).scheme not in ("http", "https"):
            result.failure = check_redirect_location(
                current_url, current_url=current_url, origin=origin, tainted=tainted,
                engine=engine,
            )  # fmt: skip
            return result
        if cors_flag and classification.needs_preflight:
            pre_headers = [
                ("Accept", "*/*"),
                ("Origin", sent_origin),
                ("Access-Control-Request-Method", classification.method),
                ("Sec-Fetch-Mode", "cors"),
            ]
            if classification.unsafe_header_names:
                pre_headers.append(
                    ("Access-Control-Request-Headers", ",".join(classification.unsafe_header_names))
                )
            hop = Hop("preflight", "OPTIONS", current_url, pre_headers)
            result.hops.append(hop)
            try:
                hop.answer = transport.send("OPTIONS", current_url, pre_headers)
            except CannotFollow as stop:
                return _cannot_follow(result, hop, stop, origin, cors_flag)
            failure = check_preflight(
                hop.answer,
                origin=sent_origin,
                credentials=credentials,
                method=classification.method,
                unsafe_headers=classification.unsafe_header_names,
                engine=engine,
                warnings=result.warnings,
            )
            if failure is not None:
                hop.error = failure.error
                result.failure = failure
                return result
        sent = list(classification.headers)
        if cors_flag or classification.method not in ("GET", "HEAD"):
            sent.append(("Origin", sent_origin))
        sent.append(("Sec-Fetch-Mode", "cors"))
        hop = Hop("actual", classification.method, current_url, sent)
        result.hops.append(hop)
        try:
            hop.answer = transport.send(classification.method, current_url, sent)
        except CannotFollow as stop:
            return _cannot_follow(result, hop, stop, origin, cors_flag)
        answer = hop.answer
        if cors_flag:
            failure = check_response(
                answer, origin=sent_origin, credentials=credentials, method=method, engine=engine
            )
            if failure is not None:
                hop.error = failure.error
                result.failure = failure
                return result
        if not answer.is_redirect:
            return result
        location = answer.location or ""
        new_url = urljoin(current_url, location)
        failure = check_redirect_location(
            new_url, current_url=current_url, origin=origin, tainted=tainted,
            cors_flag=cors_flag, engine=engine,
        )  # fmt: skip
        if failure is not None:
            hop.error = failure.error
            result.failure = failure
            if failure.check == "EmbeddedCredentials":
                result.warnings.append(WARNINGS[engine]["embedded-credentials"])
            return result
        if url_origin(new_url) != url_origin(current_url) and origin != url_origin(current_url):
            tainted = True
        if url_origin(new_url) != first_origin:
            result.crossed_origin = True
        new_method = _redirect_method(answer.status, classification.method)
        if new_method != classification.method:
            current_headers = [
                (n, v) for n, v in current_headers if n.lower() not in REQUEST_BODY_HEADERS
            ]
        hop.note = f"redirect to {new_url}" + (
            f"; the browser follows it with {new_method}" if new_method != method else ""
        )
        method = new_method
        current_url = new_url
    result.stopped = CannotFollow(
        current_url, "more than 20 redirects: net::ERR_TOO_MANY_REDIRECTS"
    )
    return result


def _cannot_follow(
    result: WalkResult, hop: Hop, stop: CannotFollow, origin: str, cors_flag: bool
) -> WalkResult:
    hop.note = stop.why
    if stop.network_error is None:
        result.stopped = stop
        return result
    failure = network_failure(
        stop.url, stop.why, stop.network_error, origin=origin, cors_flag=cors_flag,
        engine=result.engine,
    )  # fmt: skip
    hop.error = failure.error
    result.failure = failure
    return result
