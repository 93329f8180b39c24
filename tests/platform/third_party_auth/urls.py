"""The LMS mounts social_django's URLs under /auth/ (the platform's third_party_auth/urls.py)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("auth/", include("social_django.urls", namespace="social")),
]
