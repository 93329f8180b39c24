"""Chromium's CORS checks, applied to a response's status and headers, in Chromium's order.

Read from Chromium's network service (services/network/public/cpp/cors/cors.cc `CheckAccess`,
services/network/cors/preflight_controller.cc `CheckPreflightAccess`,
services/network/cors/preflight_result.cc, services/network/cors/cors_url_loader.cc):

Preflight (OPTIONS) answer:
  1. a redirect (3xx with Location) fails at once: PreflightDisallowedRedirect;
  2. the access check (below) with the *actual* request's credentials mode, mapped to the
     Preflight* twin; it runs before the status, so a 403 without
     Access-Control-Allow-Origin reads PreflightMissingAllowOriginHeader;
  3. status not 2xx: PreflightInvalidStatus;
  4. Access-Control-Allow-Methods, then -Headers, must be comma-separated tokens:
     InvalidAllowMethodsPreflightResponse / InvalidAllowHeadersPreflightResponse;
  5. the method must be listed (exact case; `*` counts only without credentials; GET/HEAD/POST
     always pass): MethodDisallowedByPreflightResponse;
  6. each CORS-unsafe header must be listed (case-insensitive); `*` covers all of them only
     without credentials and never covers Authorization: HeaderDisallowedByPreflightResponse.

Actual answer and every redirect answer: the access check of
Access-Control-Allow-Origin (ACAO below) and Access-Control-Allow-Credentials (ACAC).
  ACAO `*`: fine without credentials, WildcardOriginNotAllowed with them;
  ACAO missing: MissingAllowOriginHeader;
  ACAO != the serialized origin: MultipleAllowOriginValues when it holds a space or a comma,
  AllowOriginMismatch for `null`, InvalidAllowOriginValue when it is not a URL, else
  AllowOriginMismatch;
  then, with credentials, ACAC must be exactly `true`: InvalidAllowCredentials.

Redirect Location: credentials in the URL (cross-origin or tainted) give
RedirectContainsCredentials; a scheme other than http(s) gives CorsDisabledScheme.

Each engine judges with its own rules (`Engine`). Where Firefox differs — measured with
Firefox ESR against the same answers, its console's message keys read from
nsIScriptError.category (dom/locales security.properties) — the checks say so:
* the access check: one Access-Control-Allow-Origin line holding a list is
  CORSAllowOriginNotMatchingOrigin; CORSMultipleAllowOriginNotAllowed needs two lines;
* the preflight: the method is checked right after Access-Control-Allow-Methods is parsed,
  before Access-Control-Allow-Headers is (Chromium parses both lists first);
* redirects: a Location with user info fails with the generic CORSDidNotSucceed in
  Firefox. Chromium refuses data:, about:, file:, blob: and filesystem: before CORS
  (net::ERR_UNSAFE_REDIRECT); Firefox refuses data:, file:, javascript:, blob:, ws: and
  wss: with CORSDidNotSucceed, and calls about: and other schemes CORSRequestNotHttp.
  Chromium blocks a same-origin hop to a URL with user info outside CORS (net::ERR_ABORTED,
  DevTools issue RequestedSubresourceWithEmbeddedCredentials); Firefox follows it;
* a network failure (refused, unresolvable, TLS) is CORSDidNotSucceed in Firefox and the
  net:: error alone in Chromium.
Both engines let `Access-Control-Allow-Headers: *` cover Authorization when the request is
not credentialed, with a deprecation warning (Chromium's DevTools issue
AuthorizationCoveredByWildcard, Firefox's CORSAllowHeaderFromPreflightDeprecation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cors_gate import middleware
from cors_gate.middleware import REDIRECT_STATUSES
from cors_gate.origins import url_origin

Step = Literal["preflight", "actual", "redirect"]
Engine = Literal["chromium", "firefox"]
ENGINES: tuple[Engine, ...] = ("chromium", "firefox")

CORS_SCHEMES = frozenset({"http", "https"})

# The middleware's header names, in the lower case answers are compared in.
ALLOW_ORIGIN, ALLOW_CREDENTIALS, ALLOW_METHODS, ALLOW_HEADERS = (
    h.lower()
    for h in (
        middleware.ALLOW_ORIGIN,
        middleware.ALLOW_CREDENTIALS,
        middleware.ALLOW_METHODS,
        middleware.ALLOW_HEADERS,
    )
)

# The key Firefox's console logs (nsIScriptError.category, its wording version number
# dropped) for each failed check, named here by Chromium's error for the same check.
# Firefox has no Preflight… twins: a preflight failure logs the same key, then
# CORSDidNotSucceed. (MDN's page for the credentials one is spelled
# "CORSMIssingAllowCredentials"; the console key is CORSMissingAllowCredentials.)
FIREFOX_KEYS: dict[str, str] = {
    "MissingAllowOriginHeader": "CORSMissingAllowOrigin",
    "WildcardOriginNotAllowed": "CORSNotSupportingCredentials",
    "MultipleAllowOriginValues": "CORSMultipleAllowOriginNotAllowed",
    "InvalidAllowOriginValue": "CORSAllowOriginNotMatchingOrigin",
    "AllowOriginMismatch": "CORSAllowOriginNotMatchingOrigin",
    "InvalidAllowCredentials": "CORSMissingAllowCredentials",
    "PreflightInvalidStatus": "CORSPreflightDidNotSucceed",
    "PreflightDisallowedRedirect": "CORSExternalRedirectNotAllowed",
    "MethodDisallowedByPreflightResponse": "CORSMethodNotFound",
    "HeaderDisallowedByPreflightResponse": "CORSMissingAllowHeaderFromPreflight",
    "InvalidAllowMethodsPreflightResponse": "CORSInvalidAllowMethod",
    "InvalidAllowHeadersPreflightResponse": "CORSInvalidAllowHeader",
    "RedirectContainsCredentials": "CORSDidNotSucceed",
    "CorsDisabledScheme": "CORSRequestNotHttp",
}
# Kept for callers of the first version of this module.
FIREFOX_NAMES = FIREFOX_KEYS
FIREFOX_NETWORK_ERROR = "CORSDidNotSucceed"
# What Firefox's fetch() rejects with when a request fails outside CORS (no console key).
FIREFOX_PLAIN_NETWORK_ERROR = "NetworkError"

# Schemes Chromium will not redirect a subresource request to, whatever the mode
# (net::ERR_UNSAFE_REDIRECT): checked before any CORS rule. Measured, like the next set.
CHROMIUM_UNSAFE_REDIRECT_SCHEMES = frozenset({"data", "about", "file", "blob", "filesystem"})
# Schemes Firefox refuses a redirect to with the generic CORSDidNotSucceed (it knows them
# and will not follow there); other non-http(s) schemes are CORSRequestNotHttp.
FIREFOX_REFUSED_REDIRECT_SCHEMES = frozenset({"data", "file", "javascript", "blob", "ws", "wss"})
UNSAFE_REDIRECT = "net::ERR_UNSAFE_REDIRECT"
EMBEDDED_CREDENTIALS_ABORT = "net::ERR_ABORTED"

# Deprecation warnings each engine gives for a request it still lets through.
WARNINGS: dict[Engine, dict[str, str]] = {
    "chromium": {
        "authorization-wildcard": "AuthorizationCoveredByWildcard",
        # Not a pass: DevTools raises it as it blocks a same-origin URL with user info.
        "embedded-credentials": "RequestedSubresourceWithEmbeddedCredentials",
    },
    "firefox": {"authorization-wildcard": "CORSAllowHeaderFromPreflightDeprecation"},
}
WARNING_TEXT = {
    "authorization-wildcard": "Access-Control-Allow-Headers: * lets the Authorization "
    "header through only as a deprecated exception; browsers are removing it. List "
    "Authorization explicitly.",
    "embedded-credentials": "Redirect to a URL without user:password@.",
}

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*\Z")
_FORBIDDEN_HOST_CHARS = frozenset(" #%/:<>?@[\\]^|\t\r\n\x00")


@dataclass(frozen=True)
class Answer:
    """One HTTP response as the browser sees it: status, headers (repeats allowed), its URL."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, url: str, status: int, headers: Iterable[tuple[str, str]]) -> Answer:
        return cls(url, status, tuple((n, v) for n, v in headers))

    def get(self, name: str) -> str | None:
        """Like Chromium's GetNormalizedHeader: repeated headers are joined with ", "."""
        values = [v.strip(" \t") for n, v in self.headers if n.lower() == name]
        return ", ".join(values) if values else None

    @property
    def location(self) -> str | None:
        return self.get("location")

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECT_STATUSES and bool(self.location)


@dataclass(frozen=True)
class CorsFailure:
    """One engine's failure. `check` names the failed check in Chromium's vocabulary (the
    key of the message and the fix); `error` is what that engine itself shows."""

    check: str
    step: Step
    url: str
    message: str
    fix: str
    failed_parameter: str | None = None
    engine: Engine = "chromium"
    error: str = ""
    network: bool = False  # failed outside CORS: a net:: error, no CORS error name

    def __post_init__(self) -> None:
        if not self.error:
            object.__setattr__(self, "error", engine_error(self.engine, self.check))

    @property
    def chrome_error(self) -> str:
        """The check's Chromium name (the engine's own name is `error`)."""
        return self.check

    @property
    def firefox_error(self) -> str:
        return engine_error("firefox", self.check)


def engine_error(engine: Engine, check: str) -> str:
    """The name `engine` shows for a failed `check` (Chromium's name for it)."""
    if engine == "chromium":
        return check
    return FIREFOX_KEYS.get(check) or FIREFOX_KEYS.get(
        check.removeprefix("Preflight"), FIREFOX_NETWORK_ERROR
    )


def _looks_like_url(value: str) -> bool:
    """A lenient stand-in for Chromium's GURL::is_valid, enough to tell `InvalidAllowOriginValue`
    (no scheme, empty host, bad port) from `AllowOriginMismatch`."""
    scheme, sep, rest = value.partition(":")
    if not sep or not _SCHEME.match(scheme):
        return False
    if scheme.lower() not in {"http", "https", "ws", "wss", "ftp"}:
        return True
    authority = re.split(r"[/?#]", rest.lstrip("/\\"), maxsplit=1)[0]
    host, _, port = authority.rpartition("@")[2].partition(":")
    if not host or any(c in _FORBIDDEN_HOST_CHARS for c in host):
        return False
    return not port or (port.isdigit() and int(port) <= 65535)


def access_error(
    allow_origin: str | None,
    allow_credentials: str | None,
    *,
    credentials: bool,
    origin: str,
    url: str,
    engine: Engine = "chromium",
    allow_origin_lines: int = 1,
) -> tuple[str, str | None] | None:
    """The access check: None, or (failed check, failed parameter).

    Chromium (CheckAccess) reads the header lines joined with ", " and calls any value with
    a space or a comma MultipleAllowOriginValues; Firefox counts header lines, so one line
    holding a list is just a value that does not match."""
    if engine == "firefox" and allow_origin is not None:
        if allow_origin_lines > 1:
            return "MultipleAllowOriginValues", allow_origin
        if allow_origin not in ("*", origin):
            return "AllowOriginMismatch", allow_origin
    refused = _allow_origin_error(allow_origin, origin=origin, credentials=credentials, url=url)
    if refused is not None:
        return refused
    if credentials and allow_credentials != "true":
        return "InvalidAllowCredentials", allow_credentials or ""
    return None


def _allow_origin_error(
    allow_origin: str | None, *, origin: str, credentials: bool, url: str
) -> tuple[str, str | None] | None:
    """Chromium's reading of Access-Control-Allow-Origin: None when it lets `origin` in."""
    if allow_origin == "*":
        if credentials and urlsplit(url).scheme in CORS_SCHEMES:
            return "WildcardOriginNotAllowed", None
        return None
    if allow_origin is None:
        return "MissingAllowOriginHeader", None
    if allow_origin == origin:
        return None
    if any(c in allow_origin for c in " ,"):
        return "MultipleAllowOriginValues", allow_origin
    if allow_origin != "null" and not _looks_like_url(allow_origin):
        return "InvalidAllowOriginValue", allow_origin
    return "AllowOriginMismatch", allow_origin


def _parse_allow_list(value: str | None) -> list[str] | None:
    """Comma-separated tokens, empty items ignored; None when an item is not a token."""
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    return items if all(_TOKEN.match(item) for item in items) else None


def _failure(
    name: str,
    step: Step,
    url: str,
    origin: str,
    parameter: str | None,
    context: FailureContext,
    engine: Engine = "chromium",
    *,
    error: str = "",
    network: bool = False,
) -> CorsFailure:
    message, fix = describe(name, url=url, origin=origin, parameter=parameter, context=context)
    return CorsFailure(name, step, url, message, fix, parameter, engine, error, network)


def _access(
    answer: Answer, *, credentials: bool, origin: str, engine: Engine
) -> tuple[str, str | None] | None:
    lines = sum(1 for n, _ in answer.headers if n.lower() == ALLOW_ORIGIN)
    return access_error(
        answer.get(ALLOW_ORIGIN),
        answer.get(ALLOW_CREDENTIALS),
        credentials=credentials,
        origin=origin,
        url=answer.url,
        engine=engine,
        allow_origin_lines=lines,
    )


@dataclass(frozen=True)
class FailureContext:
    """What the message and the fix may mention."""

    method: str = "GET"
    credentials: bool = False
    status: int = 0
    location: str | None = None
    star_listed: bool = False  # "*" appears in the Allow-Methods/-Headers list that failed


def check_preflight(
    answer: Answer,
    *,
    origin: str,
    credentials: bool,
    method: str,
    unsafe_headers: Sequence[str],
    engine: Engine = "chromium",
    warnings: list[str] | None = None,
) -> CorsFailure | None:
    """Judge the answer to an OPTIONS preflight for the actual request it announces.

    Deprecation warnings for a preflight that passes are appended to `warnings`."""
    ctx = FailureContext(method, credentials, answer.status, answer.location)

    def fail(name: str, parameter: str | None, context: FailureContext) -> CorsFailure:
        return _failure(name, "preflight", answer.url, origin, parameter, context, engine)

    if answer.is_redirect:
        return fail("PreflightDisallowedRedirect", None, ctx)
    access = _access(answer, credentials=credentials, origin=origin, engine=engine)
    if access is not None:
        name, parameter = access
        return fail("Preflight" + name, parameter, ctx)
    if not 200 <= answer.status <= 299:
        return fail("PreflightInvalidStatus", None, ctx)
    methods = _parse_allow_list(answer.get(ALLOW_METHODS))
    if methods is None:
        return fail("InvalidAllowMethodsPreflightResponse", answer.get(ALLOW_METHODS), ctx)
    method_ctx = FailureContext(method, credentials, answer.status, answer.location, "*" in methods)
    method_ok = (
        method in methods
        or method.upper() in {"GET", "HEAD", "POST"}
        or (not credentials and "*" in methods)
    )
    # Firefox checks the method as soon as Allow-Methods is parsed; Chromium parses
    # Allow-Headers first.
    if not method_ok and engine == "firefox":
        return fail("MethodDisallowedByPreflightResponse", method, method_ctx)
    allowed_headers = _parse_allow_list(answer.get(ALLOW_HEADERS))
    if allowed_headers is None:
        return fail("InvalidAllowHeadersPreflightResponse", answer.get(ALLOW_HEADERS), ctx)
    if not method_ok:
        return fail("MethodDisallowedByPreflightResponse", method, method_ctx)
    lowered = {h.lower() for h in allowed_headers}
    refused = _refused_header(unsafe_headers, lowered, credentials, engine, warnings)
    if refused is None:
        return None
    ctx = FailureContext(method, credentials, answer.status, answer.location, "*" in lowered)
    return fail("HeaderDisallowedByPreflightResponse", refused, ctx)


def _refused_header(
    unsafe_headers: Sequence[str],
    allowed: set[str],
    credentials: bool,
    engine: Engine,
    warnings: list[str] | None,
) -> str | None:
    """The first request header Access-Control-Allow-Headers (lower-cased) does not cover."""
    if not credentials and "*" in allowed:
        # "*" covers every header without credentials. Authorization was meant to be the
        # exception (Fetch standard), but Chromium and Firefox both still let it through,
        # with a deprecation warning.
        covers_authorization = "authorization" in unsafe_headers and "authorization" not in allowed
        if covers_authorization and warnings is not None:
            warnings.append(WARNINGS[engine]["authorization-wildcard"])
        return None
    return next((name for name in unsafe_headers if name not in allowed), None)


def check_response(
    answer: Answer,
    *,
    origin: str,
    credentials: bool,
    method: str = "GET",
    engine: Engine = "chromium",
) -> CorsFailure | None:
    """The access check run on the actual answer and on each redirect answer."""
    ctx = FailureContext(method, credentials, answer.status, answer.location)
    step: Step = "redirect" if answer.is_redirect else "actual"
    access = _access(answer, credentials=credentials, origin=origin, engine=engine)
    if access is None:
        return None
    name, parameter = access
    return _failure(name, step, answer.url, origin, parameter, ctx, engine)


def check_redirect_location(
    location_url: str,
    *,
    current_url: str,
    origin: str,
    tainted: bool,
    cors_flag: bool = True,
    engine: Engine = "chromium",
) -> CorsFailure | None:
    """Where a redirect may lead, per engine: unsafe schemes, user info, CORS schemes.

    `origin` is the page's origin; `cors_flag` says the request was already in CORS mode
    (cross-origin) before this redirect."""
    target = urlsplit(location_url)
    scheme = target.scheme.lower()
    ctx = FailureContext(location=location_url)
    has_credentials = target.username is not None or target.password is not None
    cross_origin = tainted or not _same_origin(location_url, origin)
    # The request is in CORS mode after this hop when it was before, or the hop leaves
    # the page's origin.
    cors_after = cors_flag or cross_origin

    def fail(name: str, *, error: str = "", network: bool = False) -> CorsFailure:
        return _failure(
            name, "redirect", current_url, origin, location_url, ctx, engine,
            error=error, network=network,
        )  # fmt: skip

    if engine == "chromium":
        if scheme in CHROMIUM_UNSAFE_REDIRECT_SCHEMES:
            return fail("UnsafeRedirect", error=UNSAFE_REDIRECT, network=True)
        if has_credentials and cross_origin:
            return fail("RedirectContainsCredentials")
        if has_credentials:
            return fail("EmbeddedCredentials", error=EMBEDDED_CREDENTIALS_ABORT, network=True)
    elif scheme in FIREFOX_REFUSED_REDIRECT_SCHEMES:
        # Firefox refuses it; a CORS message only when the request already was in CORS mode.
        if cors_flag:
            return fail("UnsafeRedirect", error=FIREFOX_NETWORK_ERROR)
        return fail("UnsafeRedirect", error=FIREFOX_PLAIN_NETWORK_ERROR, network=True)
    elif has_credentials and cors_after:
        return fail("RedirectContainsCredentials", error=FIREFOX_NETWORK_ERROR)
    if scheme not in CORS_SCHEMES:
        return fail("CorsDisabledScheme")
    return None


def _same_origin(url: str, origin: str) -> bool:
    try:
        return url_origin(url) == origin
    except ValueError:
        return False


def network_failure(
    url: str, why: str, chromium_error: str, *, origin: str, cors_flag: bool, engine: Engine
) -> CorsFailure:
    """A request that got no answer: Chromium shows the net:: error; Firefox logs
    CORSDidNotSucceed for a CORS request and nothing for a same-origin one."""
    ctx = FailureContext()
    if engine == "chromium":
        error = chromium_error
    else:
        error = FIREFOX_NETWORK_ERROR if cors_flag else FIREFOX_PLAIN_NETWORK_ERROR
    return _failure(
        "NetworkError", "actual", url, origin, why, ctx, engine, error=error,
        network=engine == "chromium" or not cors_flag,
    )  # fmt: skip


def describe(
    name: str, *, url: str, origin: str, parameter: str | None, context: FailureContext
) -> tuple[str, str]:
    """A plain-English message and a fix for one Chromium CORS error."""
    base = name.removeprefix("Preflight")
    where = "the preflight (OPTIONS) answer" if name.startswith("Preflight") else "the answer"
    cred = " with credentials" if context.credentials else ""
    texts: dict[str, tuple[str, str]] = {
        "MissingAllowOriginHeader": (
            f"{where} from {url} has no Access-Control-Allow-Origin header, so the browser "
            f"hides it from {origin}.",
            f"Allow {origin} for this path in cors_gate's allowed origins; if it is already "
            "allowed, find what answered without the middleware's headers (an error page, a "
            "proxy, a view or another middleware answering first).",
        ),
        "WildcardOriginNotAllowed": (
            f"{where} from {url} says Access-Control-Allow-Origin: * but the request is "
            "credentialed; a wildcard never works with credentials.",
            f"Answer with the exact origin ({origin}) instead of *, or send the request "
            "without credentials.",
        ),
        "MultipleAllowOriginValues": (
            f"{where} from {url} carries several Access-Control-Allow-Origin values "
            f"({parameter!r}); exactly one is allowed.",
            "Two layers both add CORS headers (e.g. django-cors-headers or a proxy as well as "
            "cors_gate): let only one of them do it.",
        ),
        "InvalidAllowOriginValue": (
            f"{where} from {url} has Access-Control-Allow-Origin {parameter!r}, which is not "
            "an origin.",
            f"Send the serialized origin exactly as the browser sent it: {origin}.",
        ),
        "AllowOriginMismatch": (
            f"{where} from {url} allows {parameter!r}, but the page's origin is {origin}; "
            "they must be equal byte for byte.",
            f"Echo the request's Origin exactly ({origin}); check case, trailing slash and "
            "port, and send Vary: Origin so caches do not serve another origin's answer.",
        ),
        "InvalidAllowCredentials": (
            f"{where} from {url} is for a credentialed request but "
            f"Access-Control-Allow-Credentials is {parameter or 'missing'!r}, not exactly "
            "'true'.",
            "Send Access-Control-Allow-Credentials: true (turn on allow_credentials in the "
            "CORS policy), or make the request with credentials: 'omit'.",
        ),
        "PreflightInvalidStatus": (
            f"the preflight (OPTIONS) answer from {url} has status {context.status}; a "
            "preflight must get a 2xx.",
            "Answer OPTIONS with 200/204 before authentication, CSRF or method checks "
            "(preflights never carry cookies); make sure cors_gate's middleware runs first.",
        ),
        "PreflightDisallowedRedirect": (
            f"the preflight (OPTIONS) answer from {url} is a {context.status} redirect to "
            f"{context.location}; preflights must not be redirected.",
            "Answer OPTIONS directly: a login redirect, an APPEND_SLASH or HTTPS redirect "
            "must not apply to preflights. Put cors_gate's middleware before the ones that "
            "redirect and call the final URL.",
        ),
        "MethodDisallowedByPreflightResponse": (
            f"the preflight answer from {url} does not list method {parameter} in "
            "Access-Control-Allow-Methods"
            + (
                " (with credentials '*' is a literal name, not a wildcard)"
                if cred and context.star_listed
                else ""
            )
            + ".",
            f"Add {parameter} to the policy's allowed methods (methods are compared "
            "case-sensitively).",
        ),
        "HeaderDisallowedByPreflightResponse": (
            f"the preflight answer from {url} does not list request header {parameter} in "
            "Access-Control-Allow-Headers"
            + (
                " ('*' never covers Authorization)"
                if parameter == "authorization" and context.star_listed and not cred
                else " (with credentials '*' is a literal name, not a wildcard)"
                if cred and context.star_listed
                else ""
            )
            + ".",
            f"Add {parameter} to the policy's allowed headers, or stop sending it.",
        ),
        "InvalidAllowMethodsPreflightResponse": (
            f"the preflight answer from {url} has an Access-Control-Allow-Methods value that "
            f"is not a comma-separated list of tokens: {parameter!r}.",
            "Send method names separated by commas, e.g. 'GET, POST, PUT'.",
        ),
        "InvalidAllowHeadersPreflightResponse": (
            f"the preflight answer from {url} has an Access-Control-Allow-Headers value that "
            f"is not a comma-separated list of tokens: {parameter!r}.",
            "Send header names separated by commas, e.g. 'Content-Type, X-CSRFToken'.",
        ),
        "RedirectContainsCredentials": (
            f"the redirect from {url} points to {parameter}, a URL with user name or "
            "password; CORS requests may not follow it.",
            "Redirect to a URL without user:password@.",
        ),
        "CorsDisabledScheme": (
            f"the request goes to {url}, whose scheme does not support CORS (only http and "
            "https do).",
            "Redirect or call an http(s) URL.",
        ),
        "UnsafeRedirect": (
            f"the redirect from {url} points to {parameter}, a URL a browser will not "
            "follow a fetch() to (Chromium: net::ERR_UNSAFE_REDIRECT for data:, about:, "
            "file:, blob:, filesystem:; Firefox: CORS request did not succeed for data:, "
            "file:, javascript:, blob:, ws:, wss:).",
            "Redirect to an http(s) URL; hand data to the page in the answer instead.",
        ),
        "EmbeddedCredentials": (
            f"the redirect from {url} points to {parameter}, a URL with user name or "
            "password; Chromium blocks a page's requests to such URLs (DevTools issue "
            "RequestedSubresourceWithEmbeddedCredentials), Firefox follows it.",
            "Redirect to a URL without user:password@.",
        ),
        "NetworkError": (
            f"no answer from {url}: {parameter}. The browser gets a network error, not "
            "a CORS verdict.",
            "Make sure the server is up and reachable from the browser, its name resolves, "
            "and its TLS certificate is valid for that host name and trusted.",
        ),
    }
    message, fix = texts[name] if name in texts else texts[base]
    return message[0].upper() + message[1:], fix


def error_names() -> list[str]:
    """Every Chromium error this module can produce."""
    names = set(FIREFOX_NAMES)
    twins = {
        "MissingAllowOriginHeader",
        "WildcardOriginNotAllowed",
        "MultipleAllowOriginValues",
        "InvalidAllowOriginValue",
        "AllowOriginMismatch",
        "InvalidAllowCredentials",
    }
    names |= {"Preflight" + n for n in twins}
    return sorted(names)
