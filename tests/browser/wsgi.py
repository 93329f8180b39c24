"""WSGI entry point for gunicorn in the multi-process scenario (admin static files too)."""

from __future__ import annotations

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

application = StaticFilesHandler(get_wsgi_application())
