"""Serializers: the engine's one-line messages per field; writes go through cors_gate.services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from cors_gate.models import (
    MAX_AGE_LIMIT,
    AllowedOrigin,
    CorsPolicy,
    ObservedOrigin,
    validate_paths,
)
from cors_gate.observe import is_usable
from cors_gate.origins import OriginError, parse_pattern
from cors_gate.services import ORIGIN_FIELDS, POLICY_FIELDS, first_message


def _username(user: Any) -> str | None:
    return None if user is None else str(user.get_username())


class OriginSerializer(serializers.ModelSerializer[AllowedOrigin]):
    pattern = serializers.CharField(max_length=512, trim_whitespace=False)
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

    def get_created_by(self, obj: AllowedOrigin) -> str | None:
        return _username(obj.created_by)

    def get_updated_by(self, obj: AllowedOrigin) -> str | None:
        return _username(obj.updated_by)

    def validate_pattern(self, value: str) -> str:
        try:
            text = parse_pattern(value).text
        except OriginError as exc:
            raise serializers.ValidationError(str(exc)) from None
        others = AllowedOrigin.objects.filter(pattern=text)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(f"{text!r} already has a rule")
        return text

    def validate_paths(self, value: Any) -> list[str]:
        try:
            return validate_paths(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(first_message(exc, "paths")) from None


class PolicySerializer(serializers.Serializer[CorsPolicy]):
    """The editable policy fields; deeper checks (token lists, regex, credentials with an
    any-origin rule) are the model's, reached through services.update_policy."""

    mode = serializers.ChoiceField(choices=[m for m, _ in CorsPolicy.MODES])
    allow_null_origin = serializers.BooleanField()
    allow_credentials = serializers.BooleanField()
    max_age = serializers.IntegerField(min_value=0, max_value=MAX_AGE_LIMIT)
    exposed_headers = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    allowed_methods = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    allowed_headers = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    urls_regex = serializers.CharField(max_length=500, trim_whitespace=False)
    allow_private_network = serializers.BooleanField()
    revision = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {unknown[0]: [f"is not a policy setting (one of {', '.join(POLICY_FIELDS)})"]}
            )
        return attrs


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
        return is_usable(obj.origin)


class AllowObservedSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=1000,
    )
    note = serializers.CharField(
        max_length=255, required=False, default="allowed from observed origins"
    )


class ExplainSerializer(serializers.Serializer[Any]):
    """The explain feature's inputs, policy mode only: the API never makes the server send
    requests (no url, no in-process run)."""

    origin = serializers.CharField(max_length=600, trim_whitespace=False)
    method = serializers.CharField(max_length=32, default="GET")
    headers = serializers.ListField(
        child=serializers.CharField(max_length=8192, trim_whitespace=False),
        default=list,
        max_length=100,
    )
    credentials = serializers.ChoiceField(choices=["include", "omit"], default="include")
    path = serializers.CharField(max_length=2000, default="/")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("url", "in_process"):
            if name in self.initial_data:
                raise serializers.ValidationError(
                    {name: ["is not available over the API (it makes the server send requests)"]}
                )
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: ["is not an explain input"]})
        return attrs
