"""Setup rows for the side-effect tests: medication courses written as the history test
builds them (a prescription and its regimen events), dated in days before today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def course(
    patient: Patient,
    author: Membership,
    drug: str,
    strength: int,
    *,
    start: int,
    end: int | None = None,
    replaces: Prescription | None = None,
) -> Prescription:
    """One tablet a day of `drug` from `start` days ago, stopped `end` days ago (or ongoing).
    With `replaces`, the start is a dose change that ends that prescription."""
    prescription = Prescription.objects.create(
        organization=patient.organization,
        patient=patient,
        drug=drug,
        form="tablet",
        strength_mg=Decimal(strength),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        sig="Take 1 tablet by mouth once daily.",
        start_on=days_ago(start),
        days_supply=30,
        prescriber=author.user,
    )
    first = "dose_changed" if replaces is not None else "started"
    for kind, day, reason in ((first, start, "titration"), ("discontinued", end, "side-effects")):
        if day is None:
            continue
        RegimenEvent.objects.create(
            organization=patient.organization,
            patient=patient,
            prescription=prescription,
            replaces=replaces if kind == first else None,
            kind=kind,
            effective_on=days_ago(day),
            reason=reason,
            daily_mg=prescription.daily_mg,
            author=author.user,
        )
    if replaces is not None:
        Prescription.objects.filter(pk=replaces.pk).update(status="stopped")
    if end is not None:
        Prescription.objects.filter(pk=prescription.pk).update(status="stopped")
        prescription.refresh_from_db()
    return prescription
