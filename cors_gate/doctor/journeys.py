"""Journeys as data: the requests an Open edX front end makes, read from journeys.json.

The shipped file cites the public openedx front-end modules each step comes from. An
operator's file (JSON, or YAML when PyYAML is importable) has the same shape and is merged
over it: ``params``, ``kinds``, ``settings_kinds`` and ``frontends`` merge key by key, a
journey given there replaces the shipped one, ``step_overrides`` merges fields into one
step (``"authn.login": {"redirects_to": "https://idp.example.com/sso"}``). Every problem is
a `JourneyError` whose text is one line naming the file and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from cors_gate.exceptions import CorsGateError

SHIPPED = Path(__file__).resolve().parent / "journeys.json"
MAX_FILE_BYTES = 1_000_000
CREDENTIALS = ("include", "omit")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STEP_FIELDS = frozenset(
    {
        "id",
        "title",
        "method",
        "path",
        "headers",
        "content_type",
        "body",
        "credentials",
        "source",
        "redirects_to",
        "redirect_status",
    }
)
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class JourneyError(CorsGateError):
    """A journeys file cannot be used; the text is one line naming the file and field."""


@dataclass(frozen=True)
class Step:
    journey: str
    id: str
    title: str
    method: str
    path: str  # placeholders filled in
    headers: tuple[tuple[str, str], ...]  # Content-Type included when the step has one
    credentials: str
    body: str | None
    source: str
    # Policy mode sees no views: a step the site answers with a redirect says so here.
    redirects_to: str | None = None
    redirect_status: int = 302

    @property
    def key(self) -> str:
        return f"{self.journey}.{self.id}"

    def header_lines(self) -> list[str]:
        return [f"{name}: {value}" for name, value in self.headers]

    def as_dict(self) -> dict[str, Any]:
        return {
            "journey": self.journey,
            "step": self.id,
            "title": self.title,
            "method": self.method,
            "path": self.path,
            "headers": [[n, v] for n, v in self.headers],
            "credentials": self.credentials,
            "source": self.source,
            "redirects_to": self.redirects_to,
        }


@dataclass(frozen=True)
class Journey:
    id: str
    title: str
    source: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Journeys:
    journeys: dict[str, Journey]
    kinds: dict[str, tuple[str, ...]]  # front-end kind -> journey ids, in order
    settings_kinds: dict[str, str]  # setting name (or MFE_CONFIG.KEY) -> kind
    frontends: dict[str, str]  # origin -> kind, declared by the operator
    sources: tuple[str, ...] = field(default=())  # the files read, shipped one first

    def steps_for(self, *kinds: str) -> list[Step]:
        """The steps a front end of these kinds makes, each once, in journey order."""
        ids: list[str] = []
        for kind in kinds:
            for jid in self.kinds.get(kind) or self.kinds.get("other", ()):
                if jid not in ids:
                    ids.append(jid)
        return [step for jid in ids for step in self.journeys[jid].steps]

    def all_steps(self) -> list[Step]:
        """Every step some kind runs, in the order the kinds list them (columns)."""
        seen: dict[str, Step] = {}
        for ids in self.kinds.values():
            for jid in ids:
                for step in self.journeys[jid].steps:
                    seen.setdefault(step.key, step)
        return list(seen.values())


def _read(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JourneyError(
            _("journeys: cannot read %(file)s: %(reason)s")
            % {"file": where, "reason": exc.strerror or type(exc).__name__}
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise JourneyError(_("journeys: %(file)s is larger than 1 MB") % {"file": where})
    text = raw.decode("utf-8", errors="replace")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise JourneyError(
                _(
                    "journeys: %(file)s is YAML, but PyYAML is not installed "
                    "(pip install PyYAML, or use JSON)"
                )
                % {"file": where}
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise JourneyError(
                _("journeys: %(file)s is not valid YAML%(at)s") % {"file": where, "at": at}
            ) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JourneyError(
                _("journeys: %(file)s is not valid JSON: %(msg)s (line %(line)d, column %(col)d)")
                % {"file": where, "msg": exc.msg, "line": exc.lineno, "col": exc.colno}
            ) from None
    if not isinstance(data, dict):
        raise JourneyError(_("journeys: %(file)s must hold an object") % {"file": where})
    return data


def _mapping(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise JourneyError(
            _("journeys: %(where)s: %(key)s must be an object") % {"where": where, "key": key}
        )
    return value


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> dict[str, Any]:
    merged = dict(base)
    for key in ("params", "journeys", "kinds", "settings_kinds", "frontends", "step_overrides"):
        merged[key] = {**_mapping(base, key, "shipped"), **_mapping(over, key, where)}
    return merged


def _fill(text: str, params: dict[str, str], where: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise JourneyError(
                _("journeys: %(where)s: unknown parameter {%(name)s}")
                % {"where": where, "name": name}
            )
        return params[name]

    return _PLACEHOLDER.sub(value, text)


def _text(step: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = step.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise JourneyError(
            _("journeys: %(where)s.%(key)s must be non-empty text") % {"where": where, "key": key}
        )
    return value


def _step(journey: str, raw: Any, params: dict[str, str], where: str) -> Step:
    if not isinstance(raw, dict):
        raise JourneyError(_("journeys: %(where)s must be an object") % {"where": where})
    unknown = sorted(set(raw) - _STEP_FIELDS)
    if unknown:
        raise JourneyError(
            _("journeys: %(where)s: unknown field %(field)r")
            % {"where": where, "field": unknown[0]}
        )
    step_id = _text(raw, "id", where) or ""
    method = (_text(raw, "method", where) or "").upper()
    path = _fill(_text(raw, "path", where) or "", params, f"{where}.path")
    if not path.startswith("/"):
        raise JourneyError(
            _("journeys: %(where)s.path %(path)r must start with /")
            % {"where": where, "path": path}
        )
    headers_raw = raw.get("headers") or {}
    if not isinstance(headers_raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers_raw.items()
    ):
        raise JourneyError(
            _("journeys: %(where)s.headers must map header names to text") % {"where": where}
        )
    headers = [
        (name, _fill(value, params, f"{where}.headers")) for name, value in headers_raw.items()
    ]
    content_type = _text(raw, "content_type", where, required=False)
    if content_type:
        headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        headers.append(("Content-Type", content_type))
    credentials = raw.get("credentials", "include")
    if credentials not in CREDENTIALS:
        raise JourneyError(
            _("journeys: %(where)s.credentials %(value)r must be include or omit")
            % {"where": where, "value": credentials}
        )
    body = _text(raw, "body", where, required=False)
    redirects_to = _text(raw, "redirects_to", where, required=False)
    if redirects_to is not None:
        redirects_to = _fill(redirects_to, params, f"{where}.redirects_to")
        parts = urlsplit(redirects_to)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise JourneyError(
                _("journeys: %(where)s.redirects_to %(value)r is not an http(s) URL")
                % {"where": where, "value": redirects_to}
            )
    status = raw.get("redirect_status", 302)
    if status not in _REDIRECT_STATUSES:
        raise JourneyError(
            _(
                "journeys: %(where)s.redirect_status %(value)r must be one of "
                "301, 302, 303, 307, 308"
            )
            % {"where": where, "value": status}
        )
    return Step(
        journey=journey,
        id=step_id,
        title=_text(raw, "title", where, required=False) or step_id,
        method=method,
        path=path,
        headers=tuple(headers),
        credentials=credentials,
        body=_fill(body, params, f"{where}.body") if body is not None else None,
        source=_text(raw, "source", where, required=False) or "",
        redirects_to=redirects_to,
        redirect_status=int(status),
    )


def load(override: str | Path | None = None) -> Journeys:
    """The shipped journeys, with the operator's file merged over them."""
    data = _read(SHIPPED)
    files = [str(SHIPPED)]
    where = "shipped"
    if override:
        path = Path(override)
        over = _read(path)
        data = _merge(data, over, str(path))
        files.append(str(path))
        where = str(path)
    return _build(data, where, tuple(files))


def _build(data: dict[str, Any], where: str, files: tuple[str, ...]) -> Journeys:
    params_raw = _mapping(data, "params", where)
    params = {str(k): str(v) for k, v in params_raw.items()}
    overrides = _mapping(data, "step_overrides", where)
    used_overrides: set[str] = set()
    journeys = {
        jid: _journey(jid, raw, params, overrides, used_overrides)
        for jid, raw in _mapping(data, "journeys", where).items()
    }
    unused = sorted(set(overrides) - used_overrides)
    if unused:
        raise JourneyError(
            _("journeys: step_overrides.%(key)s names no step (use journey.step)")
            % {"key": unused[0]}
        )
    kinds = _kinds(_mapping(data, "kinds", where), journeys)
    settings_kinds = {str(k): str(v) for k, v in _mapping(data, "settings_kinds", where).items()}
    frontends = {str(k): str(v) for k, v in _mapping(data, "frontends", where).items()}
    for table, values in (("settings_kinds", settings_kinds), ("frontends", frontends)):
        for key, kind in values.items():
            if kind not in kinds:
                raise JourneyError(
                    _("journeys: %(table)s.%(key)s names an unknown kind %(kind)r")
                    % {"table": table, "key": key, "kind": kind}
                )
    return Journeys(journeys, kinds, settings_kinds, frontends, files)


def _journey(
    jid: str, raw: Any, params: dict[str, str], overrides: dict[str, Any], used: set[str]
) -> Journey:
    """One journey, each step with its `step_overrides` patch applied (noted in `used`)."""
    jwhere = f"journeys.{jid}"
    if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list) or not raw["steps"]:
        raise JourneyError(
            _("journeys: %(where)s needs a non-empty list of steps") % {"where": jwhere}
        )
    steps = []
    ids: set[str] = set()
    for index, step_raw in enumerate(raw["steps"]):
        patched = _patched(jid, step_raw, overrides, used)
        step = _step(jid, patched, params, f"{jwhere}.steps[{index}]")
        if step.id in ids:
            raise JourneyError(
                _("journeys: %(where)s: step id %(id)r is used twice")
                % {"where": jwhere, "id": step.id}
            )
        ids.add(step.id)
        steps.append(step)
    return Journey(jid, str(raw.get("title") or jid), str(raw.get("source") or ""), tuple(steps))


def _patched(jid: str, step_raw: Any, overrides: dict[str, Any], used: set[str]) -> Any:
    """The step with the operator's `step_overrides["journey.step"]` merged over it."""
    if not isinstance(step_raw, dict):
        return step_raw  # _step says what is wrong with it
    key = f"{jid}.{step_raw.get('id')}"
    patch = overrides.get(key)
    if patch is None:
        return step_raw
    if not isinstance(patch, dict):
        raise JourneyError(_("journeys: step_overrides.%(key)s must be an object") % {"key": key})
    used.add(key)
    return {**step_raw, **patch}


def _kinds(raw: dict[str, Any], journeys: dict[str, Journey]) -> dict[str, tuple[str, ...]]:
    """Each kind of front end -> its journey ids (all known; "other" is required)."""
    kinds: dict[str, tuple[str, ...]] = {}
    for kind, ids in raw.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise JourneyError(
                _("journeys: kinds.%(kind)s must be a list of journey ids") % {"kind": kind}
            )
        for jid in ids:
            if jid not in journeys:
                raise JourneyError(
                    _("journeys: kinds.%(kind)s names an unknown journey %(id)r")
                    % {"kind": kind, "id": jid}
                )
        kinds[kind] = tuple(ids)
    if "other" not in kinds:
        raise JourneyError(_("journeys: kinds.other is required (front ends of unknown kind)"))
    return kinds
