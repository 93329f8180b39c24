"""Serializers: the engine's one-line messages per field; writes go through cors_gate.services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers

from cors_gate.api.fields import (
    HeadersField,
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictJSONListField,
    refuse_extra_members,
)
from cors_gate.models import (
    MAX_AGE_LIMIT,
    MODE_NAMES,
    NOTE_MAX_LENGTH,
    URLS_REGEX_MAX_LENGTH,
    AllowedOrigin,
    CorsPolicy,
    ObservedOrigin,
    validate_paths,
    validate_pattern,
)
from cors_gate.services import ORIGIN_FIELDS, may_become_rule


def _username(user: Any) -> str | None:
    return None if user is None else str(user.get_username())


class OriginSerializer(serializers.ModelSerializer[AllowedOrigin]):
    """A rule's fields, each checked by its model field's validator; whether the pattern
    is free and the rules beyond one field are cors_gate.services' (a 400 from there)."""

    pattern = StrictCharField(
        max_length=512,
        trim_whitespace=False,
        validators=[validate_pattern],
    )
    enabled = StrictBooleanField(required=False)
    note = StrictCharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, trim_whitespace=False
    )
    paths = StrictJSONListField(required=False, validators=[validate_paths])
    expires_at = StrictDateTimeField(required=False, allow_null=True)
    csrf_trusted = StrictBooleanField(required=False)
    expired = serializers.BooleanField(source="is_expired", read_only=True)
    created_by = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = AllowedOrigin
        fields = (
            "id",
            *ORIGIN_FIELDS,
            "expired",
            "created_at",
            "updated_at",
            "created_by",
            "updated_by",
        )
        read_only_fields = ("id", "expired", "created_at", "updated_at")

    def to_internal_value(self, data: Any) -> Any:
        refuse_extra_members(self.fields, data, "a rule field")
        return super().to_internal_value(data)

    def get_created_by(self, obj: AllowedOrigin) -> str | None:
        return _username(obj.created_by)

    def get_updated_by(self, obj: AllowedOrigin) -> str | None:
        return _username(obj.updated_by)


class PolicySerializer(serializers.Serializer[CorsPolicy]):
    """The editable policy fields; deeper checks (token lists, regex, credentials with an
    any-origin rule) are the model's, reached through services.update_policy."""

    mode = serializers.ChoiceField(choices=list(MODE_NAMES))
    allow_null_origin = StrictBooleanField()
    allow_credentials = StrictBooleanField()
    max_age = StrictIntegerField(min_value=0, max_value=MAX_AGE_LIMIT)
    exposed_headers = StrictJSONListField()
    allowed_methods = StrictJSONListField()
    allowed_headers = StrictJSONListField()
    urls_regex = StrictCharField(
        max_length=URLS_REGEX_MAX_LENGTH, trim_whitespace=False, allow_blank=True
    )
    allow_private_network = StrictBooleanField()
    revision = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_internal_value(self, data: Any) -> Any:
        refuse_extra_members(self.fields, data, "a policy setting")
        if isinstance(data, dict) and "mode" in data and not isinstance(data["mode"], str):
            raise serializers.ValidationError({"mode": [gettext("must be a string")]})
        return super().to_internal_value(data)


class ObservedOriginSerializer(serializers.ModelSerializer[ObservedOrigin]):
    usable = serializers.SerializerMethodField(
        help_text="Whether the value is exactly what a browser sends (only then can it be allowed)."
    )

    class Meta:
        model = ObservedOrigin
        fields = (
            "id",
            "origin",
            "usable",
            "would_allow",
            "count",
            "first_seen",
            "last_seen",
            "last_path",
            "last_method",
        )
        read_only_fields = fields

    def get_usable(self, obj: ObservedOrigin) -> bool:
        return may_become_rule(obj.origin)


class AllowObservedSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=1000,
    )
    note = StrictCharField(
        max_length=NOTE_MAX_LENGTH, required=False, default="allowed from observed origins"
    )

    def to_internal_value(self, data: Any) -> Any:
        refuse_extra_members(self.fields, data, "an input of allow")
        return super().to_internal_value(data)


class ExplainSerializer(serializers.Serializer[Any]):
    """The explain feature's inputs, policy mode only: the API never makes the server send
    requests (no url, no in-process run)."""

    origin = StrictCharField(max_length=600, trim_whitespace=False)
    method = StrictCharField(max_length=32, default="GET")
    headers = HeadersField(
        default=list,
        help_text='{"Name": "value"} or ["Name: value", ...]',
    )
    credentials = serializers.ChoiceField(choices=["include", "omit"], default="include")
    path = StrictCharField(max_length=2000, default="/")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("url", "in_process"):
            if name in self.initial_data:
                raise serializers.ValidationError(
                    {
                        name: [
                            gettext(
                                "is not available over the API (it makes the server send requests)"
                            )
                        ]
                    }
                )
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: [gettext("is not an explain input")]})
        return attrs
