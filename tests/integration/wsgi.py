"""WSGI entry point gunicorn serves in the multi-process tests."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integration.settings_stack")
application = get_wsgi_application()
