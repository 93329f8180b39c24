"""A compiled, immutable matcher over origin patterns.

Exact patterns (no `*` anywhere) are one hash lookup. Every other pattern with a concrete
host shape sits in a trie keyed by the host's labels read from the right, where a `*` label
is an edge of its own; a lookup walks the origin's labels, following at each level the exact
edge and the `*` edge, so it costs O(labels in the host), whatever the number of rules.
Patterns whose host is `*` are few by nature (any-host rules) and are checked last.

When several rules match, the most specific wins: exact beats wildcard, fewer `*` labels beat
more, an explicit port beats `:*`, then the lowest rule id. No regular expression is ever
built from a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from cors_gate.origins import (
    MAX_HOST_LENGTH,
    OriginPattern,
    RequestOrigin,
    _is_ipv4,
    parse_request_origin,
)

T = TypeVar("T")

# One DNS label as a browser serialises it (the first label a `*.` rule stands for).
_FIRST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class Rule(Generic[T]):
    """One allow-list entry as the matcher sees it; `data` is whatever the caller attaches."""

    id: int
    pattern: OriginPattern
    data: T

    def sort_key(self) -> tuple[int, int, int, int, int]:
        return (*self.pattern.specificity(), self.id)


class _Lead(NamedTuple, Generic[T]):
    """A `scheme://*.rest[:port]` rule as match_text finds it from the origin's first dot."""

    prefix: str  # "https://" or "http://"
    rule: Rule[T]
    room: int  # the longest first label that keeps the host within MAX_HOST_LENGTH


class _Node:
    __slots__ = ("children", "rules", "star")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.star: _Node | None = None
        self.rules: list[Any] = []  # rules whose host ends at this node, most specific first


def _port_ok(pattern: OriginPattern, origin: RequestOrigin) -> bool:
    if pattern.any_port:
        return True
    if pattern.port is None:
        return origin.port is None
    return pattern.port == origin.effective_port


def _scheme_ok(pattern: OriginPattern, origin: RequestOrigin) -> bool:
    return pattern.scheme == "*" or pattern.scheme == origin.scheme


class Matcher(Generic[T]):
    """Immutable once built; safe to share between threads."""

    __slots__ = ("_any_host", "_by_text", "_exact", "_lead", "_size", "_trie")

    def __init__(self, rules: Iterable[Rule[T]]) -> None:
        exact: dict[tuple[str, str, int | None], list[Rule[T]]] = {}
        any_host: list[Rule[T]] = []
        trie = _Node()
        size = 0
        for rule in rules:
            size += 1
            p = rule.pattern
            if not p.is_wildcard:
                exact.setdefault((p.scheme, p.host, p.port), []).append(rule)
            elif p.host == "*":
                any_host.append(rule)
            else:
                node = trie
                for label in reversed(p.host.split(".")):
                    if label == "*":
                        if node.star is None:
                            node.star = _Node()
                        node = node.star
                    else:
                        nxt = node.children.get(label)
                        if nxt is None:
                            nxt = node.children[label] = _Node()
                        node = nxt
                node.rules.append(rule)
        for bucket in exact.values():
            if len(bucket) > 1:  # nearly every exact origin has one rule: nothing to sort
                bucket.sort(key=Rule.sort_key)
        any_host.sort(key=Rule.sort_key)
        self._sort_trie(trie)
        self._exact = exact
        self._any_host = any_host
        self._trie = trie
        self._size = size
        self._by_text, self._lead = self._text_tables(exact, trie, any_host)

    @staticmethod
    def _text_tables(
        exact: dict[tuple[str, str, int | None], list[Rule[T]]],
        trie: _Node,
        any_host: list[Rule[T]],
    ) -> tuple[dict[str, Rule[T]], dict[str, tuple[_Lead[T], ...]] | None]:
        """The Origin header's text straight to the winning rule, for `match_text`.

        An exact rule's canonical text is exactly what a browser sends for that origin. A
        `scheme://*.rest[:port]` rule (one leading `*` label, a concrete DNS rest, no `:*`),
        the common wildcard shape, is keyed by `.rest[:port]`, the origin's text from its
        first dot, with the scheme's prefix to check (one entry per scheme). The wildcard
        table is None when any wildcard rule has another shape: those go through the trie."""
        by_text: dict[str, Rule[T]] = {}
        for (scheme, host, port), bucket in exact.items():
            origin = RequestOrigin(scheme, host, port)
            # Only hosts a browser can send (a pattern like `https://a.123` never matches).
            if parse_request_origin(origin.serialized) == origin:
                by_text[origin.serialized] = bucket[0]  # sorted: the most specific first
        if any_host:
            return by_text, None
        best: dict[tuple[str, str], Rule[T]] = {}  # (".rest[:port]", scheme) -> winning rule
        stack: list[tuple[_Node, tuple[str, ...]]] = [(trie, ())]
        while stack:
            node, path = stack.pop()  # path: the labels from the right, "*" for a star edge
            for rule in node.rules:
                p = rule.pattern
                rest = path[:-1]
                if (
                    not rest
                    or path[-1] != "*"
                    or "*" in rest
                    or p.scheme not in ("http", "https")
                    or p.any_port
                    or rest[0].isdigit()  # a host ending in a number is an IP literal
                ):
                    return by_text, None
                port_text = "" if p.port is None else f":{p.port}"
                slot = (f".{'.'.join(reversed(rest))}{port_text}", p.scheme)
                known = best.get(slot)
                if known is None or rule.sort_key() < known.sort_key():
                    best[slot] = rule
            stack.extend((child, (*path, label)) for label, child in node.children.items())
            if node.star is not None:
                stack.append((node.star, (*path, "*")))
        lead: dict[str, tuple[_Lead[T], ...]] = {}
        for (key, scheme), rule in best.items():
            rest_host = key[1:].partition(":")[0]
            # The longest first label that keeps the host within MAX_HOST_LENGTH.
            room = MAX_HOST_LENGTH - 1 - len(rest_host)
            lead[key] = (*lead.get(key, ()), _Lead(f"{scheme}://", rule, room))
        return by_text, lead

    @property
    def text_matchable(self) -> bool:
        """Whether `match_text` answers for every origin (all wildcards are `*.rest`)."""
        return self._lead is not None

    def match_text(self, origin: str) -> Rule[T] | None:
        """`match(parse_request_origin(origin))` on the header's text, when every rule is
        accepted and `text_matchable`: one dict lookup for an exact origin, a second (from
        the first dot) and one label check for `*.rest`, no parse. A value that is not a
        browser's canonical serialisation finds nothing: every key is canonical, and so are
        the scheme prefix and the label checked."""
        rule = self._by_text.get(origin)
        if rule is not None:
            return rule
        lead = self._lead
        if not lead:
            return None
        dot = origin.find(".")
        if dot < 0:
            return None
        found = lead.get(origin[dot:])
        if found is None:
            return None
        for prefix, rule, room in found:  # one entry per scheme: at most two
            if origin.startswith(prefix):
                start = len(prefix)
                # A label of at most `room` (host length) and 63 characters (the pattern)
                # also keeps the origin far below MAX_ORIGIN_LENGTH.
                if dot - start > room or _FIRST_LABEL.fullmatch(origin, start, dot) is None:
                    return None
                return rule
        return None

    @staticmethod
    def _sort_trie(root: _Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            if len(node.rules) > 1:
                node.rules.sort(key=Rule.sort_key)
            stack.extend(node.children.values())
            if node.star is not None:
                stack.append(node.star)

    def __len__(self) -> int:
        return self._size

    def _trie_nodes(self, origin: RequestOrigin) -> list[_Node]:
        """Terminal nodes whose label path matches the origin's host, label by label."""
        host = origin.host
        labels = host.split(".")
        # No wildcards inside IP literals; only a host ending in a digit can be IPv4.
        literal = host.startswith("[") or (host[-1].isdigit() and _is_ipv4(host))
        frontier = [self._trie]
        for label in reversed(labels):
            nxt: list[_Node] = []
            for node in frontier:
                child = node.children.get(label)
                if child is not None:
                    nxt.append(child)
                if node.star is not None and not literal:
                    nxt.append(node.star)
            if not nxt:
                return nxt
            frontier = nxt
        return [node for node in frontier if node.rules]

    # One function: split in two, a wildcard match cost 19.9k instructions instead of 19.0k.
    def match(  # noqa: C901
        self, origin: RequestOrigin, accept: Callable[[Rule[T]], bool] | None = None
    ) -> Rule[T] | None:
        """The most specific rule matching the origin (and `accept`, when given), or None."""
        bucket = self._exact.get((origin.scheme, origin.host, origin.port))
        if bucket:
            for rule in bucket:
                if accept is None or accept(rule):
                    return rule
        best: Rule[T] | None = None
        best_key: tuple[int, int, int, int, int] | None = None
        for node in self._trie_nodes(origin):
            for rule in node.rules:  # sorted: the first that fits is this node's best
                if (
                    _scheme_ok(rule.pattern, origin)
                    and _port_ok(rule.pattern, origin)
                    and (accept is None or accept(rule))
                ):
                    # Keys are computed only when two nodes compete (rare): one costs ~1 µs.
                    if best is None:
                        best = rule
                    else:
                        if best_key is None:
                            best_key = best.sort_key()
                        key = rule.sort_key()
                        if key < best_key:
                            best, best_key = rule, key
                    break
        if best is not None:
            return best  # any-host rules are never more specific than a concrete host shape
        for rule in self._any_host:
            if (
                _scheme_ok(rule.pattern, origin)
                and _port_ok(rule.pattern, origin)
                and (accept is None or accept(rule))
            ):
                return rule
        return None
