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
        except requests.Timeout:
            raise CannotFollow(url, f"no answer from {url} within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            reason = _short_reason(exc)
            raise CannotFollow(url, f"cannot reach {url}: {reason}") from None
        pairs = list(response.raw.headers.items()) if response.raw is not None else []
        response.close()
        return Answer.build(url, response.status_code, pairs)

    def close(self) -> None:
        self.session.close()


def _short_reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


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
