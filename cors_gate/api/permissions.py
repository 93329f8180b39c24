"""Who may use the API: active staff users holding the Django model permission for the action.

The permission follows the HTTP method (GET view, POST add, PUT/PATCH change, DELETE delete)
on the view's model, unless the view names its own with `required_permissions(request)`.
Superusers hold every permission, as in the admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def perm(model: type[Model], action: str) -> str:
    """'app_label.action_modelname', as Django's ModelBackend names it."""
    meta = model._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def default_permissions(model: type[Model], method: str) -> list[str]:
    action = METHOD_ACTIONS.get(method.upper())
    return [perm(model, action)] if action else []


class StaffWithModelPermissions(BasePermission):
    message = "cors_gate's API needs a staff account with the matching model permission."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if not hasattr(view, (request.method or "").lower()):
            return True  # no handler: let DRF answer 405 Method Not Allowed
        required = view.required_permissions(request)
        if not required:
            return False  # an unknown method: refuse rather than guess
        return bool(user.has_perms(required))
