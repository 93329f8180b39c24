"""The REST API's views. Every write goes through cors_gate.services (channel "api", the
request's user as author); every refusal is a 400 naming the field."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext
from rest_framework import status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from cors_gate.api.authentication import authenticators
from cors_gate.api.cloud_gate import looks_like_patch_op
from cors_gate.api.parsers import AsciiJSONRenderer, JSONParser, ScimJSONParser
from cors_gate.api.permissions import StaffWithModelPermissions, default_permissions, perm
from cors_gate.api.serializers import (
    AllowObservedSerializer,
    ExplainSerializer,
    ObservedOriginSerializer,
    OriginSerializer,
    PolicySerializer,
)
from cors_gate.exceptions import CorsGateError, NotPermitted
from cors_gate.models import AllowedOrigin, CorsPolicy, ObservedOrigin
from cors_gate.services import (
    OPERATIONS,
    Actor,
    add_origin,
    allow_observed,
    change_origin,
    observed_origin_refusal,
    remove_origins,
    update_policy,
)

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
MAX_SEARCH = 200


def as_api_error(exc: Exception) -> Exception:
    """A refused input as DRF's 403 (a missing permission) or 400 keyed by its field; any
    other exception as it is."""
    if isinstance(exc, NotPermitted):
        return PermissionDenied(str(exc))
    if isinstance(exc, CorsGateError):
        return ValidationError({exc.field: [exc.message]} if exc.field else {"detail": [str(exc)]})
    return exc


def query_flag(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValidationError(
        {name: [gettext("%(value)s must be true or false") % {"value": repr(raw[:40])}]}
    )


def query_search(request: Request) -> str | None:
    raw = request.query_params.get("search")
    if not raw:
        return None
    if len(raw) > MAX_SEARCH:
        raise ValidationError(
            {"search": [gettext("is longer than %(limit)d characters") % {"limit": MAX_SEARCH}]}
        )
    return raw


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class CorsGateAPIView(APIView):
    """The base of every cors_gate endpoint: authentication, permissions, parsers, and the
    one place a refused input becomes an HTTP answer."""

    permission_classes = [StaffWithModelPermissions]
    parser_classes = [JSONParser, ScimJSONParser]
    renderer_classes = [AsciiJSONRenderer, BrowsableAPIRenderer]
    model: type[Model] = AllowedOrigin

    def get_authenticators(self) -> list[BaseAuthentication]:
        return authenticators()  # read per request: follows the host's REST_FRAMEWORK

    def required_permissions(self, request: Request) -> list[str]:
        return default_permissions(self.model, request.method or "")

    @property
    def actor(self) -> Actor:
        return Actor("api", self.request.user)

    def handle_exception(self, exc: Exception) -> Response:
        # The one place a refused input becomes an HTTP answer: services, explain and the
        # Cloud Gate reader raise cors_gate's exceptions, never DRF's.
        return super().handle_exception(as_api_error(exc))


class OriginViewSet(CorsGateAPIView, viewsets.ModelViewSet[AllowedOrigin]):
    """Allowed-origin rules: list (?enabled=, ?search=), create, retrieve, update, delete."""

    serializer_class = OriginSerializer
    pagination_class = Pagination
    model = AllowedOrigin

    def get_queryset(self) -> QuerySet[AllowedOrigin]:
        rules = AllowedOrigin.objects.select_related("created_by", "updated_by").order_by("pattern")
        enabled = query_flag(self.request, "enabled")
        if enabled is not None:
            rules = rules.filter(enabled=enabled)
        search = query_search(self.request)
        if search:
            rules = rules.filter(Q(pattern__icontains=search) | Q(note__icontains=search))
        return rules

    def _fresh(self, pk: int) -> AllowedOrigin:
        return AllowedOrigin.objects.select_related("created_by", "updated_by").get(pk=pk)

    def perform_create(self, serializer: BaseSerializer[AllowedOrigin]) -> None:
        data = serializer.validated_data
        outcome = add_origin(
            data["pattern"],
            note=data.get("note"),
            paths=data.get("paths"),
            expires_at=data.get("expires_at"),
            enabled=data.get("enabled"),
            csrf_trusted=data.get("csrf_trusted"),
            actor=self.actor,
        )
        assert outcome.origin is not None
        serializer.instance = self._fresh(outcome.origin.pk)

    def perform_update(self, serializer: BaseSerializer[AllowedOrigin]) -> None:
        instance = serializer.instance
        assert instance is not None
        change_origin(instance.pk, dict(serializer.validated_data), actor=self.actor)
        serializer.instance = self._fresh(instance.pk)

    def perform_destroy(self, instance: AllowedOrigin) -> None:
        remove_origins([instance.pattern], actor=self.actor)


class PolicyView(CorsGateAPIView):
    """GET the policy (?as=cloud-gate for Cloud Gate's payload); PATCH its fields, or apply
    a Cloud Gate settings PatchOp (policy values and the whole allow-list, all or nothing)."""

    model = CorsPolicy

    def required_permissions(self, request: Request) -> list[str]:
        needed = default_permissions(CorsPolicy, request.method or "")
        if request.method == "GET" and request.query_params.get("as") == "cloud-gate":
            needed.append(perm(AllowedOrigin, "view"))
        return needed if request.method in ("GET", "HEAD", "OPTIONS", "PATCH") else []

    def get(self, request: Request) -> Response:
        shape = request.query_params.get("as")
        if shape == "cloud-gate":
            from cors_gate.transfer import export_cloud_gate

            payload, _warnings = export_cloud_gate()  # the command prints the warnings
            return Response(payload)
        if shape:
            raise ValidationError(
                {"as": [gettext("%(value)s is not cloud-gate") % {"value": repr(shape[:40])}]}
            )
        return Response(PolicySerializer(CorsPolicy.load()).data)

    def patch(self, request: Request) -> Response:
        if looks_like_patch_op(request.data):
            return self._cloud_gate(request)
        serializer = PolicySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        result = update_policy(serializer.validated_data, actor=self.actor)
        body = dict(PolicySerializer(result.policy).data)
        body.update(changed=result.changed, warnings=result.warnings)
        return Response(body)

    def _cloud_gate(self, request: Request) -> Response:
        from cors_gate.transfer import apply_cloud_gate, read_cloud_gate

        payload = read_cloud_gate(request.data, decoded=True)
        if payload.allowed_origins is not None and not request.user.has_perms(
            OPERATIONS["replace_origins"]
        ):
            raise PermissionDenied(
                gettext(
                    "cloudGateCorsAllowedOrigins replaces the allow-list: that needs the add, "
                    "change and delete permissions on allowed origins"
                )
            )
        plan = apply_cloud_gate(payload, actor=self.actor)
        body: dict[str, Any] = dict(PolicySerializer(CorsPolicy.load()).data)
        body.update(changed=plan.policy, origins=plan.as_dict()["origins"])
        return Response(body)


class ExplainView(CorsGateAPIView):
    """POST the explain inputs; answers the explain feature's JSON (policy mode)."""

    def required_permissions(self, request: Request) -> list[str]:
        if request.method not in ("POST", "OPTIONS"):
            return []
        return [perm(AllowedOrigin, "view"), perm(CorsPolicy, "view")]

    def post(self, request: Request) -> Response:
        from cors_gate.explain import explain

        serializer = ExplainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = explain(
            data["origin"],
            data["method"],
            data["headers"],
            credentials=data["credentials"],
            path=data["path"],
        )
        return Response(result.as_dict())


class ObservedOriginViewSet(CorsGateAPIView, viewsets.ReadOnlyModelViewSet[ObservedOrigin]):
    """What the middleware saw (?would_allow=false for the would-be-blocked, ?search=), and
    POST allow/ {"ids": [...]} to turn observed origins into rules."""

    serializer_class = ObservedOriginSerializer
    pagination_class = Pagination
    model = ObservedOrigin

    def required_permissions(self, request: Request) -> list[str]:
        if self.action == "allow":
            return list(OPERATIONS["allow_observed"])
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return []
        return default_permissions(ObservedOrigin, request.method or "")

    def get_queryset(self) -> QuerySet[ObservedOrigin]:
        rows = ObservedOrigin.objects.order_by("-last_seen", "id")
        would_allow = query_flag(self.request, "would_allow")
        if would_allow is not None:
            rows = rows.filter(would_allow=would_allow)
        search = query_search(self.request)
        if search:
            rows = rows.filter(origin__icontains=search)
        return rows

    @action(detail=False, methods=["post"])
    def allow(self, request: Request) -> Response:
        serializer = AllowObservedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids: list[int] = list(dict.fromkeys(serializer.validated_data["ids"]))
        found = dict(ObservedOrigin.objects.filter(pk__in=ids).values_list("pk", "origin"))
        for pk in ids:
            if pk not in found:
                raise ValidationError(
                    {"ids": [gettext("no observed origin has id %(id)s") % {"id": pk}]}
                )
            if observed_origin_refusal(found[pk]) is not None:
                raise ValidationError(
                    {
                        "ids": [
                            gettext(
                                "%(origin)s (id %(id)s) is not an origin as a browser sends it, "
                                "so it cannot become a rule"
                            )
                            % {"origin": repr(found[pk][:80]), "id": pk}
                        ]
                    }
                )
        patterns = [found[pk] for pk in ids]  # admitted values are already canonical
        outcomes = allow_observed(
            patterns, note=serializer.validated_data["note"], actor=self.actor
        )
        return Response(
            {
                "results": [
                    {"pattern": outcome.pattern, "action": outcome.action} for outcome in outcomes
                ]
            },
            status=status.HTTP_200_OK,
        )
