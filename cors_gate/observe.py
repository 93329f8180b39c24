"""Bounded recording of the origins the middleware sees (the report-only migration path).

The request path (`note`) reads one clock and appends one tuple to a bounded queue (at most
PENDING_MAX sightings; past that they are counted as overflow). It does no more because a
Django request pays for the code it touches well beyond that code's instruction count.
Whether a snapshot records at all is decided once per snapshot
(PolicySnapshot.records_observations). Requests whose Origin is the site's own (browsers
send Origin on same-origin POSTs) are not cross-origin and are not recorded; an Origin
longer than the site's own can be (ALLOWED_HOSTS bounds it) skips that test.

A helper thread folds the queue into the buffer: one entry per distinct origin with a count,
first/last seen, last path and method, and whether the current rules would allow it. When
the next flush is due (FLUSH_INTERVAL seconds after the last, compared with the clock the
sighting read), or when DRAIN_AT sightings wait, a short-lived helper thread folds the queue
in, and when a flush is due swaps the buffer out and merges it into ObservedOrigin (insert
what is new, add counts to what exists, so concurrent writers in other processes add up),
retrying when the database is locked; a batch that still cannot be written goes back into
the buffer for the next flush. A buffer holds at most MAX_ORIGINS distinct origins; further
new origins until the next flush are counted and logged as overflow. After each flush the
table is cut back to CORS_GATE_OBSERVED_MAX_ROWS rows, least recently seen first, and a last
flush runs when the process exits. Observations are a migration aid, never a reason to fail
or slow a request.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from cors_gate import conf
from cors_gate.origins import url_origin
from cors_gate.policy import Decision, PolicySnapshot

logger = logging.getLogger("cors_gate.observe")

FLUSH_INTERVAL = 10.0
# Distinct origins one process keeps per interval: far more than a site's front ends, and
# under a random-Origin flood a tenth of the rows to write (and of the queue to fold) that
# 10,000 cost; the rest are counted and logged as overflow.
MAX_ORIGINS = 1_000
# Sightings queued on the request path, waiting to be folded into the buffer by a helper
# thread: one is started when DRAIN_AT wait; past PENDING_MAX (a few MB) they are dropped.
DRAIN_AT = 2_000
PENDING_MAX = 20_000
_WRITE_CHUNK = 500
# While the buffer is full, a new origin's sighting reads no clock; every this many, one does.
FLOOD_CLOCK_EVERY = 256
# A locked database (SQLite writers in other processes, a MariaDB lock wait) is retried after
# these pauses before the batch goes back into the buffer.
_RETRY_PAUSES = (0.05, 0.2, 0.5)
_EXIT_WAIT = 5.0  # seconds the exit flush waits for a flush already running
# Decisions that say nothing about the rules: the path is outside the gate, or no rules loaded.
# (observe() only sees requests with an Origin header, and never runs when the mode is off.)
_NOT_A_VERDICT = frozenset({"outside-urls-regex", "no-snapshot"})
# Sightings are stamped with the monotonic clock, which also schedules flushes (one clock read
# per request); the fold turns the stamps into epoch seconds.
_monotonic = time.monotonic


def safe_text(value: str, limit: int) -> str:
    """`value` as stored: control characters escaped (no NUL reaches the database, no line
    breaks reach the admin or logs) and cut to the column's length."""
    if value.isprintable() and len(value) <= limit:
        return value
    escaped = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


@functools.cache
def column_lengths() -> tuple[int, int, int]:
    """ObservedOrigin's origin, last_path and last_method lengths, read from the model
    when first needed (this module is imported before the models are ready)."""
    from cors_gate.models import ObservedOrigin

    meta = ObservedOrigin._meta
    return (
        meta.get_field("origin").max_length or 0,
        meta.get_field("last_path").max_length or 0,
        meta.get_field("last_method").max_length or 0,
    )


@dataclass(slots=True)
class Sighting:
    """One origin's aggregate since the last flush."""

    would_allow: bool
    count: int
    first_seen: float  # epoch seconds: a datetime per request costs more than the rest
    last_seen: float
    last_path: str
    last_method: str


@dataclass(frozen=True, slots=True)
class FlushResult:
    written: int
    overflow: int
    failed: bool = False


class Recorder:
    """Per-process buffer of sightings. Thread-safe; `record` never raises."""

    def __init__(self, interval: float = FLUSH_INTERVAL, max_origins: int = MAX_ORIGINS) -> None:
        self.interval = interval
        self.max_origins = max_origins
        self.lock = threading.Lock()
        # (origin, would_allow, path, method, monotonic seconds) in arrival order; deque
        # appends and pops are atomic, so the request path takes no lock.
        self.pending: deque[tuple[str, bool, str, str | None, float]] = deque()
        self._buffer: dict[str, Sighting] = {}
        # The buffer holds max_origins origins: a sighting of another one would only be
        # counted as overflow by the fold, so the request path counts it and queues nothing
        # (a random-Origin flood then costs one dict lookup per request, not a queued tuple).
        self.full = False
        self.overflow = 0
        # When the next flush is due, on the monotonic clock: the request path compares the
        # clock it reads for the sighting with this, and nothing else.
        self.flush_due = _monotonic() + interval
        self.worker: threading.Thread | None = None

    @property
    def buffer(self) -> dict[str, Sighting]:
        """The aggregate since the last flush, with every queued sighting folded in."""
        self.drain()
        return self._buffer

    def record(
        self, origin: str, would_allow: bool, path: str, method: str, when: datetime | None = None
    ) -> bool:
        """Queue one sighting; False when it was dropped because the queue is full."""
        now = _monotonic()
        if when is not None:
            now -= time.time() - when.timestamp()
        pending = self.pending
        if len(pending) >= PENDING_MAX:
            self.overflow += 1
            return False
        pending.append((origin, would_allow, path, method, now))
        return True

    def drain(self) -> None:
        """Fold the queued sightings into the buffer (bounded to max_origins origins)."""
        pending = self.pending
        origin_max, path_max, method_max = column_lengths()
        with self.lock:
            buffer = self._buffer
            to_epoch = time.time() - _monotonic()
            while pending:
                try:
                    origin, would_allow, path, method, stamp = pending.popleft()
                except IndexError:  # another thread emptied it meanwhile
                    break
                now = stamp + to_epoch
                method = method or ""  # HttpRequest.method is None outside a server
                if len(origin) <= origin_max and origin.isprintable():
                    key = origin
                else:
                    key = safe_text(origin, origin_max)
                entry = buffer.get(key)
                if entry is None:
                    if len(buffer) >= self.max_origins:
                        self.overflow += 1
                        continue
                    buffer[key] = Sighting(
                        would_allow, 1, now, now, path[:path_max], method[:method_max]
                    )
                    continue
                entry.count += 1
                if now >= entry.last_seen:  # threads may queue a little out of order
                    entry.would_allow = would_allow
                    entry.last_seen = now
                    entry.last_path = path[:path_max]
                    entry.last_method = method[:method_max]
                else:
                    entry.first_seen = min(entry.first_seen, now)
            self.full = len(buffer) >= self.max_origins

    def due(self) -> bool:
        return _monotonic() >= self.flush_due

    def take(self) -> tuple[dict[str, Sighting], int]:
        """Fold the queue in, swap the buffer out and restart the interval."""
        self.drain()
        with self.lock:
            batch, overflow = self._buffer, self.overflow
            self._buffer, self.overflow, self.full = {}, 0, False
            self.flush_due = _monotonic() + self.interval
        return batch, overflow

    def maybe_flush(self) -> None:
        """Called on the request path when the interval is up or DRAIN_AT sightings wait:
        at most one helper thread at a time folds the queue in (and flushes when due); one
        still running delays the next rather than piling up."""
        with self.lock:
            worker = self.worker
            if worker is not None and worker.is_alive():
                return
            due = self.due()
            if not due and len(self.pending) < DRAIN_AT:
                return
            if due:
                self.flush_due = _monotonic() + self.interval  # not due again while it runs
            self.worker = threading.Thread(
                target=self._flush_in_thread if due else self.drain, name="cors_gate-observe"
            )
            self.worker.daemon = True
            self.worker.start()

    def requeue(self, batch: dict[str, Sighting]) -> int:
        """Merge a batch that could not be written back into the buffer, within its bound.
        Returns how many origins did not fit (counted as overflow)."""
        lost = 0
        with self.lock:
            buffer = self._buffer
            for key, s in batch.items():
                entry = buffer.get(key)
                if entry is None:
                    if len(buffer) >= self.max_origins:
                        lost += 1
                        continue
                    buffer[key] = s
                    continue
                # The buffered entry is newer: keep its last_*, add the older counts.
                entry.count += s.count
                entry.first_seen = min(entry.first_seen, s.first_seen)
            self.overflow += lost
            self.full = len(buffer) >= self.max_origins
        return lost

    def flush(self) -> FlushResult:
        """Write what is buffered now, in this thread (tests, shutdown, management commands)."""
        batch, overflow = self.take()
        result = write(batch, overflow)
        if result.failed:
            self.requeue(batch)
        return result

    def _flush_in_thread(self) -> None:
        try:
            batch, overflow = self.take()
            if (batch or overflow) and write(batch, overflow).failed:
                self.requeue(batch)
        finally:
            connections.close_all()  # this thread's connections only

    def flush_at_exit(self) -> None:
        """The last flush of a process: let a running flush finish, then write the rest."""
        worker = self.worker
        if worker is not None and worker.is_alive():
            worker.join(_EXIT_WAIT)
        if self.buffer or self.overflow:
            self.flush()


def write(batch: dict[str, Sighting], overflow: int = 0) -> FlushResult:
    """Merge a batch into ObservedOrigin, retrying while the database is locked.

    Returns failed=True when every attempt failed; the caller puts the batch back."""
    if overflow:
        logger.warning(
            "cors_gate: %d sightings of new origins were not recorded: more than %d distinct "
            "origins since the last flush, or more than %d sightings waiting to be counted",
            overflow,
            MAX_ORIGINS,
            PENDING_MAX,
        )
    if not batch:
        return FlushResult(0, overflow)
    keys = list(batch)
    for attempt, pause in enumerate((*_RETRY_PAUSES, None)):
        try:
            with transaction.atomic(using=router_db()):
                for start in range(0, len(keys), _WRITE_CHUNK):
                    _write_chunk({k: batch[k] for k in keys[start : start + _WRITE_CHUNK]})
        except DatabaseError as exc:
            if pause is None:
                logger.warning(
                    "cors_gate: could not write %d observed origins after %d attempts (%s); "
                    "keeping them for the next flush",
                    len(batch),
                    attempt + 1,
                    exc,
                )
                return FlushResult(0, overflow, failed=True)
            time.sleep(pause)
            continue
        except Exception:
            logger.exception("cors_gate: could not write %d observed origins", len(batch))
            return FlushResult(0, overflow, failed=True)
        break
    try:
        prune(conf.observed_max_rows())
    except DatabaseError as exc:  # the next flush prunes again
        logger.warning("cors_gate: could not cut back the observed origins (%s)", exc)
    return FlushResult(len(batch), overflow)


def prune(limit: int) -> int:
    """Delete all but the `limit` most recently seen observed origins; returns how many."""
    from cors_gate.models import ObservedOrigin

    if ObservedOrigin.objects.count() <= limit:
        return 0
    stale = list(
        ObservedOrigin.objects.order_by("-last_seen", "-pk").values_list("pk", flat=True)[limit:]
    )
    for start in range(0, len(stale), _WRITE_CHUNK):
        ObservedOrigin.objects.filter(pk__in=stale[start : start + _WRITE_CHUNK]).delete()
    return len(stale)


def _moment(epoch: float) -> datetime:
    """A recorded time as the model stores it (aware in UTC, or naive local without USE_TZ)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment if settings.USE_TZ else timezone.make_naive(moment)


_COLUMNS = ("origin", "would_allow", "count", "first_seen", "last_seen", "last_path", "last_method")
_MERGED = ("would_allow", "last_seen", "last_path", "last_method")  # the newest sighting's


def _upsert_sql(vendor: str, table: str, quote: Callable[[str], str]) -> str | None:
    """One INSERT that adds to an existing row's count instead of failing on it, or None
    where the backend has no such statement (the ORM path below is used then).

    Only identifiers are put into the text (the model's own names, quoted by the backend);
    every value is a parameter."""
    names = ", ".join(quote(c) for c in _COLUMNS)
    values = ", ".join(["%s"] * len(_COLUMNS))
    count = quote("count")
    if vendor in ("sqlite", "postgresql"):
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _MERGED)
        return (
            f"INSERT INTO {table} ({names}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT ({quote('origin')}) DO UPDATE SET "
            f"{count} = {table}.{count} + excluded.{count}, {sets}"
        )
    if vendor == "mysql":
        sets = ", ".join(f"{quote(c)} = VALUES({quote(c)})" for c in _MERGED)
        return (
            f"INSERT INTO {table} ({names}) VALUES ({values}) "  # noqa: S608
            f"ON DUPLICATE KEY UPDATE {count} = {count} + VALUES({count}), {sets}"
        )
    return None


def _write_chunk(chunk: dict[str, Sighting]) -> None:
    from cors_gate.models import ObservedOrigin

    connection = connections[router_db()]
    quote = connection.ops.quote_name
    table = quote(ObservedOrigin._meta.db_table)
    sql = _upsert_sql(connection.vendor, table, quote)
    if sql is not None and (
        connection.vendor == "mysql" or connection.features.supports_update_conflicts_with_target
    ):
        fields = {f.name: f for f in ObservedOrigin._meta.concrete_fields}
        prep = {name: fields[name].get_db_prep_save for name in _COLUMNS}
        rows = [
            tuple(
                prep[name](value, connection)
                for name, value in zip(
                    _COLUMNS,
                    (
                        key,
                        s.would_allow,
                        s.count,
                        _moment(s.first_seen),
                        _moment(s.last_seen),
                        s.last_path,
                        s.last_method,
                    ),
                    strict=True,
                )
            )
            for key, s in chunk.items()
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        return
    known = set(
        ObservedOrigin.objects.filter(origin__in=list(chunk)).values_list("origin", flat=True)
    )
    # Rows another process may create meanwhile are skipped here and counted by the update.
    ObservedOrigin.objects.bulk_create(
        [
            ObservedOrigin(
                origin=key,
                count=0,
                first_seen=_moment(s.first_seen),
                last_seen=_moment(s.first_seen),
            )
            for key, s in chunk.items()
            if key not in known
        ],
        ignore_conflicts=True,
    )
    for key, s in chunk.items():
        ObservedOrigin.objects.filter(origin=key).update(
            count=F("count") + s.count,
            would_allow=s.would_allow,
            last_seen=_moment(s.last_seen),
            last_path=s.last_path,
            last_method=s.last_method,
        )


def router_db() -> str:
    """The database ObservedOrigin is written to (Django's routers decide, as for the ORM)."""
    from django.db import router

    from cors_gate.models import ObservedOrigin

    return router.db_for_write(ObservedOrigin)


_RECORDER = Recorder()


def recorder() -> Recorder:
    return _RECORDER


def _flush_at_exit() -> None:
    """atexit: gunicorn and uvicorn workers exit through the interpreter's normal shutdown
    (also on SIGTERM and max_requests), so this runs for them; never raises."""
    try:
        _RECORDER.flush_at_exit()
    except Exception:
        logger.exception("cors_gate: the final flush of observed origins failed")


atexit.register(_flush_at_exit)


def reset_for_tests(interval: float = FLUSH_INTERVAL, max_origins: int = MAX_ORIGINS) -> Recorder:
    """A fresh, empty recorder."""
    global _RECORDER
    _RECORDER = Recorder(interval=interval, max_origins=max_origins)
    return _RECORDER


def is_same_origin(request: HttpRequest, origin: str) -> bool:
    """Whether `origin` is the request's own scheme://host[:port].

    Browsers send Origin on same-origin POSTs; those are not cross-origin requests and must
    not show up as origins the rules would block. The scheme honours SECURE_PROXY_SSL_HEADER
    (request.scheme) and the host USE_X_FORWARDED_HOST (request.get_host()). A length and a
    substring test first: a flood of foreign origins costs no host validation."""
    meta = request.META
    # Either header may name the host (USE_X_FORWARDED_HOST decides which; Django's settings
    # object costs a Python-level attribute hook, so it is read only past these tests).
    raw = meta.get("HTTP_HOST") or meta.get("SERVER_NAME", "")
    forwarded = meta.get("HTTP_X_FORWARDED_HOST")
    # Our own origin is a scheme of at most five letters, "://" and the host, which
    # url_origin takes from one of those headers and never lengthens (it lower-cases ASCII,
    # the only host get_host() accepts, and drops a default port): a longer Origin is foreign.
    if len(origin) > 8 + (len(raw) if forwarded is None else max(len(raw), len(forwarded))):
        return False
    start = origin.find("://")
    if start < 0:
        return False
    hostport = origin[start + 3 :]
    if (
        hostport not in raw
        and hostport not in raw.lower()
        and (forwarded is None or hostport not in forwarded.lower())
    ):
        return False
    if settings.USE_X_FORWARDED_HOST and forwarded is not None:
        raw = forwarded
    if hostport not in raw.lower():
        return False
    try:
        own = url_origin(f"{request.scheme}://{request.get_host()}")
    except Exception:  # DisallowedHost, a malformed port: not provably our own origin
        return False
    return own == origin


def observe(snapshot: PolicySnapshot, request: HttpRequest, decision: Decision) -> None:
    """The middleware's hook for each CORS request it decides. Never raises."""
    origin = decision.origin
    if (
        snapshot.records_observations
        and origin is not None
        and decision.reason not in _NOT_A_VERDICT
    ):
        note(snapshot, request, origin, decision.allowed)


def note(snapshot: PolicySnapshot, request: HttpRequest, origin: str, allowed: bool) -> None:
    """Record one CORS request's origin and verdict, for a snapshot that records
    observations (the rules were loaded and the path is in scope): one clock read and one
    append to the recorder's queue. Never raises."""
    try:
        if len(origin) <= snapshot.own_origin_max and is_same_origin(request, origin):
            return
        current = _RECORDER
        if current.full and origin not in current._buffer:
            # A new origin the fold would drop: counted, not queued. (A value kept under an
            # escaped key counts as new here: its count waits for the next interval.) A flood
            # of them still flushes on time: the clock is read at every FLOOD_CLOCK_EVERY-th.
            current.overflow += 1
            if not current.overflow % FLOOD_CLOCK_EVERY and _monotonic() >= current.flush_due:
                current.maybe_flush()
            return
        now = _monotonic()
        pending = current.pending
        waiting = len(pending)  # before this sighting
        if waiting < PENDING_MAX:
            pending.append((origin, allowed, request.path, request.method, now))
        else:
            current.overflow += 1
        if waiting >= DRAIN_AT - 1 or now >= current.flush_due:
            current.maybe_flush()
    except Exception:  # a recording bug must never become a failed request
        logger.exception("cors_gate: could not record an observed origin")
