"""Strict JSON fields: a value of the wrong JSON type is a 400, never coerced.

DRF's own fields read "yes", "1" and 1 as true and "600" as 600, and turn numbers into text.
The Cloud Gate route refuses those, so every route refuses them the same way; and text that
cannot be encoded as UTF-8 (a lone surrogate from a "\\ud800" escape) is refused before it can
reach a response or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from cors_gate.http_tokens import is_token
from cors_gate.models import shown, text_problem


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            raise serializers.ValidationError(
                gettext("must be true or false, not %(value)s") % {"value": _type_name(data)}
            )
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(
                gettext("must be a whole number, not %(value)s") % {"value": _type_name(data)}
            )
        return int(super().to_internal_value(data))


class StrictCharField(serializers.CharField):
    """Text only, one line, encodable (no lone surrogates, no control characters)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(
                gettext("must be a string, not %(value)s") % {"value": _type_name(data)}
            )
        problem = text_problem(data)
        if problem:
            raise serializers.ValidationError(problem)
        return str(super().to_internal_value(data))


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO-8601 string or null (DRF would hand a number to the date parser)."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise serializers.ValidationError(
                gettext("must be an ISO-8601 date-time string, not %(value)s")
                % {"value": _type_name(value)}
            )
        problem = text_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return super().to_internal_value(value)


class StrictJSONListField(serializers.Field):
    """A JSON array of strings, passed on as a list (the model validates its items)."""

    default_error_messages = {"not_a_list": gettext_lazy("must be an array of strings")}

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list):
            raise serializers.ValidationError(
                gettext("must be an array of strings, not %(value)s") % {"value": _type_name(data)}
            )
        for item in data:
            if not isinstance(item, str):
                raise serializers.ValidationError(
                    gettext("must be an array of strings; found %(value)s")
                    % {"value": _type_name(item)}
                )
        return list(data)

    def to_representation(self, value: Any) -> Any:
        return list(value or [])


class HeadersField(serializers.Field):
    """Request headers as a JSON object {"Name": "value"} (what JSON clients send) or as an
    array of "Name: value" strings; either way the explain feature gets the array."""

    MAX_HEADERS = 100
    MAX_LINE = 8192

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, Mapping):
            lines = self._lines_from_object(data)
        elif isinstance(data, list):
            lines = data
        else:
            raise serializers.ValidationError(
                gettext(
                    'must be an object {"Name": "value"} or an array of "Name: value" '
                    "strings, not %(value)s"
                )
                % {"value": _type_name(data)}
            )
        if len(lines) > self.MAX_HEADERS:
            raise serializers.ValidationError(
                gettext("has %(n)d headers (at most %(max)d)")
                % {"n": len(lines), "max": self.MAX_HEADERS}
            )
        for line in lines:
            self._check_line(line)
        return list(lines)

    @staticmethod
    def _lines_from_object(data: Mapping[Any, Any]) -> list[str]:
        """{"Name": "value"} as "Name: value" lines."""
        lines = []
        for name, value in data.items():
            if not is_token(name):
                raise serializers.ValidationError(
                    gettext("%(name)s is not a header name (an RFC 9110 token)")
                    % {"name": shown(name)}
                )
            if not isinstance(value, str):
                raise serializers.ValidationError(
                    gettext("the value of %(name)s must be a string, not %(value)s")
                    % {"name": name, "value": _type_name(value)}
                )
            lines.append(f"{name}: {value}")
        return lines

    def _check_line(self, line: Any) -> None:
        """One "Name: value" line: text that can be shown again, within the length bound."""
        if not isinstance(line, str):
            raise serializers.ValidationError(
                gettext('must hold "Name: value" strings, not %(value)s')
                % {"value": _type_name(line)}
            )
        problem = text_problem(line)
        if problem:
            raise serializers.ValidationError(f"{shown(line)} {problem}")
        if len(line) > self.MAX_LINE:
            raise serializers.ValidationError(
                gettext("a header is longer than %(max)d characters") % {"max": self.MAX_LINE}
            )

    def to_representation(self, value: Any) -> Any:
        return value


def refuse_extra_members(fields: Mapping[str, serializers.Field], data: Any, what: str) -> None:
    """400 for members a serializer does not have, and for its read-only ones (DRF ignores
    both, so a typo or a stale `revision` would look accepted)."""
    if not isinstance(data, Mapping):
        return
    writable = sorted(name for name, field in fields.items() if not field.read_only)
    for name in data:
        field = fields.get(name)
        if field is None:
            key = str(name)[:60] if text_problem(str(name)) is None else shown(name)
            raise serializers.ValidationError(
                {
                    key: [
                        gettext("is not %(what)s (one of %(names)s)")
                        % {"what": what, "names": ", ".join(writable)}
                    ]
                }
            )
        if field.read_only:
            raise serializers.ValidationError({name: [gettext("is read-only: it cannot be set")]})
