"""Any saved or deleted rule or policy bumps the revision, whoever made the change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cors_gate.models import AllowedOrigin, CorsPolicy
from cors_gate.policy import bump_revision


@receiver(post_save, sender=AllowedOrigin, dispatch_uid="cors_gate.origin.saved")
@receiver(post_delete, sender=AllowedOrigin, dispatch_uid="cors_gate.origin.deleted")
@receiver(post_save, sender=CorsPolicy, dispatch_uid="cors_gate.policy.saved")
def rules_changed(sender: type, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata: the fixture's own revision stands until the next change
        return
    bump_revision()
