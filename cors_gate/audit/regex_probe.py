"""Probe an origin regex the way django-cors-headers uses it, with hostile origins.

django-cors-headers allows an origin when `re.match(regex, origin)` succeeds: anchored at
the start only. (`$` also matches before a final newline, but a browser cannot send a
newline in a header, so that is not probed.) To find out what a regex lets
through we first work out what it is *meant* to allow (a few example origins built from the
regex's own parse tree: its literal hosts, one short label for each `\\w+`), then derive the
hostile variants public CORS scanners try (prefix, suffix, unescaped dot, userinfo, ...)
from those examples and run the very same `re.match` over them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cors_gate import regex_tree
from cors_gate.audit import origin_facts
from cors_gate.audit.findings import Severity
from cors_gate.origins import OriginError, parse_pattern

_parser = regex_tree.parser
_re_constants = regex_tree.constants
_REPEATS = regex_tree.REPEATS

EVIL_DOMAIN = "evil.com"
MAX_EXAMPLES = 8
MAX_REPEAT_TEXT = 253
# Characters tried, in order, when a character class stands for "some character".
_PREFERRED = "lmsa8-."


@dataclass(frozen=True)
class Probe:
    kind: str  # "prefix", "suffix", ...
    origin: str  # the exact hostile Origin value
    severity: Severity
    why: str  # what an attacker needs to use it


@dataclass(frozen=True)
class RegexAnalysis:
    text: str
    error: str = ""  # set when the regex does not compile
    examples: tuple[str, ...] = ()  # origins the regex is meant to allow
    any_origin: tuple[str, ...] = ()  # unrelated origins it accepts ("https://evil.com")
    accepts_null: bool = False
    schemeless: str = ""  # what it matches when written without a scheme (never an origin)
    accepted: tuple[Probe, ...] = ()  # hostile variants it accepts
    suggestions: tuple[str, ...] = field(default=())  # equivalent cors_gate patterns

    @property
    def worst(self) -> Severity | None:
        return max((p.severity for p in self.accepted), key=lambda s: s.rank, default=None)


def regex_text(regex: object) -> str:
    return regex.pattern if isinstance(regex, re.Pattern) else str(regex)


def accepts(regex: re.Pattern[str], origin: str) -> bool:
    """django-cors-headers' test, exactly: re.match, start-anchored only."""
    return regex.match(origin) is not None


def accepts_any(regex: object, origin: str) -> bool:
    """`accepts` for a setting's value (text or compiled); False when it does not compile."""
    try:
        compiled = regex if isinstance(regex, re.Pattern) else re.compile(str(regex))
    except re.error:
        return False
    return accepts(compiled, origin)


def compile_error(regex: object) -> str | None:
    """Why a setting's value (text or compiled) does not compile; None when it does.

    Cheap: the start-up check needs only this, not the hostile probe `analyse` runs.
    """
    text, flags = _text_and_flags(regex)
    compiled = _compile(text, flags)
    return compiled if isinstance(compiled, str) else None


def analyse(regex: object) -> RegexAnalysis:
    return _analyse(*_text_and_flags(regex))


def _text_and_flags(regex: object) -> tuple[str, int]:
    if isinstance(regex, re.Pattern):
        return regex.pattern, regex.flags
    return str(regex), 0


def _compile(text: str, flags: int) -> re.Pattern[str] | str:
    """The compiled regex, or the error message when it does not compile."""
    try:
        return re.compile(text, flags)
    except (re.error, TypeError) as exc:
        return str(exc)


@lru_cache(maxsize=256)
def _analyse(text: str, flags: int) -> RegexAnalysis:
    compiled = _compile(text, flags)
    if isinstance(compiled, str):
        return RegexAnalysis(text=text, error=compiled)
    strangers = (f"https://{EVIL_DOMAIN}", f"http://{EVIL_DOMAIN}")
    unrelated = tuple(o for o in strangers if accepts(compiled, o))
    null = accepts(compiled, "null")
    examples = tuple(_examples(compiled))
    schemeless = "" if examples or unrelated else _schemeless(compiled)
    if schemeless:
        return RegexAnalysis(text=text, schemeless=schemeless, accepts_null=null)
    if unrelated:
        return RegexAnalysis(text=text, examples=examples, any_origin=unrelated, accepts_null=null)
    accepted: dict[str, Probe] = {}
    for example in examples:
        for probe in _hostile_variants(example):
            if probe.kind not in accepted and accepts(compiled, probe.origin):
                accepted[probe.kind] = probe
    suggestions = tuple(dict.fromkeys(s for e in examples if (s := _suggest(compiled, e))))
    return RegexAnalysis(
        text=text,
        examples=examples,
        accepted=tuple(accepted.values()),
        suggestions=suggestions,
        accepts_null=null,
    )


# -- what the regex is meant to allow ----------------------------------------------------


def _examples(compiled: re.Pattern[str]) -> list[str]:
    """Origins the regex accepts, built from its parse tree.

    Two readings: every repeat at its minimum (`(.*\\.)?example\\.com` -> the apex), then
    every repeat taken at least once (-> a subdomain), so both intents are probed.
    """
    try:
        tree = _parser.parse(compiled.pattern, compiled.flags)
    except (re.error, ValueError, TypeError):  # compiled regexes parse; be safe anyway
        return []
    found: list[str] = []
    for at_least_one in (False, True):
        for text in _generate(list(tree), at_least_one):
            parts = origin_facts.split(text)
            if (
                parts is not None
                and parts.scheme in ("http", "https")
                and parts.hostname
                and all(parts.hostname.split("."))
                and not parts.path
                and not parts.query
                and accepts(compiled, text)
                and text not in found
            ):
                found.append(text)
    return found[:MAX_EXAMPLES]


def _schemeless(compiled: re.Pattern[str]) -> str:
    """A host name the regex matches whole although no origin can match it (`^lms\\.x\\.com$`).

    re.match anchors at the start, so a regex written without `https://` never matches a
    browser's Origin; answer the host it was written for, or "" when that is not the case.
    """
    try:
        tree = _parser.parse(compiled.pattern, compiled.flags)
    except (re.error, ValueError, TypeError):
        return ""
    for text in _generate(list(tree), at_least_one=False):
        if (
            "." in text
            and "://" not in text
            and compiled.fullmatch(text)
            and not accepts(compiled, f"https://{text}")
            and not accepts(compiled, f"http://{text}")
        ):
            return text
    return ""


def _generate(items: Sequence[Any], at_least_one: bool) -> list[str]:
    """Every combination of the items' readings (capped), concatenated."""
    choices = [_readings(op, av, at_least_one) for op, av in items]
    out: list[str] = []
    for combo in itertools.product(*choices):
        out.append("".join(combo))
        if len(out) >= MAX_EXAMPLES:
            break
    return out


def _readings(op: Any, av: Any, at_least_one: bool, in_repeat: bool = False) -> list[str]:
    """Texts one parsed item can match (`op`, `av`: an opcode and its argument)."""
    char = _one_char(op, av, in_repeat)
    if char is not None:
        return [char]
    if op in _REPEATS:
        return _repeat_readings(av, at_least_one)
    if op is _re_constants.SUBPATTERN:
        return _generate(list(av[-1]), at_least_one)
    if op is regex_tree.ATOMIC_GROUP:
        return _generate(list(av), at_least_one)
    if op is _re_constants.BRANCH:
        out: list[str] = []
        for alternative in av[1]:
            out.extend(_generate(list(alternative), at_least_one))
        return out[:MAX_EXAMPLES]
    return [""]  # anchors, look-arounds, back-references: consume nothing


def _one_char(op: Any, av: Any, in_repeat: bool) -> str | None:
    """The character an item that matches exactly one character reads as; None otherwise."""
    if op is _re_constants.LITERAL:
        return chr(av)
    if op is _re_constants.NOT_LITERAL:
        return "l" if av != ord("l") else "m"
    if op is _re_constants.ANY:
        # A lone `.` in an origin regex is almost always a dot someone forgot to escape.
        return "l" if in_repeat else "."
    if op is _re_constants.IN:
        return _class_char(av)
    return None


def _repeat_readings(av: Any, at_least_one: bool) -> list[str]:
    low, high, sub = av
    count = max(low, 1) if at_least_one else low
    count = min(count, high, MAX_REPEAT_TEXT)  # no host is longer; longer never matches
    if count == 0:
        return [""]
    parts = [_readings(o, a, at_least_one, in_repeat=True) for o, a in sub]
    once = ["".join(c) for c in itertools.islice(itertools.product(*parts), MAX_EXAMPLES)]
    return [r * count for r in once]


def _class_char(items: Sequence[Any]) -> str:
    negate = any(op is _re_constants.NEGATE for op, _ in items)
    for ch in _PREFERRED:
        if _in_class(items, ch) != negate:
            return ch
    return "l"


def _in_class(items: Sequence[Any], ch: str) -> bool:
    code = ord(ch)
    for op, av in items:
        if op is _re_constants.LITERAL and av == code:
            return True
        if op is _re_constants.RANGE and av[0] <= code <= av[1]:
            return True
        if op is _re_constants.CATEGORY and _in_category(av, ch):
            return True
    return False


def _in_category(category: Any, ch: str) -> bool:
    name = str(category)
    positive = {
        "CATEGORY_WORD": ch.isalnum() or ch == "_",
        "CATEGORY_DIGIT": ch.isdigit(),
        "CATEGORY_SPACE": ch.isspace(),
    }
    for key, value in positive.items():
        if name.endswith(key.replace("CATEGORY_", "CATEGORY_NOT_")):
            return not value
        if name.endswith(key):
            return value
    return False


# -- hostile variants ------------------------------------------------------------------


def _hostile_variants(example: str) -> Iterable[Probe]:
    parts = origin_facts.split(example)
    if parts is None or not parts.hostname:
        return
    scheme, host = parts.scheme, parts.hostname
    port = f":{parts.port}" if parts.port is not None else ""
    error, warning, info = Severity.ERROR, Severity.WARNING, Severity.INFO
    yield Probe(
        "prefix",
        f"{scheme}://{host}.{EVIL_DOMAIN}{port}",
        error,
        "the attacker's own domain, with your host name as its first labels",
    )
    registrable = origin_facts.registrable_domain(host)
    if registrable:
        yield Probe(
            "suffix",
            f"{scheme}://evil{registrable}{port}",
            error,
            "a domain anyone can register that ends with yours",
        )
    for i, ch in enumerate(host):
        if ch != ".":
            continue
        twisted = host[:i] + "x" + host[i + 1 :]
        twisted_domain = origin_facts.registrable_domain(twisted)
        if twisted_domain and twisted_domain != registrable:
            yield Probe(
                "unescaped dot",
                f"{scheme}://{twisted}{port}",
                error,
                "a registrable domain: the regex's '.' matches any character",
            )
            break
    yield Probe(
        "special character",
        f"{scheme}://{host}_.{EVIL_DOMAIN}{port}",
        error,
        "the attacker's domain; Safari sends such host names",
    )
    yield Probe(
        "userinfo",
        f"{scheme}://{host}{port or ':443'}@{EVIL_DOMAIN}",
        warning,
        "no browser sends it, but it shows the regex's end is open",
    )
    if scheme == "https":
        yield Probe(
            "other scheme",
            f"http://{host}{port}",
            error,
            "a network attacker injecting script into the plain-http page",
        )
    yield Probe("upper case", f"{scheme}://{host.upper()}{port}", info, "not a browser's form")
    yield Probe("trailing slash", f"{example}/", info, "not a browser's form")


# -- the equivalent cors_gate pattern ----------------------------------------------------


def _suggest(compiled: re.Pattern[str], example: str) -> str | None:
    """The cors_gate pattern that means what the regex was meant to mean, if there is one.

    A label is `*` when the regex accepts any other label in its place, fixed when it
    accepts neither another label nor a longer one at either end; anything else (`lms-\\w+`) has no
    equivalent in the grammar, which only knows whole labels.
    """
    parts = origin_facts.split(example)
    if parts is None or not parts.hostname:
        return None
    scheme, labels = parts.scheme, parts.hostname.split(".")
    port = f":{parts.port}" if parts.port is not None else ""

    def accepted(host_labels: Sequence[str], port_text: str = port) -> bool:
        # fullmatch: the intent, without the open end a missing `$` adds by accident.
        origin = f"{scheme}://{'.'.join(host_labels)}{port_text}"
        return compiled.fullmatch(origin) is not None

    out: list[str] = []
    for i, label in enumerate(labels):
        others = ([*labels[:i], word, *labels[i + 1 :]] for word in ("zzq", "q9"))
        longer = [*labels[:i], label + "q", *labels[i + 1 :]]
        prefixed = [*labels[:i], "q" + label, *labels[i + 1 :]]
        if any(accepted(other) for other in others):
            out.append("*")
        elif not accepted(longer) and not accepted(prefixed):
            out.append(label)
        else:
            return None
    any_port = accepted(labels, ":8443") and accepted(labels, ":9")
    port_text = ":*" if any_port else port
    pattern = f"{scheme}://{'.'.join(out)}{port_text}"
    try:
        return parse_pattern(pattern).text
    except OriginError:
        return None
