"""Patient-facing access that needs no login: the waiting-room tablet link."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class KioskLink(models.Model):
    """A single-use link a clinician opens on a waiting-room tablet so one patient can fill the
    chosen rating scales themselves. It expires, reaches nothing else, and records the answers
    as the clinician who created it (answered by the patient, mode kiosk).

    Only a SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="kiosk_links"
    )
    # Instrument ids in the order the patient answers them, e.g. ["phq9", "gad7"].
    instruments = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_by_membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(used_at__lte=models.F("expires_at")),
                name="kiosk_link_used_before_it_expired",
            )
        ]

    def __str__(self) -> str:
        return f"Kiosk link {self.uuid} ({', '.join(self.instruments)})"

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new raw token and its stored hash."""
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)

    def is_open(self, now: dt.datetime) -> bool:
        return self.used_at is None and now < self.expires_at
