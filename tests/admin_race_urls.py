"""An admin site where another operator's change lands between the form's checks and the
save: the save of an any-origin rule runs just after credentials were turned on."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path

from cors_gate.admin import AllowedOriginAdmin
from cors_gate.models import AllowedOrigin
from cors_gate.services import Actor, update_policy


class RacingAllowedOriginAdmin(AllowedOriginAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        update_policy({"allow_credentials": True}, actor=Actor("shell"))  # the other operator
        super().save_model(request, obj, form, change)


site = admin.AdminSite(name="race")
site.register(AllowedOrigin, RacingAllowedOriginAdmin)

urlpatterns = [path("race/", site.urls)]
