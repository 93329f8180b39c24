"""The admin page "Explain a request": a form for explain()'s inputs and a readable result.

`explain_urls(admin_site)` returns the URL pattern cors_gate's admin mounts next to the
allowed-origins change list (name ``cors_gate_explain``). Staff only (the admin site's own
login and is_staff check) and, in addition, the permission to view allowed origins.
Live-URL mode makes this server send HTTP requests to any address the operator types, so
it is offered to superusers only.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, gettext_lazy

from cors_gate.explain import ExplainError, Explanation, explain
from cors_gate.explain.render import ENGINE_LABELS, engines_differ, render_text

VIEW_PERMISSION = "cors_gate.view_allowedorigin"
MODES = (
    ("policy", gettext_lazy("Policy only (no HTTP)")),
    ("in-process", gettext_lazy("Through this site's middleware and views (in-process)")),
    ("url", gettext_lazy("Against a live URL (real HTTP, redirects followed)")),
)
# explain()'s one-line errors start with the field they are about.
_ERROR_FIELDS = {
    "origin": "origin",
    "method": "method",
    "header": "headers",
    "credentials": "credentials",
    "path": "path",
    "url": "url",
}


class ExplainForm(forms.Form):
    origin = forms.CharField(
        label=gettext_lazy("Origin"),
        max_length=512,
        help_text=gettext_lazy("The page's origin, e.g. https://apps.example.com, or null."),
    )
    method = forms.CharField(label=gettext_lazy("Method"), max_length=32, initial="GET")
    headers = forms.CharField(
        label=gettext_lazy("Headers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy("Request headers the page sets, one 'Name: value' per line."),
    )
    credentials = forms.ChoiceField(
        label=gettext_lazy("Credentials"),
        # Translators: "include" and "omit" are the Fetch standard's credentials modes.
        choices=(("include", gettext_lazy("include (cookies)")), ("omit", gettext_lazy("omit"))),
        initial="include",
    )
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=MODES, initial="policy")
    path = forms.CharField(label=gettext_lazy("Path"), required=False, max_length=2000, initial="/")
    url = forms.CharField(
        label=gettext_lazy("URL"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Only for live-URL mode."),
    )

    def __init__(self, *args: Any, allow_url: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_url:
            mode_field = self.fields["mode"]
            assert isinstance(mode_field, forms.ChoiceField)
            mode_field.choices = MODES[:2]
            del self.fields["url"]

    def header_lines(self) -> list[str]:
        text: str = self.cleaned_data.get("headers") or ""
        return [line for line in (raw.strip() for raw in text.splitlines()) if line]

    def attach_error(self, error: ExplainError) -> None:
        text = str(error).splitlines()[0]
        prefix = text.split(":", 1)[0].split(" ", 1)[0]
        field = _ERROR_FIELDS.get(prefix)
        self.add_error(field if field in self.fields else None, text)


def _run(form: ExplainForm) -> Explanation | None:
    data = form.cleaned_data
    mode = data["mode"]
    url = (data.get("url") or "").strip()
    if mode == "url" and not url:
        form.add_error("url", gettext("url: give the URL to call in live-URL mode"))
        return None
    try:
        return explain(
            data["origin"].strip(),
            data["method"].strip(),
            form.header_lines(),
            credentials=data["credentials"],
            path=None if mode == "url" else (data["path"].strip() or "/"),
            url=url if mode == "url" else None,
            in_process=mode == "in-process",
        )
    except ExplainError as exc:
        form.attach_error(exc)
        return None


def explain_view(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    allow_url = bool(getattr(request.user, "is_superuser", False))
    explanation: Explanation | None = None
    if request.method == "POST":
        form = ExplainForm(request.POST, allow_url=allow_url)
        if form.is_valid():
            explanation = _run(form)
    else:
        # Prefilled from the query string: the doctor's matrix links each cell here.
        form = ExplainForm(initial=request.GET.dict(), allow_url=allow_url)
    report = explanation.as_dict() if explanation else None
    engines = explanation.engines if explanation else {}
    context = {
        **admin_site.each_context(request),
        "title": gettext("Explain a request"),
        "form": form,
        "report": report,
        "engines_differ": engines_differ(engines),
        "engine_rows": [
            {"engine": name, "label": ENGINE_LABELS.get(name, name), "verdict": verdict}
            for name, verdict in engines.items()
        ],
        "report_text": render_text(explanation) if explanation else "",
        "report_json": json.dumps(report, indent=2) if report else "",
    }
    return TemplateResponse(request, "cors_gate/explain.html", context)


def explain_urls(admin_site: admin.AdminSite) -> list[URLPattern]:
    """The explain page, wrapped in the admin site's login and staff check."""

    def view(request: HttpRequest) -> HttpResponse:
        return explain_view(request, admin_site)

    return [path("explain/", admin_site.admin_view(view), name="cors_gate_explain")]
