"""URLs of the REST API, version 1.

The Open edX plugin mounts this module at ^api/cors_gate/ (see apps.py); elsewhere include it
with one line: ``path("api/cors_gate/", include("cors_gate.api.urls"))``.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from cors_gate.api.views import ExplainView, ObservedOriginViewSet, OriginViewSet, PolicyView

app_name = "cors_gate"

router = SimpleRouter()
router.register("v1/origins", OriginViewSet, basename="origin")
router.register("v1/observed", ObservedOriginViewSet, basename="observed")

urlpatterns = [
    path("v1/policy/", PolicyView.as_view(), name="policy"),
    path("v1/explain/", ExplainView.as_view(), name="explain"),
    *router.urls,
]
