"""Policy mode: the answers cors_gate's middleware would give, without any HTTP.

The request is built with Django's RequestFactory and handed to `CorsGateMiddleware` alone,
in front of a stand-in view that answers 200 with no headers. So the headers shown are
exactly the middleware's own, with no URL conf, no other middleware and no view involved
(`--in-process` adds those). The decision comes from the same policy snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import RequestFactory

from cors_gate.explain.walk import SiteTransport
from cors_gate.middleware import REFUSED_ATTR, CorsGateMiddleware
from cors_gate.policy import current_snapshot


@dataclass(frozen=True)
class DecisionView:
    allowed: bool
    rule: str | None
    reason: str
    enforced: bool
    mode: str


def refused(view: DecisionView, reason: str) -> DecisionView:
    """The decision as the middleware carried it out: refused for `reason` after all."""
    return DecisionView(False, view.rule, reason, view.enforced, view.mode)


def decide(origin: str, path: str) -> DecisionView:
    """cors_gate's decision for this Origin and path, from the current policy snapshot."""
    snapshot = current_snapshot()
    decision = snapshot.decide(origin, path)
    return DecisionView(
        decision.allowed, decision.rule, decision.reason, decision.enforced, snapshot.mode
    )


def _stand_in_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"", status=200, content_type="text/plain")


class PolicyTransport(SiteTransport):
    """Answers from CorsGateMiddleware alone, for this site's URLs."""

    other_site = "{url} is another site; policy mode knows only this one"

    def __init__(self, site_url: str) -> None:
        super().__init__(site_url)
        self.middleware = CorsGateMiddleware(_stand_in_view)
        self.factory = RequestFactory()
        # Why the middleware refused an answer it would otherwise have given (it marks the
        # response), e.g. "preflight-too-large": the policy allows the origin, yet no CORS.
        self.refused: str | None = None

    def answer(self, method: str, path: str, headers: dict[str, str]) -> HttpResponseBase:
        request = self.factory.generic(method, path, secure=self.secure, headers=headers)
        response: HttpResponseBase = self.middleware(request)
        self.refused = getattr(response, REFUSED_ATTR, None) or self.refused
        return response
