"""Chromium's CORS checks, applied to a response's status and headers, in Chromium's order.

Read from Chromium's network service (services/network/public/cpp/cors/cors.cc `CheckAccess`,
services/network/cors/preflight_controller.cc `CheckPreflightAccess`,
services/network/cors/preflight_result.cc, services/network/cors/cors_url_loader.cc):

Preflight (OPTIONS) answer:
  1. a redirect (3xx with Location) fails at once: PreflightDisallowedRedirect;
  2. the access check (below) with the *actual* request's credentials mode, mapped to the
     Preflight* twin; it runs before the status, so a 403 without ACAO reads
     PreflightMissingAllowOriginHeader;
  3. status not 2xx: PreflightInvalidStatus;
  4. Access-Control-Allow-Methods, then -Headers, must be comma-separated tokens:
     InvalidAllowMethodsPreflightResponse / InvalidAllowHeadersPreflightResponse;
  5. the method must be listed (exact case; `*` counts only without credentials; GET/HEAD/POST
     always pass): MethodDisallowedByPreflightResponse;
  6. each CORS-unsafe header must be listed (case-insensitive); `*` covers all of them only
     without credentials and never covers Authorization: HeaderDisallowedByPreflightResponse.

Actual answer and every redirect answer: the access check.
  ACAO `*`: fine without credentials, WildcardOriginNotAllowed with them;
  ACAO missing: MissingAllowOriginHeader;
  ACAO != the serialized origin: MultipleAllowOriginValues when it holds a space or a comma,
  AllowOriginMismatch for `null`, InvalidAllowOriginValue when it is not a URL, else
  AllowOriginMismatch;
  then, with credentials, ACAC must be exactly `true`: InvalidAllowCredentials.

Redirect Location: credentials in the URL (cross-origin or tainted) give
RedirectContainsCredentials; a scheme other than http(s) gives CorsDisabledScheme.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cors_gate import middleware
from cors_gate.middleware import REDIRECT_STATUSES

Step = Literal["preflight", "actual", "redirect"]

CORS_SCHEMES = frozenset({"http", "https"})

# The middleware's header names, in the lower case answers are compared in.
ACAO, ACAC, ACAM, ACAH = (
    h.lower() for h in (middleware.ACAO, middleware.ACAC, middleware.ACAM, middleware.ACAH)
)

# Chromium name -> Firefox name (MDN "CORS errors"; MDN spells one "CORSMIssingAllowCredentials").
FIREFOX_NAMES: dict[str, str] = {
    "MissingAllowOriginHeader": "CORSMissingAllowOrigin",
    "WildcardOriginNotAllowed": "CORSNotSupportingCredentials",
    "MultipleAllowOriginValues": "CORSMultipleAllowOriginNotAllowed",
    "InvalidAllowOriginValue": "CORSAllowOriginNotMatchingOrigin",
    "AllowOriginMismatch": "CORSAllowOriginNotMatchingOrigin",
    "InvalidAllowCredentials": "CORSMIssingAllowCredentials",
    "PreflightInvalidStatus": "CORSPreflightDidNotSucceed",
    "PreflightDisallowedRedirect": "CORSExternalRedirectNotAllowed",
    "MethodDisallowedByPreflightResponse": "CORSMethodNotFound",
    "HeaderDisallowedByPreflightResponse": "CORSMissingAllowHeaderFromPreflight",
    "InvalidAllowMethodsPreflightResponse": "CORSInvalidAllowMethod",
    "InvalidAllowHeadersPreflightResponse": "CORSInvalidAllowHeader",
    "RedirectContainsCredentials": "CORSExternalRedirectNotAllowed",
    "CorsDisabledScheme": "CORSRequestNotHttp",
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
    chrome_error: str
    step: Step
    url: str
    message: str
    fix: str
    failed_parameter: str | None = None

    @property
    def firefox_error(self) -> str:
        name = self.chrome_error
        return FIREFOX_NAMES.get(name) or FIREFOX_NAMES[name.removeprefix("Preflight")]


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
) -> tuple[str, str | None] | None:
    """Chromium's CheckAccess: None, or (error name, failed parameter)."""
    if allow_origin == "*":
        if credentials and urlsplit(url).scheme in CORS_SCHEMES:
            return "WildcardOriginNotAllowed", None
    elif allow_origin is None:
        return "MissingAllowOriginHeader", None
    elif allow_origin != origin:
        if any(c in allow_origin for c in " ,"):
            return "MultipleAllowOriginValues", allow_origin
        if allow_origin == "null":
            return "AllowOriginMismatch", allow_origin
        if not _looks_like_url(allow_origin):
            return "InvalidAllowOriginValue", allow_origin
        return "AllowOriginMismatch", allow_origin
    if credentials and allow_credentials != "true":
        return "InvalidAllowCredentials", allow_credentials or ""
    return None


def _parse_allow_list(value: str | None) -> list[str] | None:
    """Comma-separated tokens, empty items ignored; None when an item is not a token."""
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    return items if all(_TOKEN.match(item) for item in items) else None


def _failure(
    name: str, step: Step, url: str, origin: str, parameter: str | None, context: FailureContext
) -> CorsFailure:
    message, fix = describe(name, url=url, origin=origin, parameter=parameter, context=context)
    return CorsFailure(name, step, url, message, fix, parameter)


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
) -> CorsFailure | None:
    """Judge the answer to an OPTIONS preflight for the actual request it announces."""
    ctx = FailureContext(method, credentials, answer.status, answer.location)
    if answer.is_redirect:
        return _failure("PreflightDisallowedRedirect", "preflight", answer.url, origin, None, ctx)
    access = access_error(
        answer.get(ACAO), answer.get(ACAC), credentials=credentials, origin=origin, url=answer.url
    )
    if access is not None:
        name, parameter = access
        return _failure("Preflight" + name, "preflight", answer.url, origin, parameter, ctx)
    if not 200 <= answer.status <= 299:
        return _failure("PreflightInvalidStatus", "preflight", answer.url, origin, None, ctx)
    methods = _parse_allow_list(answer.get(ACAM))
    if methods is None:
        return _failure(
            "InvalidAllowMethodsPreflightResponse", "preflight", answer.url, origin,
            answer.get(ACAM), ctx,
        )  # fmt: skip
    allowed_headers = _parse_allow_list(answer.get(ACAH))
    if allowed_headers is None:
        return _failure(
            "InvalidAllowHeadersPreflightResponse", "preflight", answer.url, origin,
            answer.get(ACAH), ctx,
        )  # fmt: skip
    ctx = FailureContext(method, credentials, answer.status, answer.location, "*" in methods)
    method_ok = (
        method in methods
        or method.upper() in {"GET", "HEAD", "POST"}
        or (not credentials and "*" in methods)
    )
    if not method_ok:
        return _failure(
            "MethodDisallowedByPreflightResponse", "preflight", answer.url, origin, method, ctx
        )
    lowered = {h.lower() for h in allowed_headers}
    ctx = FailureContext(method, credentials, answer.status, answer.location, "*" in lowered)
    if not credentials and "*" in lowered:
        # "*" is a wildcard without credentials, but never for Authorization.
        if "authorization" in unsafe_headers and "authorization" not in lowered:
            return _failure(
                "HeaderDisallowedByPreflightResponse", "preflight", answer.url, origin,
                "authorization", ctx,
            )  # fmt: skip
        return None
    for name in unsafe_headers:
        if name not in lowered:
            return _failure(
                "HeaderDisallowedByPreflightResponse", "preflight", answer.url, origin, name, ctx
            )
    return None


def check_response(
    answer: Answer, *, origin: str, credentials: bool, method: str = "GET"
) -> CorsFailure | None:
    """The access check Chromium runs on the actual answer and on each redirect answer."""
    ctx = FailureContext(method, credentials, answer.status, answer.location)
    step: Step = "redirect" if answer.is_redirect else "actual"
    access = access_error(
        answer.get(ACAO), answer.get(ACAC), credentials=credentials, origin=origin, url=answer.url
    )
    if access is None:
        return None
    name, parameter = access
    return _failure(name, step, answer.url, origin, parameter, ctx)


def check_redirect_location(
    location_url: str, *, current_url: str, origin: str, tainted: bool
) -> CorsFailure | None:
    """Chromium's CheckRedirectLocation plus the CORS-enabled-scheme check of the next hop."""
    target = urlsplit(location_url)
    ctx = FailureContext(location=location_url)
    has_credentials = target.username is not None or target.password is not None
    if has_credentials:
        return _failure(
            "RedirectContainsCredentials", "redirect", current_url, origin, location_url, ctx
        )
    if target.scheme not in CORS_SCHEMES:
        return _failure("CorsDisabledScheme", "redirect", location_url, origin, None, ctx)
    return None


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
