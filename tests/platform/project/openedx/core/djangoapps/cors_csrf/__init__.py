"""Stand-in for openedx-platform's cors_csrf app (installed in INSTALLED_APPS, as there)."""
