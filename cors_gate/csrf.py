"""One list for CORS and CSRF: Django's CsrfViewMiddleware that also trusts csrf_trusted rules.

Replace ``django.middleware.csrf.CsrfViewMiddleware`` with
``cors_gate.csrf.CorsGateCsrfViewMiddleware`` in MIDDLEWARE. Everything Django does stays as
it is (tokens, the Referer check for HTTPS requests without Origin, CSRF_TRUSTED_ORIGINS,
the same-origin check); only when Django would refuse an Origin header does this class ask
the policy snapshot whether an enabled, unexpired rule marked csrf_trusted allows it. That
question reads the in-memory snapshot the CORS middleware uses: no query per request.

Trust is extended only while the policy's mode is enforce (report-only changes nothing).
A rule can only extend CSRF trust the way Django's own ``https://*.example.com`` entries do:
https, the scheme's default or one fixed port, and wildcards only as whole leading labels in
front of a fixed registrable domain. So ``https://*`` , ``https://*.com``,
``https://*.github.io``, ``https://app.*.example.com`` and ``https://x.example.com:*`` never
earn CSRF trust, whatever their flag says.
"""

from __future__ import annotations

import time
from functools import lru_cache

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from publicsuffixlist import PublicSuffixList

from cors_gate.matcher import Rule
from cors_gate.origins import OriginError, parse_pattern, parse_request_origin
from cors_gate.policy import PolicySnapshot, RuleInfo, current_snapshot


@lru_cache(maxsize=1)
def public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List (the package's copy), parsed on first use, not at start-up.

    Shared with the audit, which asks with accept_unknown=False per call.
    """
    return PublicSuffixList()


@lru_cache(maxsize=4096)
def csrf_trust_shape_ok(pattern_text: str) -> bool:
    """Whether a rule's pattern may extend CSRF trust at all (see the module docstring)."""
    try:
        pattern = parse_pattern(pattern_text)
    except OriginError:
        return False
    if pattern.scheme != "https" or pattern.any_port or pattern.host == "*":
        return False
    if not pattern.is_wildcard:
        return True
    labels = pattern.labels
    stars = 0
    while stars < len(labels) and labels[stars] == "*":
        stars += 1
    fixed = labels[stars:]
    if "*" in fixed or not fixed:
        return False  # a '*' after a fixed label: Django's form cannot say that
    # '*.co.uk' or '*.github.io' would trust every unrelated site under a public suffix.
    return not public_suffix_list().is_public(".".join(fixed))


def csrf_trusted_rule(snapshot: PolicySnapshot, origin: str, now: float) -> Rule[RuleInfo] | None:
    """The rule that lets `origin` pass Django's CSRF origin check, if any."""
    parsed = parse_request_origin(origin)
    if parsed is None or parsed.scheme != "https":
        return None

    def trusted(rule: Rule[RuleInfo]) -> bool:
        info = rule.data
        return (
            info.enabled
            and info.csrf_trusted
            and (info.expires_at is None or info.expires_at > now)
            and csrf_trust_shape_ok(info.pattern)
        )

    return snapshot.matcher.match(parsed, trusted)


class CorsGateCsrfViewMiddleware(CsrfViewMiddleware):
    """A drop-in CsrfViewMiddleware; also trusts origins of csrf_trusted rules."""

    def _origin_verified(self, request: HttpRequest) -> bool:
        # Django 4.2 and 5.2 share this hook: True lets the Origin through, then the token
        # is still checked exactly as before.
        if super()._origin_verified(request):  # type: ignore[misc]  # private in the stubs
            return True
        snapshot = current_snapshot()
        # Report-only promises to change nothing, and off means cors_gate does nothing.
        if not snapshot.loaded or snapshot.mode != "enforce":
            return False
        origin = request.META.get("HTTP_ORIGIN", "")
        return csrf_trusted_rule(snapshot, origin, time.time()) is not None
