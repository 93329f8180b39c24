"""The policy snapshot: an immutable, compiled view of the rules and the policy.

The request path reads `current_snapshot()` and never waits on the database: each process
checks at most once per CORS_GATE_REFRESH_SECONDS whether the revision changed, through
Django's cache when it is shared between processes (Redis, Memcached ...), or with one cheap
database read when the cache is process-local. That check runs in a helper thread; the
request that found it due waits for it at most REFRESH_WAIT (50 ms) and otherwise goes on
with the last good snapshot, which the helper replaces whenever it finishes. Only two
refreshes run in the request's own thread: the first load (there is nothing to fall back on)
and the one after this process changed the rules itself (its database just answered).

A change anywhere (admin, command, API, shell) calls `bump_revision()`, which writes the new
revision in the caller's transaction and publishes it to the cache only once that commits.
If a rebuild fails, the last good snapshot keeps serving; with none, CORS is denied and
requests still go through.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from django.utils.translation import gettext_noop

from cors_gate import conf
from cors_gate.matcher import Matcher, Rule
from cors_gate.origins import (
    NULL_ORIGIN,
    OriginError,
    RequestOrigin,
    parse_pattern,
    parse_request_origin,
)

logger = logging.getLogger("cors_gate.policy")

_monotonic = time.monotonic
CACHE_KEY = "cors_gate:revision"
REFRESH_WAIT = 0.05  # seconds a request waits for a periodic check before using what it has
_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What the policy needs to know about a matched rule beyond its pattern."""

    pattern: str
    enabled: bool = True
    paths: tuple[str, ...] = ()
    expires_at: float | None = None  # epoch seconds
    csrf_trusted: bool = False
    source: str = "database"  # "database" | "settings"
    note: str = ""


class Decision(NamedTuple):
    """The gate's verdict on one request (a named tuple: one is built per CORS request)."""

    cors: bool  # the request carried an Origin header
    allowed: bool  # the rules allow this origin here (whether or not the mode enforces it)
    enforced: bool  # the middleware acts on this decision (mode enforce, path in scope)
    reason: str
    origin: str | None = None
    rule: str | None = None  # the matching rule's pattern text


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason the gate gives for a decision, in the words each reader needs.

    `summary` stands alone (the admin shows it); `detail` and `fix` are explain's report
    and advice, with ``{origin}``, ``{path}`` and ``{rule}`` filled in.
    """

    summary: str
    detail: str
    fix: str | None = None


# Every reason a `Decision` (or the middleware's refusal) can carry, plus explain's
# "report-only" (the rules allow the origin, but the middleware sends nothing).
REASONS: dict[str, Reason] = {
    "no-origin": Reason(
        "the request has no Origin header: it is not a CORS request",
        "the request has no Origin header: it is not a CORS request",
    ),
    "matched": Reason(
        "the origin matches an enabled rule",
        "the origin matches rule {rule}",
    ),
    "null-allowed": Reason(
        "Origin is null and the policy allows null origins",
        "the origin is null and the policy allows null origins",
    ),
    "null-not-allowed": Reason(
        "Origin is null and the policy does not allow null origins",
        "the origin is null and the policy does not allow null origins",
        "Origin null comes from sandboxed iframes, file: pages and requests after a "
        "cross-origin redirect; fix the page rather than allowing null (allowing null lets "
        "any sandboxed page in)",
    ),
    "non-canonical": Reason(
        # Also the admin's and the API's reason an observed origin cannot become a rule
        # (cors_gate.services), shown translated there.
        gettext_noop("the Origin header is not a browser's canonical serialisation"),
        "{origin!r} is not how a browser serializes an origin (lower-case "
        "scheme://host[:port], no default port, no path), so no rule can match it",
        "this value cannot come from a browser; call with the exact origin the page runs on",
    ),
    "no-rule": Reason(
        "no rule matches this origin",
        "no allowed-origin rule matches {origin}",
        "add {origin} (or a pattern covering it) to cors_gate's allowed origins",
    ),
    "path-not-allowed": Reason(
        "a rule matches the origin but not this path (see the rule's paths)",
        "rule {rule} matches the origin but does not cover the path {path}",
        "add a prefix covering {path} to the paths of rule {rule}",
    ),
    "disabled": Reason(
        "the only matching rule is disabled",
        "rule {rule} matches the origin but is disabled",
        "enable rule {rule}",
    ),
    "expired": Reason(
        "the only matching rule has expired",
        "rule {rule} matches the origin but has expired",
        "extend or clear the expiry of rule {rule}",
    ),
    "mode-off": Reason(
        "the policy's mode is off: cors_gate does nothing",
        "cors_gate's mode is off: it adds no CORS headers at all",
        "set cors_gate's mode to enforce",
    ),
    "report-only": Reason(
        "the policy is in report-only mode: cors_gate records and sends no CORS headers",
        "cors_gate is in report-only mode: it records what it would allow and leaves the "
        "answer as it is",
        "set cors_gate's mode to enforce once the observed origins look right",
    ),
    "outside-urls-regex": Reason(
        "the path is outside the policy's urls_regex",
        "the path {path} is outside the policy's urls_regex",
        "widen the policy's urls_regex to cover {path}",
    ),
    "no-snapshot": Reason(
        "no policy could be loaded yet (database unavailable): CORS is denied",
        "cors_gate's policy could not be loaded",
    ),
    "preflight-too-large": Reason(
        "the preflight asks for so many methods or headers that the answer would exceed "
        "8 KB: refused (no CORS headers)",
        "the preflight asks for so many methods or headers that cors_gate's answer would "
        "exceed 8 KB, so it is refused (no CORS headers)",
        "send only the request headers the endpoint needs, or list the allowed headers in "
        "cors_gate's policy instead of mirroring the requested ones",
    ),
}


def _path_ok(paths: tuple[str, ...], path: str) -> bool:
    return not paths or any(path.startswith(p) for p in paths)


@dataclass(frozen=True)
class PolicySnapshot:
    revision: str
    mode: str = "enforce"
    allow_null_origin: bool = False
    allow_credentials: bool = True
    max_age: int = 0
    exposed_headers: tuple[str, ...] = ()
    allowed_methods: tuple[str, ...] = ()
    allowed_headers: tuple[str, ...] = ()
    urls_regex: str = r"^.*$"
    allow_private_network: bool = False
    matcher: Matcher[RuleInfo] = field(default_factory=lambda: Matcher[RuleInfo]([]))
    built_at: float = field(default_factory=time.time)
    loaded: bool = True  # False for the deny-all placeholder used before any successful load
    # True when every rule is enabled, with no paths and no expiry: a decision then needs
    # the matcher's most specific rule and nothing else (see decide()).
    origin_only: bool = False
    # Whether the middleware records what it sees (observe.py): report-only always, enforce
    # unless CORS_GATE_RECORD_OBSERVATIONS is False; read once per snapshot, not per request.
    records_observations: bool = False
    # An Origin longer than this cannot be the site's own (conf.own_origin_max_length): the
    # recorder skips its same-origin test.
    own_origin_max: int = sys.maxsize
    _urls: re.Pattern[str] = field(init=False, repr=False)
    _match_all_urls: bool = field(init=False, repr=False)
    # Enforcing, every path in scope, every rule origin-only and text-matchable: the
    # middleware decides an actual request from the Origin text alone (Matcher.match_text).
    by_text: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_urls", re.compile(self.urls_regex))
        match_all = self.urls_regex in (r"^.*$", ".*", "")
        object.__setattr__(self, "_match_all_urls", match_all)
        object.__setattr__(
            self,
            "by_text",
            self.loaded
            and self.mode == "enforce"
            and match_all
            and self.origin_only
            and self.matcher.text_matchable,
        )

    def decide(self, origin: str | None, path: str, now: float | None = None) -> Decision:
        """Whether `origin` may reach `path`, and why. Never raises, never queries.

        No per-origin cache: a flood of distinct origins would only churn it, and the
        uncached path (one match, one dict lookup or trie walk) is what every request pays."""
        if origin is None:
            return Decision(False, False, False, "no-origin")
        mode = self.mode
        if mode == "off":
            return Decision(True, False, False, "mode-off", origin)
        enforced = mode == "enforce"
        if not self._match_all_urls and self._urls.match(path) is None:
            return Decision(True, False, False, "outside-urls-regex", origin)
        if not self.loaded:
            return Decision(True, False, enforced, "no-snapshot", origin)
        if origin == NULL_ORIGIN:
            if self.allow_null_origin:
                return Decision(True, True, enforced, "null-allowed", origin)
            return Decision(True, False, enforced, "null-not-allowed", origin)
        parsed = parse_request_origin(origin)
        if parsed is None:
            return Decision(True, False, enforced, "non-canonical", origin)
        if self.origin_only:
            rule = self.matcher.match(parsed)
            if rule is None:
                return Decision(True, False, enforced, "no-rule", origin)
            return Decision(True, True, enforced, "matched", origin, rule.data.pattern)
        return self._decide_origin(parsed, origin, path, enforced, now)

    def _decide_origin(
        self, parsed: RequestOrigin, origin: str, path: str, enforced: bool, now: float | None
    ) -> Decision:
        when = time.time() if now is None else now
        # match() offers `usable` every rule matching the origin until one is accepted, so
        # when none is, `refused` holds them all: the reason needs no second walk.
        refused: list[Rule[RuleInfo]] = []

        def usable(rule: Rule[RuleInfo]) -> bool:
            info = rule.data
            if (
                info.enabled
                and (info.expires_at is None or info.expires_at > when)
                and _path_ok(info.paths, path)
            ):
                return True
            refused.append(rule)
            return False

        rule = self.matcher.match(parsed, usable)
        if rule is not None:
            return Decision(True, True, enforced, "matched", origin, rule.data.pattern)
        if not refused:
            return Decision(True, False, enforced, "no-rule", origin)
        # Denied: say why, from the most specific rule that matched the origin at all.
        info = min(refused, key=Rule.sort_key).data
        if not info.enabled:
            return Decision(True, False, enforced, "disabled", origin, info.pattern)
        if info.expires_at is not None and info.expires_at <= when:
            return Decision(True, False, enforced, "expired", origin, info.pattern)
        return Decision(True, False, enforced, "path-not-allowed", origin, info.pattern)


DENY_ALL = PolicySnapshot(revision="", loaded=False)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def pinned_rules(start_id: int = 1, *, credentials: bool = True) -> list[Rule[RuleInfo]]:
    """Entries from CORS_GATE_ALLOWED_ORIGINS; invalid ones are skipped (a system check
    reports them by name), and so is an any-origin entry while credentials are on: that
    is the wildcard whitelist the database refuses to store, and settings cannot sneak it in."""
    from cors_gate.models import too_broad

    rules: list[Rule[RuleInfo]] = []
    for offset, entry in enumerate(conf.pinned_origins()):
        try:
            pattern = parse_pattern(entry)
        except OriginError:
            continue
        reason = too_broad(pattern) if credentials else None
        if reason:
            logger.error(
                "cors_gate: ignoring CORS_GATE_ALLOWED_ORIGINS entry %r: it %s "
                "and the policy sends credentials",
                entry,
                reason,
            )
            continue
        info = RuleInfo(pattern=pattern.text, source="settings", note="pinned in settings")
        # Pinned entries sort after database rules of equal specificity (higher ids).
        rules.append(Rule(id=start_id + offset, pattern=pattern, data=info))
    return rules


def build_snapshot(revision: str | None = None) -> PolicySnapshot:
    """Read the policy and every rule (two queries) and compile them."""
    from cors_gate.models import AllowedOrigin, CorsPolicy, too_broad

    policy = CorsPolicy.objects.filter(pk=1).first() or CorsPolicy(pk=1)
    rows: Iterable[tuple[int, str, bool, list[str], datetime | None, bool, str]] = (
        AllowedOrigin.objects.values_list(
            "id", "pattern", "enabled", "paths", "expires_at", "csrf_trusted", "note"
        ).iterator(chunk_size=5000)
    )
    rules: list[Rule[RuleInfo]] = []
    max_id = 0
    for rid, text, enabled, paths, expires_at, csrf_trusted, note in rows:
        max_id = max(max_id, rid)
        try:
            pattern = parse_pattern(text)
        except OriginError:
            logger.error("cors_gate: skipping stored rule %r: not a valid pattern", text)
            continue
        # Every write path refuses such a rule while credentials are on; a row stored before
        # that refusal existed must not be served with credentials either.
        reason = too_broad(pattern) if policy.allow_credentials and enabled else None
        if reason:
            logger.error(
                "cors_gate: skipping stored rule %r: it %s and the policy sends credentials",
                text,
                reason,
            )
            continue
        info = RuleInfo(
            pattern=pattern.text,
            enabled=enabled,
            paths=tuple(paths or ()),
            expires_at=_epoch(expires_at),
            csrf_trusted=csrf_trusted,
            note=note,
        )
        rules.append(Rule(id=rid, pattern=pattern, data=info))
    rules.extend(
        pinned_rules(start_id=max_id + 1_000_000_000, credentials=policy.allow_credentials)
    )
    origin_only = all(
        r.data.enabled and not r.data.paths and r.data.expires_at is None for r in rules
    )
    return PolicySnapshot(
        revision=revision if revision is not None else policy.revision,
        mode=policy.mode,
        allow_null_origin=policy.allow_null_origin,
        allow_credentials=policy.allow_credentials,
        max_age=policy.max_age,
        exposed_headers=tuple(policy.exposed_headers or ()),
        allowed_methods=tuple(policy.allowed_methods or ()),
        allowed_headers=tuple(policy.allowed_headers or ()),
        urls_regex=policy.urls_regex or r"^.*$",
        allow_private_network=policy.allow_private_network,
        matcher=Matcher(rules),
        origin_only=origin_only,
        records_observations=policy.mode == "report-only"
        or (policy.mode == "enforce" and conf.record_observations()),
        own_origin_max=conf.own_origin_max_length() or sys.maxsize,
    )


def _cache_is_shared() -> bool:
    from django.conf import settings

    alias = conf.cache_alias()
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    return backend not in _LOCAL_CACHES


def _read_db_revision() -> str:
    from cors_gate.models import CorsPolicy

    value = CorsPolicy.objects.filter(pk=1).values_list("revision", flat=True).first()
    return value or ""


def read_revision() -> str:
    """The current revision: from the shared cache, else (or when it fails) from the database."""
    if _cache_is_shared():
        try:
            value = caches[conf.cache_alias()].get(CACHE_KEY)
        except Exception:  # a cache outage must not break requests: fall back to the database
            logger.warning("cors_gate: cache unavailable; reading the revision from the database")
            return _read_db_revision()
        if isinstance(value, str):
            return value
        revision = _read_db_revision()
        _publish(revision)
        return revision
    return _read_db_revision()


def _publish(revision: str) -> None:
    try:
        caches[conf.cache_alias()].set(CACHE_KEY, revision, timeout=None)
    except Exception:
        logger.warning("cors_gate: could not publish revision %s to the cache", revision)


def bump_revision() -> str:
    """Record that rules or policy changed: the new revision is written in the caller's
    transaction and published to the cache (where other processes look) only after it
    commits, so no process can rebuild from data it cannot see yet under the new revision.
    This process rebuilds at its next request, from what its own connection sees."""
    from cors_gate.models import CorsPolicy

    revision = uuid.uuid4().hex
    updated = CorsPolicy.objects.filter(pk=1).update(revision=revision)
    if not updated:
        CorsPolicy.objects.get_or_create(pk=1)
        CorsPolicy.objects.filter(pk=1).update(revision=revision)
    _STATE.invalidate()

    def committed() -> None:
        _publish(revision)
        _STATE.invalidate()

    transaction.on_commit(committed)
    return revision


class _State:
    """Per-process holder of the current snapshot and when it was last checked."""

    def __init__(self) -> None:
        self.snapshot: PolicySnapshot = DENY_ALL
        # When the next check is due; the setting is read per check, not per request.
        self.next_check = float("-inf")
        self.lock = threading.Lock()
        self.last_error_logged = float("-inf")
        self.changed_here = False  # this process changed the rules: rebuild in its thread
        self.worker: threading.Thread | None = None

    def invalidate(self) -> None:
        self.changed_here = True
        self.next_check = float("-inf")

    def due(self) -> bool:
        return time.monotonic() >= self.next_check

    def refresh(self) -> PolicySnapshot:
        if self.snapshot is DENY_ALL or self.changed_here:
            return self._refresh_here()
        if self.lock.acquire(blocking=False):
            try:
                worker = self.worker
                if self.due() and (worker is None or not worker.is_alive()):
                    # Not due again until the interval passes, whatever the helper meets.
                    self.next_check = time.monotonic() + conf.refresh_seconds()
                    worker = threading.Thread(
                        target=self._refresh_in_thread, name="cors_gate-refresh", daemon=True
                    )
                    self.worker = worker
                    worker.start()
                else:
                    # A helper is still out (a locked or paused database): do not pile up.
                    self.next_check = time.monotonic() + conf.refresh_seconds()
                    worker = None
            finally:
                self.lock.release()
            if worker is not None:
                worker.join(REFRESH_WAIT)
        return self.snapshot

    def _refresh_here(self) -> PolicySnapshot:
        """First load, or a change this process made: in the request's thread."""
        with self.lock:
            if not self.changed_here and (self.snapshot is not DENY_ALL or not self.due()):
                return self.snapshot  # another thread did it (or tried) meanwhile
            self.changed_here = False
            # The revision of the policy row as this connection sees it: after a rolled-back
            # change it differs from the committed one, so the next check rebuilds.
            self._check(force=True)
            return self.snapshot

    def _refresh_in_thread(self) -> None:
        try:
            self._check(force=False)
        finally:
            # This thread's database and cache connections only (both are per thread).
            connections.close_all()
            caches.close_all()

    def _check(self, force: bool) -> None:
        now = time.monotonic()
        try:
            if force:
                self.snapshot = build_snapshot()
            else:
                revision = read_revision()
                if revision != self.snapshot.revision or not self.snapshot.loaded:
                    self.snapshot = build_snapshot(revision)
        except Exception as exc:
            # Log once per interval: the check itself runs at most once per interval. A
            # database that is locked, paused or gone is an operating condition, told in one
            # line; anything else keeps its traceback for the bug report.
            if now - self.last_error_logged >= conf.refresh_seconds():
                self.last_error_logged = now
                outcome = (
                    "serving the last good snapshot"
                    if self.snapshot.loaded
                    else "denying CORS until it loads"
                )
                if isinstance(exc, DatabaseError):
                    logger.error(
                        "cors_gate: could not refresh the CORS policy (%s: %s); %s",
                        type(exc).__name__,
                        exc,
                        outcome,
                    )
                else:
                    logger.exception("cors_gate: could not refresh the CORS policy; %s", outcome)
        self.next_check = time.monotonic() + conf.refresh_seconds()


_STATE = _State()


def current_snapshot() -> PolicySnapshot:
    """The snapshot to use for this request (refreshing it at most once per interval)."""
    state = _STATE
    if _monotonic() < state.next_check:  # _State.due(), inlined: this runs per request
        return state.snapshot
    return state.refresh()


def fresh_snapshot() -> PolicySnapshot | None:
    """The snapshot when no check is due (nothing to wait for), else None: the ASGI path
    then calls current_snapshot() off the event loop."""
    state = _STATE
    if _monotonic() < state.next_check:
        return state.snapshot
    return None


def reset_for_tests() -> None:
    """Forget the process's snapshot (tests switch databases and settings between cases)."""
    global _STATE
    _STATE = _State()
