"""Oracle Cloud Gate's CORS settings payload, as its CORS documentation gives it: parse it,
and build it back.

The payload is a SCIM PatchOp::

    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
     "Operations": [{"op": "replace", "path": "cloudGateCorsSettings",
                     "value": {"cloudGateCorsEnabled": true, ...}}]}

`parse_json` turns bad JSON (the documentation's own sample lacks a quote) into one line with
the line, column and position; `parse_payload` checks every operation and value before anything is
applied and names the offending member, e.g.
``Operations[0].value.cloudGateCorsAllowedOrigins[1]``. Nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from cors_gate import jsontext
from cors_gate.models import (
    MAX_AGE_LIMIT,
    clean_names,
    credentials_refusal,
    shown,
    text_problem,
    too_broad,
)
from cors_gate.origins import OriginError, parse_pattern
from cors_gate.services import InvalidInput

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SETTINGS_PATH = "cloudGateCorsSettings"
ENABLED = "cloudGateCorsEnabled"
NULL_ORIGIN = "cloudGateCorsAllowNullOrigin"
ORIGINS = "cloudGateCorsAllowedOrigins"
MAX_AGE = "cloudGateCorsMaxAge"
EXPOSED = "cloudGateCorsExposedHeaders"
KEYS = (ENABLED, NULL_ORIGIN, ORIGINS, MAX_AGE, EXPOSED)
_KEYS_BY_LOWER = {key.lower(): key for key in KEYS}


class CloudGateError(InvalidInput):
    """One line: the member (JSON-path-like, as the field) and what is wrong with it."""


@dataclass(frozen=True)
class CloudGateSettings:
    """What a payload asks for; None means the payload leaves that setting alone."""

    enabled: bool | None = None
    allow_null_origin: bool | None = None
    allowed_origins: list[str] | None = None  # normalised, duplicates dropped
    max_age: int | None = None
    exposed_headers: list[str] | None = None
    members: dict[str, str] = field(default_factory=dict)  # setting -> where it was given

    def policy_changes(self) -> dict[str, Any]:
        """The cors_gate policy fields this payload sets."""
        changes: dict[str, Any] = {}
        if self.enabled is not None:
            changes["mode"] = "enforce" if self.enabled else "off"
        if self.allow_null_origin is not None:
            changes["allow_null_origin"] = self.allow_null_origin
        if self.max_age is not None:
            changes["max_age"] = self.max_age
        if self.exposed_headers is not None:
            changes["exposed_headers"] = self.exposed_headers
        return changes


def parse_json(body: bytes | str) -> Any:
    """Decode JSON text; errors say where: line, column, position and the line's text."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CloudGateError(
                "body", f"is not UTF-8 text (byte {exc.start} is {body[exc.start]:#04x})"
            ) from None
    else:
        text = body
    if not text.strip():
        raise CloudGateError("body", "is empty: expected a JSON object")
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise CloudGateError("body", str(exc)) from None
    except json.JSONDecodeError as exc:
        line = exc.doc.splitlines()[exc.lineno - 1] if exc.doc.splitlines() else ""
        near = line.strip()[:80]
        raise CloudGateError(
            "body",
            f"invalid JSON at line {exc.lineno}, column {exc.colno} (position {exc.pos}): "
            f"{exc.msg}; near {near!r}",
        ) from None


def looks_like_patch_op(data: Any) -> bool:
    """Whether a request body is a SCIM PatchOp rather than cors_gate's own fields."""
    if not isinstance(data, Mapping):
        return False
    schemas = data.get("schemas")
    return "Operations" in data or (isinstance(schemas, list) and PATCH_OP_SCHEMA in schemas)


def _bool(member: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise CloudGateError(member, f"must be true or false, not {json.dumps(value)[:40]}")
    return value


def _origins(member: str, value: Any, credentials_on: bool) -> list[str]:
    if not isinstance(value, list):
        raise CloudGateError(member, "must be an array of origin strings")
    result: dict[str, None] = {}  # ordered, duplicates dropped in O(1)
    for index, entry in enumerate(value):
        where = f"{member}[{index}]"
        if not isinstance(entry, str):
            raise CloudGateError(where, f"must be a string, not {json.dumps(entry)[:40]}")
        try:
            pattern = parse_pattern(entry)
        except OriginError as exc:
            raise CloudGateError(where, f"{entry[:80]!r}: {exc}") from None
        broad = too_broad(pattern) if credentials_on else None
        if broad:
            raise CloudGateError(where, credentials_refusal(pattern.text, broad))
        result[pattern.text] = None
    return list(result)


def _max_age(member: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CloudGateError(member, f"must be a whole number of seconds, not {value!r}")
    if value > MAX_AGE_LIMIT:
        raise CloudGateError(member, f"{value} is too large")
    return max(value, 0)  # Cloud Gate: zero or less sends no Access-Control-Max-Age


def _headers(member: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise CloudGateError(member, "must be an array of header names")
    try:
        return clean_names(value)
    except ValidationError as exc:
        raise CloudGateError(member, exc.messages[0]) from None


def _operation_value(index: int, operation: Any) -> tuple[str, Mapping[str, Any]]:
    where = f"Operations[{index}]"
    if not isinstance(operation, Mapping):
        raise CloudGateError(where, "must be an object with op, path and value")
    kind = operation.get("op")
    if not isinstance(kind, str) or kind.lower() != "replace":
        raise CloudGateError(f"{where}.op", f"{kind!r} is not supported (only 'replace')")
    path = operation.get("path")
    value = operation.get("value")
    if path is None:
        # SCIM also allows the attribute inside the value: {"value": {"cloudGateCorsSettings": …}}
        if isinstance(value, Mapping) and len(value) == 1:
            key = next(iter(value))
            if isinstance(key, str) and key.lower() == SETTINGS_PATH.lower():
                value = value[key]
                where = f"{where}.value.{SETTINGS_PATH}"
                if not isinstance(value, Mapping):
                    raise CloudGateError(where, "must be an object of Cloud Gate CORS settings")
                return where, value
        raise CloudGateError(f"{where}.path", f"is missing (expected {SETTINGS_PATH!r})")
    if not isinstance(path, str) or path.lower() != SETTINGS_PATH.lower():
        raise CloudGateError(f"{where}.path", f"{path!r} is not {SETTINGS_PATH!r}")
    if not isinstance(value, Mapping):
        raise CloudGateError(f"{where}.value", "must be an object of Cloud Gate CORS settings")
    return f"{where}.value", value


def _check_envelope(data: Any) -> list[Any]:
    """The PatchOp around the settings: its schema, no unknown members, its operations."""
    if not isinstance(data, Mapping):
        raise CloudGateError("body", "must be a JSON object (a SCIM PatchOp)")
    schemas = data.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_OP_SCHEMA not in schemas):
        raise CloudGateError("schemas", f"must contain {PATCH_OP_SCHEMA!r}")
    unknown = sorted(str(key) for key in data if key not in ("schemas", "Operations"))
    if unknown:
        name = unknown[0] if text_problem(unknown[0]) is None else shown(unknown[0])
        raise CloudGateError(name[:80], "is not a member of a SCIM PatchOp")
    operations = data.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise CloudGateError("Operations", "must be a non-empty array")
    return operations


def _setting_value(key: str, member: str, item: Any, credentials_on: bool) -> Any:
    """One Cloud Gate setting's value, checked for its key."""
    if key in (ENABLED, NULL_ORIGIN):
        return _bool(member, item)
    if key == ORIGINS:
        return _origins(member, item, credentials_on)
    if key == MAX_AGE:
        return _max_age(member, item)
    return _headers(member, item)


def parse_payload(data: Any, *, credentials_on: bool = True) -> CloudGateSettings:
    """Check a decoded payload completely; raise CloudGateError at the first problem."""
    operations = _check_envelope(data)
    found: dict[str, Any] = {}
    members: dict[str, str] = {}
    for index, operation in enumerate(operations):
        where, value = _operation_value(index, operation)
        for raw_key, item in value.items():
            key = _KEYS_BY_LOWER.get(str(raw_key).lower())
            name = str(raw_key)
            member = f"{where}.{name if key or text_problem(name) is None else shown(name)}"
            if key is None:
                raise CloudGateError(
                    member, f"is not a Cloud Gate CORS setting (one of {', '.join(KEYS)})"
                )
            found[key] = _setting_value(key, member, item, credentials_on)
            members[key] = member  # a later operation overrides an earlier one
    return CloudGateSettings(
        enabled=found.get(ENABLED),
        allow_null_origin=found.get(NULL_ORIGIN),
        allowed_origins=found.get(ORIGINS),
        max_age=found.get(MAX_AGE),
        exposed_headers=found.get(EXPOSED),
        members=members,
    )


def build_payload(
    *,
    enabled: bool,
    allow_null_origin: bool,
    allowed_origins: list[str],
    max_age: int,
    exposed_headers: list[str],
) -> dict[str, Any]:
    """The PatchOp Cloud Gate's /admin/v1/Settings/Settings endpoint takes."""
    return {
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [
            {
                "op": "replace",
                "path": SETTINGS_PATH,
                "value": {
                    ENABLED: enabled,
                    NULL_ORIGIN: allow_null_origin,
                    ORIGINS: list(allowed_origins),
                    MAX_AGE: max_age,
                    EXPOSED: list(exposed_headers),
                },
            }
        ],
    }
