"""The Django admin for the allow-list, the policy, observed origins and the change record.

Every write goes through cors_gate.services with the signed-in user as the actor, so admin
changes are validated, bump the policy revision and are recorded like any other channel.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from cors_gate.models import (
    AllowedOrigin,
    ChangeRecord,
    CorsPolicy,
    ObservedOrigin,
    clean_names,
    clean_paths,
    safe_text,
)
from cors_gate.services import (
    ORIGIN_FIELDS,
    POLICY_FIELDS,
    Actor,
    InvalidInput,
    allow_observed,
    change_origin,
    observed_origin_refusal,
    parse_expiry,
    permitted,
    pinned_entries,
    remove_origins,
    set_enabled_ids,
    update_policy,
    upsert_origins,
)

LIST_FIELDS = ("exposed_headers", "allowed_methods", "allowed_headers")


def _actor(request: HttpRequest) -> Actor:
    return Actor("admin", request.user)


def _comma_text(values: Any) -> str:
    return ", ".join(values) if isinstance(values, list | tuple) else str(values or "")


# --- allowed origins ---------------------------------------------------------------------


def admin_page_url(admin_site: admin.AdminSite, name: str) -> str | None:
    """The URL of one of cors_gate's extra admin pages on this admin site, or None."""
    try:
        return reverse(f"{admin_site.name}:{name}")
    except NoReverseMatch:  # this site's URLs are not mounted under its own name
        return None


class AllowedOriginForm(forms.ModelForm):
    paths = forms.CharField(
        required=False,
        help_text=_(
            "Comma-separated URL path prefixes this origin may reach, e.g. /api/, "
            "/oauth2/. Empty: every CORS-handled path."
        ),
    )

    class Meta:
        model = AllowedOrigin
        fields = ORIGIN_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["paths"] = safe_text(_comma_text(self.instance.paths))

    # The fields' own checks are the model fields' validators (run by full_clean) and the
    # rules beyond one field are services.check_origin (run by the model's clean()); the
    # form only turns its comma-separated text into the list the model field holds.

    def clean_paths(self) -> list[str]:
        return clean_paths(self.cleaned_data.get("paths", ""))

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data.get("expires_at")
        if value is None or value == self.instance.expires_at:
            return value  # an unchanged (even past) expiry does not block editing the rule
        try:
            return parse_expiry(value)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("expired", gettext("expired")),
            ("expiring", gettext("expires later")),
            ("never", gettext("never expires")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "expiring":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "never":
            return queryset.filter(expires_at__isnull=True)
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("wildcard", gettext("wildcard")), ("exact", gettext("exact"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Stored patterns are normalised: a wildcard (protocol, label or port) always has '*'.
        if self.value() == "wildcard":
            return queryset.filter(pattern__contains="*")
        if self.value() == "exact":
            return queryset.exclude(pattern__contains="*")
        return queryset


class RefusalsAsMessages(admin.ModelAdmin):
    """A refusal from services during a save (say, another change landed between the form's
    checks and the save) rolls the admin's transaction back and comes back as one line on the
    form's page, never as a 500."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InvalidInput as exc:
            self.message_user(
                request, gettext("Nothing was saved: %(error)s") % {"error": exc}, messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except InvalidInput as exc:
            self.message_user(
                request, gettext("Nothing was deleted: %(error)s") % {"error": exc}, messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


@admin.register(AllowedOrigin)
class AllowedOriginAdmin(RefusalsAsMessages):
    form = AllowedOriginForm
    list_display = (
        "pattern",
        "enabled",
        "paths_display",
        "expiry_display",
        "note",
        "csrf_trusted",
        "updated_at",
        "updated_by",
    )
    list_display_links = ("pattern",)
    list_filter = ("enabled", ExpiryFilter, KindFilter, "csrf_trusted")
    search_fields = ("pattern", "note")
    list_select_related = ("updated_by",)
    readonly_fields = ("created_at", "created_by", "updated_at", "updated_by")
    actions = ("enable_selected", "disable_selected")
    change_list_template = "admin/cors_gate/allowedorigin/change_list.html"

    @admin.display(description=_("paths"))
    def paths_display(self, obj: AllowedOrigin) -> str:
        return safe_text(_comma_text(obj.paths)) or gettext("every path")

    @admin.display(description=_("expires"), ordering="expires_at")
    def expiry_display(self, obj: AllowedOrigin) -> str:
        if obj.expires_at is None:
            return gettext("never")
        stamp = f"{obj.expires_at:%Y-%m-%d %H:%M %Z}"
        return gettext("expired %(stamp)s") % {"stamp": stamp} if obj.is_expired else stamp

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        main = (None, {"fields": ORIGIN_FIELDS})
        if obj is None:
            return [main]
        return [main, (_("History"), {"fields": self.readonly_fields})]

    # Writes: through services, so they are validated, recorded and bump the revision.

    def save_model(self, request: HttpRequest, obj: AllowedOrigin, form: Any, change: bool) -> None:
        actor = _actor(request)
        typed = form.data.get("pattern", "") if hasattr(form, "data") else ""
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in ORIGIN_FIELDS}
            outcome = change_origin(obj.pk, changes, actor=actor)
        else:
            outcome = upsert_origins(
                [obj.pattern],
                note=obj.note,
                paths=obj.paths,
                expires_at=obj.expires_at or "",
                enabled=obj.enabled,
                csrf_trusted=obj.csrf_trusted,
                actor=actor,
            )[0]
        saved = outcome.origin
        if saved is not None:
            obj.pk = saved.pk
            obj.refresh_from_db()
        if typed and typed != obj.pattern:
            self.message_user(
                request,
                gettext("%(typed)s was stored in its normalised form %(pattern)s.")
                % {"typed": repr(typed), "pattern": repr(obj.pattern)},
                messages.INFO,
            )

    def delete_model(self, request: HttpRequest, obj: AllowedOrigin) -> None:
        remove_origins([obj.pattern], actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        patterns = list(queryset.values_list("pattern", flat=True))
        if patterns:
            remove_origins(patterns, actor=_actor(request))

    def _set_enabled(self, request: HttpRequest, queryset: QuerySet[Any], enabled: bool) -> None:
        try:
            outcomes = set_enabled_ids(
                list(queryset.values_list("pk", flat=True)), enabled, actor=_actor(request)
            )
        except InvalidInput as exc:
            self.message_user(
                request, gettext("Nothing changed: %(error)s") % {"error": exc}, messages.ERROR
            )
            return
        done = [outcome.pattern for outcome in outcomes if outcome.action != "unchanged"]
        same = len(outcomes) - len(done)
        counts = {"done": len(done), "same": same}
        if enabled:
            text = gettext("%(done)d rule(s) enabled") % counts
            if same:
                text += gettext("; %(same)d already enabled") % counts
        else:
            text = gettext("%(done)d rule(s) disabled") % counts
            if same:
                text += gettext("; %(same)d already disabled") % counts
        self.message_user(request, text + ".", messages.SUCCESS)

    @admin.action(description=_("Enable selected allowed origins"), permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_enabled(request, queryset, True)

    @admin.action(description=_("Disable selected allowed origins"), permissions=["change"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_enabled(request, queryset, False)

    # The change list: settings-pinned entries (read-only) and the explain link.

    def get_urls(self) -> list[URLPattern]:
        from cors_gate.doctor.admin_views import doctor_urls
        from cors_gate.explain.admin_views import explain_urls

        return explain_urls(self.admin_site) + doctor_urls(self.admin_site) + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "cors_gate_pinned": pinned_entries(),
            "cors_gate_explain_url": admin_page_url(self.admin_site, "cors_gate_explain"),
            "cors_gate_doctor_url": admin_page_url(self.admin_site, "cors_gate_doctor"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


# --- the policy --------------------------------------------------------------------------


class CorsPolicyForm(forms.ModelForm):
    exposed_headers = forms.CharField(
        required=False,
        help_text=_("Comma-separated response headers scripts may read, when present."),
    )
    allowed_methods = forms.CharField(
        required=False,
        help_text=_("Comma-separated methods for preflights. Empty: mirror the requested method."),
    )
    allowed_headers = forms.CharField(
        required=False,
        help_text=_("Comma-separated request headers for preflights. Empty: mirror the request."),
    )

    class Meta:
        model = CorsPolicy
        fields = POLICY_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored lists, kept apart: validation copies the submitted lists onto the instance.
        self.stored_lists = {n: list(getattr(self.instance, n) or []) for n in LIST_FIELDS}
        for name in LIST_FIELDS:
            self.initial[name] = _comma_text(self.stored_lists[name])
        self.fields["max_age"].help_text = format_lazy(
            "{} {}",
            self.fields["max_age"].help_text,
            _("Above 7200 is accepted, but Chromium caps preflight caching at 7200 s."),
        )
        # Django's own message quotes the submitted value, line breaks and all.
        self.fields["mode"].error_messages["invalid_choice"] = gettext_lazy(
            "must be one of enforce, report-only, off"
        )

    def _list(self, name: str, kind: str = "header name") -> list[str]:
        return clean_names(self.cleaned_data.get(name, ""), kind=kind)

    def clean_exposed_headers(self) -> list[str]:
        return self._list("exposed_headers")

    def clean_allowed_headers(self) -> list[str]:
        return self._list("allowed_headers")

    def clean_allowed_methods(self) -> list[str]:
        return self._list("allowed_methods", kind="method")

    @property
    def changed_data(self) -> list[str]:
        # Compare list fields as lists, not as their comma-separated spelling.
        changed = []
        cleaned = getattr(self, "cleaned_data", {})
        for name in super().changed_data:
            if name in LIST_FIELDS and cleaned.get(name) == self.stored_lists[name]:
                continue
            changed.append(name)
        return changed


@admin.register(CorsPolicy)
class CorsPolicyAdmin(RefusalsAsMessages):
    form = CorsPolicyForm
    readonly_fields = ("updated_at", "updated_by", "revision")
    fieldsets = (
        (None, {"fields": ("mode",)}),
        (
            _("Responses to allowed origins"),
            {
                "fields": (
                    "allow_credentials",
                    "allow_null_origin",
                    "exposed_headers",
                    "allowed_methods",
                    "allowed_headers",
                    "max_age",
                    "allow_private_network",
                )
            },
        ),
        (_("Scope"), {"fields": ("urls_regex",)}),
        (_("History"), {"fields": ("updated_at", "updated_by", "revision")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not CorsPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One policy: the list is its page.
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        policy = CorsPolicy.load()
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[policy.pk],
            )
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET" and str(object_id).isdigit():
            policy = CorsPolicy.objects.filter(pk=int(object_id)).first()
            warning = policy.max_age_warning() if policy is not None else None
            if warning:
                self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: CorsPolicy, form: Any, change: bool) -> None:
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in POLICY_FIELDS}
        result = update_policy(changes, actor=_actor(request))
        obj.pk = result.policy.pk
        obj.refresh_from_db()
        for warning in result.warnings:
            self.message_user(request, warning, messages.WARNING)


# --- observed origins ---------------------------------------------------------------------


class WouldBeBlockedFilter(admin.SimpleListFilter):
    title = _("current rules")
    parameter_name = "blocked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("would be blocked")), ("no", gettext("would be allowed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(would_allow=False)
        if self.value() == "no":
            return queryset.filter(would_allow=True)
        return queryset


@admin.register(ObservedOrigin)
class ObservedOriginAdmin(admin.ModelAdmin):
    list_display = (
        "origin",
        "would_allow",
        "count",
        "first_seen",
        "last_seen",
        "last_path",
        "last_method",
    )
    list_filter = (WouldBeBlockedFilter,)
    search_fields = ("origin", "last_path")
    actions = ("allow_selected",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_allow_permission(self, request: HttpRequest) -> bool:
        # The same rule as the API's allow/ endpoint: it creates rules and enables disabled ones.
        return permitted(request.user, "allow_observed")

    @admin.action(description=_("Allow selected origins (create rules)"), permissions=["allow"])
    def allow_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        candidates: list[str] = []
        for origin in queryset.values_list("origin", flat=True):
            reason = observed_origin_refusal(origin)
            if reason is None:
                candidates.append(origin)
            else:
                self.message_user(
                    request,
                    gettext("Skipped %(origin)s: %(reason)s")
                    % {"origin": repr(origin[:120]), "reason": reason},
                    messages.WARNING,
                )
        if not candidates:
            return
        try:
            outcomes = allow_observed(
                candidates, note="allowed from observed origins", actor=_actor(request)
            )
        except InvalidInput as exc:
            self.message_user(
                request, gettext("Nothing changed: %(error)s") % {"error": exc}, messages.ERROR
            )
            return
        added = [outcome.pattern for outcome in outcomes if outcome.action == "add"]
        changed = [outcome.pattern for outcome in outcomes if outcome.action == "enable"]
        same = [outcome.pattern for outcome in outcomes if outcome.action == "unchanged"]
        parts = [gettext("%(count)d rule(s) created") % {"count": len(added)}]
        if changed:
            parts.append(gettext("%(count)d existing rule(s) enabled") % {"count": len(changed)})
        if same:
            parts.append(
                gettext("%(count)d already allowed by an enabled rule") % {"count": len(same)}
            )
        self.message_user(request, "; ".join(parts) + ".", messages.SUCCESS)


# --- the change record --------------------------------------------------------------------


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "channel", "action", "target", "object_repr", "detail")
    list_filter = ("channel", "action", "target")
    search_fields = ("object_repr",)
    list_select_related = ("user",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
