"""The audit trail: who did what to which record, when and from where."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One recorded action on the system: a chart read, a clinical write, a login.

    Append-only; each row carries the hash of the row before it, so any later edit or removal
    is detectable with `manage.py verify_audit`.
    """

    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The name typed at a failed login, or the actor's username at the time.
    actor_label = models.CharField(max_length=150, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=32)
    channel = models.CharField(max_length=8)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "occurred_at"]),
            models.Index(fields=["patient", "occurred_at"]),
            models.Index(fields=["action"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def chain_content(self) -> dict[str, object]:
        """The fields the hash covers, in a form that round-trips through the database."""
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "organization": self.organization_id,
            "patient": self.patient_id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "request_id": self.request_id,
            "channel": self.channel,
            "client_address": self.client_address,
            "detail": self.detail,
        }
