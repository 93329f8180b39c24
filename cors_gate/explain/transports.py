"""Where the answers come from: a live server (`--url`) or this project in-process.

The policy-mode answers (no HTTP at all) live in `policy_answers.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests
from django.http import HttpResponseBase

from cors_gate.explain.browser import Answer
from cors_gate.explain.fetch import RequestInputError
from cors_gate.explain.walk import CannotFollow, SiteTransport

USER_AGENT = "cors_gate-explain (predicts what a browser does with a CORS request)"


class HttpTransport:
    """Real HTTP with `requests`; never follows redirects itself (the walk does)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        # Only what a browser would send: no python-requests defaults to confuse the server.
        self.session.headers.clear()
        self.session.headers["User-Agent"] = USER_AGENT

    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        try:
            response = self.session.request(
                method,
                url,
                headers=dict(headers),
                allow_redirects=False,
                timeout=self.timeout,
            )
        except requests.exceptions.ConnectTimeout:
            why = f"no connection to {url} within {self.timeout:g} s"
            raise CannotFollow(url, why, "net::ERR_CONNECTION_TIMED_OUT") from None
        except requests.Timeout:
            # Connected, but no answer yet: a browser keeps waiting, so there is nothing
            # to predict.
            raise CannotFollow(url, f"no answer from {url} within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            reason, net_error = _network_error(exc)
            raise CannotFollow(url, f"cannot reach {url}: {reason}", net_error) from None
        pairs = list(response.raw.headers.items()) if response.raw is not None else []
        response.close()
        return Answer.build(url, response.status_code, pairs)

    def close(self) -> None:
        self.session.close()


# (text in the exception, what to say, the net:: error Chromium shows for it)
_NETWORK_ERRORS = (
    ("certificate has expired", "the TLS certificate has expired", "net::ERR_CERT_DATE_INVALID"),
    ("doesn't match", "the TLS certificate is for another host name",
     "net::ERR_CERT_COMMON_NAME_INVALID"),
    ("Hostname mismatch", "the TLS certificate is for another host name",
     "net::ERR_CERT_COMMON_NAME_INVALID"),
    ("CERTIFICATE_VERIFY_FAILED", "the TLS certificate is not trusted",
     "net::ERR_CERT_AUTHORITY_INVALID"),
    ("SSLError", "the TLS handshake failed", "net::ERR_SSL_PROTOCOL_ERROR"),
    ("Connection refused", "connection refused", "net::ERR_CONNECTION_REFUSED"),
    ("Name or service not known", "the host name does not resolve",
     "net::ERR_NAME_NOT_RESOLVED"),
    ("No address associated", "the host name does not resolve", "net::ERR_NAME_NOT_RESOLVED"),
    ("Temporary failure in name resolution", "the host name does not resolve",
     "net::ERR_NAME_NOT_RESOLVED"),
    ("No route to host", "no route to host", "net::ERR_ADDRESS_UNREACHABLE"),
    ("Connection reset", "the connection was reset", "net::ERR_CONNECTION_RESET"),
    ("RemoteDisconnected", "the server closed the connection without an answer",
     "net::ERR_EMPTY_RESPONSE"),
)  # fmt: skip


def _network_error(exc: BaseException) -> tuple[str, str]:
    """What went wrong, in a few words, and the net:: error Chromium shows for it."""
    text = f"{type(exc).__name__} {exc!r} {exc}"
    if isinstance(exc, requests.exceptions.SSLError):
        text = "SSLError " + text
    for marker, reason, net_error in _NETWORK_ERRORS:
        if marker in text:
            return reason, net_error
    return type(exc).__name__, "net::ERR_FAILED"


class DjangoClientTransport(SiteTransport):
    """This project's whole middleware stack and URL conf, through Django's test client.

    CSRF checks are enforced (the test client skips them by default) and view exceptions
    become 500 answers, because that is what a browser would get.
    """

    other_site = "{url} is another site; --in-process answers only for {site}"

    def __init__(self, site_url: str) -> None:
        from django.conf import settings
        from django.http.request import split_domain_port, validate_host
        from django.test import Client

        super().__init__(site_url)
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        domain, _ = split_domain_port(self.host)
        if not validate_host(domain, allowed):
            raise RequestInputError(
                f"site: {self.host} is not in ALLOWED_HOSTS; set CORS_GATE_SITE_URL to the URL "
                "this site is served at"
            )
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    def answer(self, method: str, path: str, headers: dict[str, str]) -> HttpResponseBase:
        return self.client.generic(method, path, secure=self.secure, headers=headers)
