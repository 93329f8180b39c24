"""The project's URLs plus the browser suite's test-only views under /tb/."""

from __future__ import annotations

from django.urls import path

from test_urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("tb/echo/", views.echo),
    path("tb/hand-cors/", views.hand_cors),
    path("tb/forbidden-options/", views.forbidden_options),
    path("tb/login_session/", views.login_session),
    path("tb/get-only/", views.get_only),
    path("tb/cached/", views.cached),
    path("tb/bounce/", views.bounce),
    path("tb/items/", views.Items.as_view()),
    path("tb/raw-redirect/", views.raw_redirect),
    path("tb/wildcard-cors/", views.wildcard_cors),
    path("tb/hand-allow-origin/", views.hand_allow_origin),
    *project_urlpatterns,
]
