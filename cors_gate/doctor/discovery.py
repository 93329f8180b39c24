"""Which front ends call this site, and where each one was found.

Sources, in this order (the first source to name an origin with a known kind sets it):
Open edX settings (``*_MICROFRONTEND_URL``, ``MFE_CONFIG`` and ``MFE_CONFIG_OVERRIDES``
base URLs, ``LOGIN_REDIRECT_WHITELIST``, ``CSRF_TRUSTED_ORIGINS``), django-cors-headers'
lists (current and old names), cors_gate's allow-list (rules and
``CORS_GATE_ALLOWED_ORIGINS``), observed origins, the journeys file's ``frontends`` and
``--origin``. Entries that name no single front end (wildcards, regexes, ``null``) are
listed as skipped with the reason; the site's own origin is skipped (not cross-origin).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext as _

from cors_gate.doctor.journeys import Journeys
from cors_gate.exceptions import CorsGateError
from cors_gate.origins import OriginError, parse_pattern, parse_request_origin, url_origin

OBSERVED_LIMIT = 20
# Open edX's configuration names hosts without a scheme; production runs https.
ASSUMED_SCHEME = "https"


class DiscoveryError(CorsGateError):
    """An --origin the operator typed cannot be used (one line naming it)."""


@dataclass
class FrontEnd:
    origin: str
    kinds: list[str]  # one origin can serve several MFEs (Tutor serves them all on one)
    sources: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "+".join(self.kinds)

    def as_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "kinds": list(self.kinds), "sources": list(self.sources)}


@dataclass
class Discovery:
    frontends: list[FrontEnd] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "source: entry: why"

    def add(self, origin: str, kind: str, source: str) -> None:
        for front in self.frontends:
            if front.origin == origin:
                if source not in front.sources:
                    front.sources.append(source)
                if front.kinds == ["other"]:
                    front.kinds = [kind]
                elif kind != "other" and kind not in front.kinds:
                    front.kinds.append(kind)
                return
        self.frontends.append(FrontEnd(origin, [kind], [source]))


def _origin_of(entry: Any, *, url: bool) -> tuple[str | None, str]:
    """(origin, "") for an entry naming exactly one origin, else (None, why)."""
    if not isinstance(entry, str) or not entry.strip():
        return None, _("not text")
    text = entry.strip()
    if text.lower() == "null":
        return None, _("null names no front end (sandboxed pages, file: URLs)")
    if "://" not in text:
        text = f"{ASSUMED_SCHEME}://{text}"
    if url:
        try:
            origin = url_origin(text)
        except ValueError:  # urlsplit: a bad port or an unclosed IPv6 bracket
            origin = ""
        if parse_request_origin(origin) is None:
            return None, _("not an http(s) URL with a usable host")
        return origin, ""
    try:
        pattern = parse_pattern(text)
    except OriginError as exc:
        return None, str(exc)
    if pattern.is_wildcard:
        return None, _("a wildcard names no single front end (add one with --origin)")
    return pattern.text, ""


def _setting(name: str, default: Any = None) -> Any:
    return getattr(settings, name, default)


@dataclass
class _Offers:
    """Takes each entry a source names: a front end, or a line in `skipped` saying why not."""

    found: Discovery
    site_origin: str

    def __call__(self, entry: Any, kind: str, source: str, *, url: bool) -> None:
        origin, why = _origin_of(entry, url=url)
        if origin is None:
            self.found.skipped.append(f"{source}: {entry!r}: {why}")
        elif origin == self.site_origin:
            self.found.skipped.append(
                f"{source}: {origin}: " + _("this site's own origin (same-origin, no CORS)")
            )
        else:
            self.found.add(origin, kind, source)


def discover(
    journeys: Journeys,
    *,
    site_origin: str,
    extra: Sequence[tuple[str, str]] = (),
    observed: bool = True,
) -> Discovery:
    """Every front end, with its sources; `extra` is (origin, kind) pairs from --origin."""
    found = Discovery()
    offer = _Offers(found, site_origin)
    for entry, kind, source, url in _from_settings(journeys):
        offer(entry, kind, source, url=url)
    for name in ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST"):
        for entry in _setting(name) or ():
            found.skipped.append(
                f"{name}: {entry!r}: "
                + _("a regex names no single front end (add one with --origin)")
            )
    _from_database(offer, observed=observed)
    for origin, kind in journeys.frontends.items():
        offer(origin, kind, "journeys file 'frontends'", url=False)
    for origin, kind in extra:
        offer(origin, kind, "--origin", url=False)
    return found


def _from_settings(journeys: Journeys) -> Iterator[tuple[Any, str, str, bool]]:
    """(entry, kind, source, is a URL) for each front end the settings name, in order."""
    kinds = journeys.settings_kinds
    for name in sorted(dir(settings)):
        if name.endswith("_MICROFRONTEND_URL") and (value := _setting(name)):
            yield value, kinds.get(name, "mfe"), name, True
    yield from _from_mfe_config(journeys)
    for name, url in (
        ("LOGIN_REDIRECT_WHITELIST", True),
        ("CSRF_TRUSTED_ORIGINS", False),
        ("CORS_ALLOWED_ORIGINS", False),
        ("CORS_ORIGIN_WHITELIST", False),
        ("CORS_GATE_ALLOWED_ORIGINS", False),
    ):
        for entry in _setting(name) or ():
            yield entry, kinds.get(name, "other"), name, url


def _from_mfe_config(journeys: Journeys) -> Iterator[tuple[Any, str, str, bool]]:
    """The MFE base URLs of MFE_CONFIG (the keys the journeys file maps to a kind) and of
    MFE_CONFIG_OVERRIDES (each app's BASE_URL)."""
    mfe_config = _setting("MFE_CONFIG") or {}
    if isinstance(mfe_config, dict):
        for key, value in mfe_config.items():
            kind = journeys.settings_kinds.get(f"MFE_CONFIG.{key}")
            if kind and value:
                yield value, kind, f"MFE_CONFIG[{key!r}]", True
    overrides = _setting("MFE_CONFIG_OVERRIDES") or {}
    if isinstance(overrides, dict):
        for app, values in overrides.items():
            if isinstance(values, dict) and values.get("BASE_URL"):
                kind = app if app in journeys.kinds else "mfe"
                yield values["BASE_URL"], kind, f"MFE_CONFIG_OVERRIDES[{app!r}]['BASE_URL']", True


def _from_database(offer: _Offers, *, observed: bool) -> None:
    from cors_gate.models import AllowedOrigin, ObservedOrigin

    try:
        for rule in AllowedOrigin.objects.order_by("pk"):
            state = "" if rule.enabled else _(" (disabled)")
            offer(
                rule.pattern,
                "other",
                _("allow-list rule %(p)s%(s)s") % {"p": rule.pattern, "s": state},
                url=False,
            )
        if observed:
            rows = ObservedOrigin.objects.order_by("-count", "origin")[:OBSERVED_LIMIT]
            for row in rows:
                if parse_request_origin(row.origin) is None:
                    continue  # hostile or non-canonical: never a front end
                offer(
                    row.origin,
                    "other",
                    _("observed (%(n)d requests, last %(m)s %(p)s)")
                    % {"n": row.count, "m": row.last_method, "p": row.last_path},
                    url=False,
                )
    except DatabaseError:
        offer.found.skipped.append(
            _("database: cors_gate's tables are not there yet (run migrate)")
        )


def parse_origin_option(value: str) -> tuple[str, str]:
    """``--origin ORIGIN[=KIND]`` -> (origin, kind); one-line error naming the value."""
    # No stripping: a value with spaces or a newline is not what a browser sends.
    origin, _sep, kind = value.partition("=")
    if parse_request_origin(origin) is None:
        raise DiscoveryError(
            _(
                "origin: %(value)r is not an origin as a browser sends it "
                "(scheme://host[:port], lower case, no path)"
            )
            % {"value": origin}
        )
    return origin, kind.strip() or "other"
