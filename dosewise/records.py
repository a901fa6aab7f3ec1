"""What every clinical record shares: mistakes are marked, never deleted."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from dosewise.accounts.models import Membership
from dosewise.audit.services import record

ENTERED_IN_ERROR = "entered-in-error"

RecordT = TypeVar("RecordT", bound=models.Model)


def mark_entered_in_error(actor: Membership, item: RecordT, *, reason: str, noun: str) -> RecordT:
    """Mark a patient's record (encounter, diagnosis, allergy) entered in error, with a reason.

    The row stays in the chart, marked, so what was seen and done with it remains explainable.
    Call inside the service's transaction; access is the service's to check.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [f"Say why this {noun} was entered in error."]})
    model: Any = type(item)
    locked = model.objects.select_for_update().select_related("patient").get(pk=item.pk)
    if locked.status == ENTERED_IN_ERROR:
        raise ValidationError({"status": [f"This {noun} is already marked entered in error."]})
    locked.status = ENTERED_IN_ERROR
    locked.entered_in_error_reason = reason
    fields = ["status", "entered_in_error_reason"]
    if any(field.name == "updated_at" for field in model._meta.concrete_fields):
        fields.append("updated_at")
    locked.save(update_fields=fields)
    record(
        f"{noun}.entered-in-error",
        actor=actor.user,
        organization=actor.organization,
        patient=locked.patient,
        target=locked,
        detail={"reason": reason},
    )
    return locked  # type: ignore[no-any-return]
