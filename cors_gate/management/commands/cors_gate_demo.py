"""`manage.py cors_gate_demo`: example rules, a policy and an admin account for `make demo`.

Idempotent: re-running leaves the same rules, policy and account. It creates a superuser with
a published password, so it refuses to run on a site reachable by any non-loopback host name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from cors_gate.services import Actor, InvalidInput, update_policy, upsert_origins

USERNAME = "demo"
PASSWORD = "cors-gate-demo"  # printed on purpose: a loopback-only demo account
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1", "testserver"})
ACTOR = Actor("command")


def _expiry() -> datetime:
    # Thirty days from today at midnight UTC: the same value for every run on the same day.
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0)
    return today.replace(microsecond=0) + timedelta(days=30)


# (pattern, options for services.upsert_origins)
RULES: list[tuple[str, dict[str, Any]]] = [
    ("http://localhost:2000", {"note": "Learning MFE (local dev)", "paths": ""}),
    ("https://*.partner.example", {"note": "Partner front ends, any subdomain", "paths": ""}),
    ("http://localhost:1997", {"note": "Account MFE: APIs only", "paths": "/api/"}),
    ("https://old-partner.example", {"note": "Contract ended", "enabled": False}),
]
EXPIRING = ("https://conference.example", "Conference site, until the event is over")
POLICY = {
    "mode": "enforce",
    "allow_credentials": True,
    "allow_null_origin": False,
    "max_age": 600,
    "exposed_headers": ["X-Request-Id"],
    "allowed_methods": [],
    "allowed_headers": [],
}


class Command(BaseCommand):
    help = "Load example rules, a policy and a demo superuser (loopback-only sites)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="where runserver listens")

    def handle(self, *args: Any, **options: Any) -> None:
        exposed = [h for h in settings.ALLOWED_HOSTS if h not in LOOPBACK_HOSTS]
        if exposed:
            raise CommandError(
                f"ALLOWED_HOSTS: {exposed[0]!r} is not a loopback name; the demo creates an "
                "admin with a published password and only runs on loopback-only sites"
            )
        try:
            with transaction.atomic():
                for pattern, values in RULES:
                    upsert_origins([pattern], actor=ACTOR, **{"enabled": True, **values})
                upsert_origins(
                    [EXPIRING[0]], note=EXPIRING[1], expires_at=_expiry(), enabled=True, actor=ACTOR
                )
                update_policy(POLICY, actor=ACTOR)
                user = self._demo_user()
        except InvalidInput as exc:
            raise CommandError(str(exc)) from None
        base = f"http://127.0.0.1:{options['port']}"
        lines = [
            "cors_gate demo loaded: 5 example rules and an enforcing policy.",
            "",
            f"  Admin:     {base}/admin/",
            f"  Username:  {user.get_username()}",
            f"  Password:  {PASSWORD}",
            "",
            f"  Rules:     {base}/admin/cors_gate/allowedorigin/",
            f"  Policy:    {base}/admin/cors_gate/corspolicy/",
            "",
            "Try it (an allowed origin gets Access-Control-Allow-Origin, another gets none):",
            f"  curl -si -H 'Origin: http://localhost:2000' {base}/api/hello/",
            f"  curl -si -H 'Origin: https://evil.example' {base}/api/hello/",
            f"  curl -si -X OPTIONS -H 'Origin: https://app.partner.example' "
            f"-H 'Access-Control-Request-Method: PUT' {base}/api/hello/",
        ]
        self.stdout.write("\n".join(lines))

    def _demo_user(self) -> Any:
        model = get_user_model()
        user = model.objects.filter(**{model.USERNAME_FIELD: USERNAME}).first()
        if user is None:
            user = model.objects.create_superuser(USERNAME, "demo@example.com", PASSWORD)
        else:
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(PASSWORD)
            user.save()
        return user
