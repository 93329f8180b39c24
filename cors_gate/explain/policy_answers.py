"""Policy mode: the answers cors_gate's middleware would give, without any HTTP.

The request is built with Django's RequestFactory and handed to `CorsGateMiddleware` alone,
in front of a stand-in view that answers 200 with no headers. So the headers shown are
exactly the middleware's own, with no URL conf, no other middleware and no view involved
(`--in-process` adds those). The decision comes from the same policy snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from cors_gate.explain.browser import Answer
from cors_gate.explain.walk import CannotFollow, same_site_request
from cors_gate.origins import url_origin


class PolicyUnavailable(RuntimeError):
    """The core (policy snapshot / middleware) is not importable in this installation."""


@dataclass(frozen=True)
class DecisionView:
    allowed: bool | None
    rule: str | None
    reason: str
    enforced: bool | None = None
    mode: str | None = None


def decide(origin: str, path: str) -> DecisionView:
    """cors_gate's decision for this Origin and path, from the current policy snapshot."""
    try:
        from cors_gate.policy import current_snapshot
    except ImportError:
        return DecisionView(None, None, "no-snapshot")
    snapshot: Any = current_snapshot()
    decision: Any = snapshot.decide(origin, path)
    return DecisionView(
        bool(decision.allowed),
        decision.rule,
        str(decision.reason),
        bool(getattr(decision, "enforced", True)),
        str(getattr(snapshot, "mode", "enforce")),
    )


def _stand_in_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"", status=200, content_type="text/plain")


class PolicyTransport:
    """Answers from CorsGateMiddleware alone, for this site's URLs."""

    def __init__(self, site_url: str) -> None:
        try:
            from cors_gate.middleware import CorsGateMiddleware
        except ImportError as exc:
            raise PolicyUnavailable(
                f"policy: cors_gate's middleware cannot be imported ({exc})"
            ) from None
        from django.test import RequestFactory

        self.middleware = CorsGateMiddleware(_stand_in_view)
        self.factory = RequestFactory()
        self.site_origin = url_origin(site_url)
        parts = urlsplit(site_url)
        self.secure = parts.scheme == "https"
        self.host = parts.netloc

    def send(self, method: str, url: str, headers: Sequence[tuple[str, str]]) -> Answer:
        if url_origin(url) != self.site_origin:
            raise CannotFollow(url, f"{url} is another site; policy mode knows only this one")
        path, sent = same_site_request(url, headers, self.host)
        request = self.factory.generic(method, path, secure=self.secure, headers=sent)
        response = self.middleware(request)
        return Answer.build(url, response.status_code, list(response.items()))
