"""CorsGateMiddleware: Oracle Cloud Gate's simple and preflight CORS workflows, enforced.

Put it first in MIDDLEWARE so that responses made by any later middleware (redirects, errors,
django-cors-headers) pass through it. The header logic lives in `apply_actual` and
`apply_preflight`, which the explain feature calls too, so its predictions are the
middleware's real behaviour.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

from cors_gate import conf
from cors_gate.http_tokens import is_token
from cors_gate.observe import note, observe
from cors_gate.origins import NULL_ORIGIN
from cors_gate.policy import Decision, PolicySnapshot, current_snapshot, fresh_snapshot

logger = logging.getLogger("cors_gate.middleware")

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
MAX_AGE = "Access-Control-Max-Age"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"
ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"
CORS_RESPONSE_HEADERS = (
    ALLOW_ORIGIN,
    ALLOW_CREDENTIALS,
    ALLOW_METHODS,
    ALLOW_HEADERS,
    MAX_AGE,
    EXPOSE_HEADERS,
    ALLOW_PRIVATE_NETWORK,
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

SSO_FIX = (
    "start SSO with a top-level navigation to "
    "/auth/login/tpa-saml/?auth_entry=login&idp=<slug>, "
    "or return the redirect URL as JSON for the page to follow"
)


# Header tests read the response's own lower-cased index of its headers (Django's
# ResponseHeaders keeps one): `name in response` costs a raised and caught KeyError for
# every absent name, and a pass over every header costs one .lower() per header.
_CORS_LOWER = frozenset(name.lower() for name in CORS_RESPONSE_HEADERS)
_STALE_ON_ACTUAL = frozenset(
    name.lower() for name in (ALLOW_METHODS, ALLOW_HEADERS, MAX_AGE, ALLOW_PRIVATE_NETWORK)
)
_STALE_ON_ACTUAL_NO_EXPOSE = _STALE_ON_ACTUAL | {EXPOSE_HEADERS.lower()}


def _index(response: HttpResponseBase) -> Mapping[str, object]:
    """The response's headers keyed by lower-case name (without copying them)."""
    store = getattr(response.headers, "_store", None)
    if isinstance(store, dict):
        return store
    return {name.lower(): None for name in response.headers}


def _delete_headers(response: HttpResponseBase, lowered: frozenset[str]) -> None:
    present = lowered.intersection(_index(response))
    for name in present:
        del response[name]


def strip_cors_headers(response: HttpResponseBase) -> None:
    _delete_headers(response, _CORS_LOWER)


def vary_on_origin(response: HttpResponseBase) -> None:
    """patch_vary_headers(response, ("Origin",)), without its work when there is no Vary."""
    index = _index(response)
    if "vary" in index:
        patch_vary_headers(response, ("Origin",))
    elif index is getattr(response.headers, "_store", None):
        # A constant, valid header: Django's own index, without re-checking its characters.
        index["vary"] = ("Vary", "Origin")  # type: ignore[index]
    else:
        response.headers["Vary"] = "Origin"


def _write_by_text(
    response: HttpResponseBase, snapshot: PolicySnapshot, origin: str, allowed: bool
) -> None:
    """vary_on_origin + apply_actual in one pass over Django's own header index, for an
    origin Matcher.match_text decided. An allowed origin's text is a browser's canonical
    serialisation (ASCII letters, digits, ".-:/[]") or "null", so it goes into the index as
    ResponseHeaders.__setitem__ would put it, without re-checking its characters."""
    store = getattr(response.headers, "_store", None)
    if type(store) is not dict:
        vary_on_origin(response)
        if allowed:
            _allow_origin(response, snapshot, origin)
            _finish_actual(response, snapshot)
        else:
            strip_cors_headers(response)
        return
    if "vary" in store:
        patch_vary_headers(response, ("Origin",))
    else:
        store["vary"] = ("Vary", "Origin")
    if not allowed:
        if not _CORS_LOWER.isdisjoint(store):
            _delete_headers(response, _CORS_LOWER)
        return
    store["access-control-allow-origin"] = (ALLOW_ORIGIN, origin)
    if snapshot.allow_credentials:
        store["access-control-allow-credentials"] = (ALLOW_CREDENTIALS, "true")
    else:
        store.pop("access-control-allow-credentials", None)
    if snapshot.exposed_headers:
        _finish_actual(response, snapshot)
    elif not _STALE_ON_ACTUAL_NO_EXPOSE.isdisjoint(store):
        _delete_headers(response, _STALE_ON_ACTUAL_NO_EXPOSE)


def _allow_origin(response: HttpResponseBase, snapshot: PolicySnapshot, origin: str) -> None:
    # Oracle Cloud Gate CORS documentation, steps 4.4-4.5 and 5.4-5.5: overwrite
    # whatever upstream set.
    response[ALLOW_ORIGIN] = origin
    if snapshot.allow_credentials:
        response[ALLOW_CREDENTIALS] = "true"
    elif "access-control-allow-credentials" in _index(response):
        del response[ALLOW_CREDENTIALS]


def apply_actual(
    response: HttpResponseBase, snapshot: PolicySnapshot, decision: Decision
) -> HttpResponseBase:
    """The simple-request workflow (Oracle Cloud Gate CORS documentation, steps 4.3-4.7) on
    an actual response."""
    if not decision.allowed or decision.origin is None:
        strip_cors_headers(response)
        return response
    _allow_origin(response, snapshot, decision.origin)
    _finish_actual(response, snapshot)
    return response


def _finish_actual(response: HttpResponseBase, snapshot: PolicySnapshot) -> None:
    """Expose what the policy exposes; drop preflight-only headers from an actual response."""
    exposed: list[str] = []
    if snapshot.exposed_headers:
        present = _index(response)
        exposed = [h for h in snapshot.exposed_headers if h.lower() in present]
    if exposed:
        response[EXPOSE_HEADERS] = ", ".join(exposed)
        _delete_headers(response, _STALE_ON_ACTUAL)  # preflight-only headers
    else:
        _delete_headers(response, _STALE_ON_ACTUAL_NO_EXPOSE)


# Fetch standard, CORS-preflight fetch: browsers cache and parse these headers; nothing
# legitimate comes near this size, and a mirrored 5,000-header request would be 44 KB.
PREFLIGHT_ANSWER_MAX = 8192
REFUSED_ATTR = "cors_gate_refused"  # set on a preflight answer refused for its size


def mirrored_method(value: str | None) -> str | None:
    """The requested method if it may be echoed: an RFC 9110 token, else nothing."""
    return value if value and is_token(value) else None


def mirrored_headers(value: str | None) -> str | None:
    """The requested header names that are RFC 9110 tokens, as one list (or nothing).

    Browsers send lower-case token names separated by ","; anything else (spaces inside a
    name, markup, control characters) is dropped rather than echoed."""
    if not value:
        return None
    names = [name.strip(" \t") for name in value.split(",")]
    kept = [name for name in names if name and is_token(name)]
    if len(kept) == len(names):
        return value  # all tokens: echoed exactly as the browser sent the list
    return ",".join(kept) or None


def _answer_size(response: HttpResponseBase) -> int:
    """The bytes of the answer's header section so far ("Name: value" CRLF per header)."""
    return sum(len(name) + len(str(value)) + 4 for name, value in response.items())


def _methods_answer(
    response: HttpResponseBase,
    snapshot: PolicySnapshot,
    upstream: str | None,
    passthrough: bool,
    request_method: str | None,
) -> str | None:
    """Access-Control-Allow-Methods: upstream's value, the policy's list, the view's `Allow`
    (passthrough only), else the requested method when it is a token."""
    if upstream:
        return upstream
    if snapshot.allowed_methods:
        return ", ".join(snapshot.allowed_methods)
    if passthrough and response.get("Allow"):
        return response["Allow"]
    return mirrored_method(request_method)


def _headers_answer(
    snapshot: PolicySnapshot, upstream: str | None, request_headers: str | None
) -> str | None:
    """Access-Control-Allow-Headers: upstream's value, the policy's list, else the requested
    names that are tokens."""
    if upstream:
        return upstream
    if snapshot.allowed_headers:
        return ", ".join(snapshot.allowed_headers)
    return mirrored_headers(request_headers)


def apply_preflight(
    response: HttpResponseBase,
    snapshot: PolicySnapshot,
    decision: Decision,
    request_method: str | None,
    request_headers: str | None,
    private_network: bool = False,
    passthrough: bool = False,
) -> HttpResponseBase:
    """The preflight workflow (Oracle Cloud Gate CORS documentation, steps 5.3-5.9).

    With `passthrough`, values upstream already set for methods and headers are kept and an
    upstream `Allow` header feeds the methods, exactly as that documentation says; otherwise
    the policy decides alone (the middleware answers the preflight itself). A requested
    method or header name is echoed only when it is an RFC 9110 token; an answer whose CORS
    headers would pass PREFLIGHT_ANSWER_MAX bytes is refused (no CORS headers) and marked
    with REFUSED_ATTR.
    """
    if not decision.allowed or decision.origin is None:
        strip_cors_headers(response)
        return response
    upstream_methods = response.get(ALLOW_METHODS) if passthrough else None
    upstream_headers = response.get(ALLOW_HEADERS) if passthrough else None
    strip_cors_headers(response)
    _allow_origin(response, snapshot, decision.origin)

    methods = _methods_answer(response, snapshot, upstream_methods, passthrough, request_method)
    if methods:
        response[ALLOW_METHODS] = methods
    names = _headers_answer(snapshot, upstream_headers, request_headers)
    if names:
        response[ALLOW_HEADERS] = names

    if snapshot.max_age > 0:
        response[MAX_AGE] = str(snapshot.max_age)
    if private_network and snapshot.allow_private_network:
        response[ALLOW_PRIVATE_NETWORK] = "true"
    if _answer_size(response) > PREFLIGHT_ANSWER_MAX:
        strip_cors_headers(response)
        setattr(response, REFUSED_ATTR, "preflight-too-large")
    return response


def is_preflight(request: HttpRequest) -> bool:
    return (
        request.method == "OPTIONS"
        and "HTTP_ORIGIN" in request.META
        and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META
    )


def preflight_asks(request: HttpRequest) -> tuple[str | None, str | None, bool]:
    """What a preflight asks for: method, headers, and private-network access."""
    meta = request.META
    return (
        meta.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
        meta.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        meta.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", "").lower() == "true",
    )


def preflight_response(
    snapshot: PolicySnapshot, decision: Decision, request: HttpRequest
) -> HttpResponse:
    """The middleware's own answer to a preflight: 200, empty body, headers per policy."""
    response = HttpResponse(status=200)
    response["Content-Length"] = "0"
    apply_preflight(response, snapshot, decision, *preflight_asks(request))
    return response


def _note_refusal(request: HttpRequest, response: HttpResponseBase) -> None:
    """A preflight answer refused for its size: the request's decision says so, for logs
    and for explain, which renders Decision reasons."""
    reason = getattr(response, REFUSED_ATTR, None)
    decision: Decision | None = getattr(request, "_cors_gate_decision", None)
    if reason and decision is not None:
        request._cors_gate_decision = decision._replace(allowed=False, reason=reason)  # type: ignore[attr-defined]
        logger.warning(
            "cors_gate: refused a preflight from %s to %s: its answer would exceed %d bytes",
            decision.origin,
            request.path,
            PREFLIGHT_ANSWER_MAX,
        )


def _warn_cross_origin_redirect(request: HttpRequest, response: HttpResponseBase) -> None:
    """The forum thread's trap: fetch/XHR following a redirect to an IdP that sends no CORS."""
    if response.status_code not in REDIRECT_STATUSES:
        return
    if request.META.get("HTTP_SEC_FETCH_MODE") != "cors":
        return
    location = response.get("Location") or ""
    try:
        target = urlsplit(location)
    except ValueError:
        return
    if not target.netloc:
        return  # relative: same origin
    here = f"{request.scheme}://{request.get_host()}"
    there = f"{target.scheme}://{target.netloc}"
    if there.lower() != here.lower():
        logger.warning(
            "cors_gate: a CORS request (fetch/XHR) from %s to %s was answered %s to another "
            "origin (%s); the browser follows it in CORS mode with Origin: null and fails there "
            "unless that origin allows null (identity providers do not). Fix: %s.",
            request.META.get("HTTP_ORIGIN"),
            request.path,
            response.status_code,
            there,
            SSO_FIX,
        )


def _vary_only(response: HttpResponseBase) -> HttpResponseBase:
    """Vary: Origin on every response, CORS or not (Oracle Cloud Gate CORS documentation,
    step 4.1)."""
    vary_on_origin(response)
    return response


class CorsGateMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        if conf.plugin_middleware_withdrawn():
            # Django drops a middleware that raises this from the chain, for good.
            raise MiddlewareNotUsed("CORS_GATE_AUTO_MIDDLEWARE is off")
        self.get_response = get_response
        self.passthrough = conf.preflight_passthrough()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        snapshot = current_snapshot()
        if snapshot.by_text and request.method != "OPTIONS":
            origin = request.META.get("HTTP_ORIGIN")
            if origin is None:
                return _vary_only(self.get_response(request))
            return self._by_text(snapshot, request, origin, self.get_response(request))
        early = self._before(snapshot, request)
        if early is not None:
            return early
        response = self.get_response(request)
        return self._after(snapshot, request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # The refresh may touch the database: only then leave the event loop.
        snapshot = fresh_snapshot()
        if snapshot is None:
            snapshot = await sync_to_async(current_snapshot)()
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        if snapshot.by_text and request.method != "OPTIONS":
            origin = request.META.get("HTTP_ORIGIN")
            if origin is None:
                return _vary_only(await get_response(request))
            return self._by_text(snapshot, request, origin, await get_response(request))
        early = self._before(snapshot, request)
        if early is not None:
            return early
        response = await get_response(request)
        return self._after(snapshot, request, response)

    def _by_text(
        self,
        snapshot: PolicySnapshot,
        request: HttpRequest,
        origin: str,
        response: HttpResponseBase,
    ) -> HttpResponseBase:
        """An actual (non-OPTIONS) CORS request under a `by_text` snapshot: the same headers
        as _decide + _after, decided by Matcher.match_text with no parse and no Decision."""
        allowed = snapshot.matcher.match_text(origin) is not None or (
            origin == NULL_ORIGIN and snapshot.allow_null_origin
        )
        if snapshot.records_observations:
            note(snapshot, request, origin, allowed)  # never raises
        if response.status_code in REDIRECT_STATUSES:
            _warn_cross_origin_redirect(request, response)
        _write_by_text(response, snapshot, origin, allowed)
        return response

    def _decide(self, snapshot: PolicySnapshot, request: HttpRequest, origin: str) -> Decision:
        """Called only for requests with an Origin header, so the decision is always CORS."""
        decision = snapshot.decide(origin, request.path_info)
        request._cors_gate_decision = decision  # type: ignore[attr-defined]
        observe(snapshot, request, decision)  # report-only migration data; never raises
        if snapshot.mode == "report-only":
            logger.debug(
                "cors_gate report-only: %s %s from %s would be %s (%s)",
                request.method,
                request.path,
                decision.origin,
                "allowed" if decision.allowed else "blocked",
                decision.reason,
            )
        return decision

    def _before(self, snapshot: PolicySnapshot, request: HttpRequest) -> HttpResponseBase | None:
        origin = request.META.get("HTTP_ORIGIN")
        if origin is None or snapshot.mode == "off":
            return None
        decision = self._decide(snapshot, request, origin)
        if (
            decision.enforced
            and request.method == "OPTIONS"
            and not self.passthrough
            and is_preflight(request)
        ):
            response = preflight_response(snapshot, decision, request)
            _note_refusal(request, response)
            vary_on_origin(response)
            return response
        return None

    def _after(
        self, snapshot: PolicySnapshot, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if snapshot.mode == "off":
            return response
        # Oracle Cloud Gate CORS documentation, steps 4.1 and 5.1: Vary: Origin on every
        # response, CORS or not.
        vary_on_origin(response)
        decision: Decision | None = getattr(request, "_cors_gate_decision", None)
        if decision is None:  # no Origin header: not a CORS request
            return response
        if response.status_code in REDIRECT_STATUSES:
            _warn_cross_origin_redirect(request, response)
        if not decision.enforced:
            return response
        if request.method == "OPTIONS" and is_preflight(request):
            apply_preflight(
                response, snapshot, decision, *preflight_asks(request), passthrough=True
            )
            _note_refusal(request, response)
            return response
        return apply_actual(response, snapshot, decision)
