"""The admin page "Front-end doctor": the matrix as a coloured grid.

Rows are journey steps, columns are front ends; each cell is green (OK), amber (a warning)
or red (the DevTools error name) and links to the explain page prefilled with that request.
Staff with the "view allowed origin" permission; live mode (this server sends HTTP to the
base URL typed in) is offered to superusers only, as on the explain page.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cors_gate.doctor import DoctorError, run_doctor
from cors_gate.doctor.matrix import Matrix, explain_link
from cors_gate.doctor.render import labels, render_text

VIEW_PERMISSION = "cors_gate.view_allowedorigin"
MODES = (
    ("policy", _("Policy only (no HTTP)")),
    ("in-process", _("Through this site's middleware and views (in-process)")),
    ("live", _("Against the live site (real HTTP)")),
)


class DoctorForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=MODES, initial="policy", required=False)
    origins = forms.CharField(
        label=_("Extra front ends"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("One origin per line, optionally =KIND (authn, learning, mfe, other)."),
    )
    base_url = forms.CharField(
        label=_("Base URL"),
        required=False,
        max_length=2000,
        help_text=_("Live mode only: the site's root URL, e.g. https://lms.example.com."),
    )

    def __init__(self, *args: Any, allow_live: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_live:
            mode_field = self.fields["mode"]
            assert isinstance(mode_field, forms.ChoiceField)
            mode_field.choices = MODES[:2]
            del self.fields["base_url"]

    def origin_lines(self) -> list[str]:
        text: str = self.cleaned_data.get("origins") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def _explain_base(admin_site: admin.AdminSite) -> str | None:
    try:
        return reverse(f"{admin_site.name}:cors_gate_explain")
    except NoReverseMatch:
        return None


def _breakable(name: str) -> SafeString:
    """A DevTools name that wraps between its words (<wbr>), never inside one, and copies
    as the exact name (unlike a zero-width space)."""
    words = re.findall(r"[A-Z][a-z]*|[^A-Z]+", name) or [name]
    return mark_safe("<wbr>".join(escape(word) for word in words))  # noqa: S308 - escaped


def grid(matrix: Matrix, explain_base: str | None) -> dict[str, Any]:
    """The template's view of the matrix: header, rows of styled cells, problems."""
    names = labels(matrix)
    rows = []
    for step in matrix.steps:
        cells: list[dict[str, Any]] = []
        for front in matrix.frontends:
            cell = matrix.cell(front.origin, step)
            if cell is None:
                cells.append(
                    {"css": "not-run", "text": "-", "title": _("not in this front end's journeys")}
                )
                continue
            css = {"ok": "ok", "warning": "warning", "error": "error"}[cell.severity]
            title = " ".join(
                part
                for part in (
                    cell.message,
                    gettext("Fix: %(fix)s") % {"fix": cell.fix} if cell.fix else "",
                )
                if part
            )
            cells.append(
                {
                    "css": css,
                    "text": gettext("OK") if cell.ok else _breakable(cell.outcome),
                    "title": title,
                    "href": explain_link(explain_base, cell) if explain_base else None,
                    "where": cell.failing_url if not cell.ok else None,
                }
            )
        rows.append({"step": step, "cells": cells})
    problems = []
    for name, front in zip(names, matrix.frontends, strict=True):
        for step in matrix.steps:
            cell = matrix.cell(front.origin, step)
            if cell is not None and cell.severity != "ok":
                problems.append({"label": name, "front": front, "step": step, "cell": cell})
    return {
        "columns": list(zip(names, matrix.frontends, strict=True)),
        "rows": rows,
        "problems": problems,
        "counts": matrix.counts(),
    }


def doctor_view(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    allow_live = bool(getattr(request.user, "is_superuser", False))
    form = DoctorForm(request.GET or None, allow_live=allow_live)
    matrix: Matrix | None = None
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if not form.is_bound or data:
        mode = data.get("mode") or "policy"
        try:
            matrix = run_doctor(
                mode=mode,
                base_url=(data.get("base_url") or "").strip() or None,
                origins=form.origin_lines() if data else [],
            )
        except DoctorError as exc:
            text = str(exc).splitlines()[0]
            field = text.split(":", 1)[0].replace("-", "_")
            field = {"origin": "origins"}.get(field, field)
            form.add_error(field if field in form.fields else None, text)
    context = {
        **admin_site.each_context(request),
        "title": _("Front-end doctor"),
        "form": form,
        "matrix": matrix,
        "grid": grid(matrix, _explain_base(admin_site)) if matrix else None,
        "matrix_text": render_text(matrix) if matrix else "",
    }
    return TemplateResponse(request, "cors_gate/doctor.html", context)


def doctor_urls(admin_site: admin.AdminSite) -> list[URLPattern]:
    """The doctor page, wrapped in the admin site's login and staff check."""

    def view(request: HttpRequest) -> HttpResponse:
        return doctor_view(request, admin_site)

    return [path("doctor/", admin_site.admin_view(view), name="cors_gate_doctor")]
