"""Write path of the measurement plan: save the defaults once, and change an item.

Each function checks access, validates, writes and records the audit event in one transaction
(`dosewise.access.write_service`). The schedule rules are `dosewise.domain.schedules`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.domain import schedules
from dosewise.domain.scales import UnknownInstrument, default_instruments
from dosewise.monitoring import plans
from dosewise.monitoring.models import MeasurementPlan, MeasurementPlanItem
from dosewise.patients.models import Patient


def _items_detail(items: list[MeasurementPlanItem]) -> list[dict[str, object]]:
    return [
        {
            "instrument": item.instrument,
            "interval_days": item.interval_days,
            "at_dose_change": item.at_dose_change,
        }
        for item in items
    ]


# Reading a chart is enough: the saved defaults are exactly what the record already implies,
# and the plan page shows them to any clinician who may read the chart.
@write_service(Need.CHART)
def ensure_default_plan(actor: Membership, patient: Patient) -> MeasurementPlan:
    """The patient's plan; on first use, created from the defaults of their active diagnoses
    and current medications (audited as `measurement_plan.created`)."""
    plan = MeasurementPlan.objects.select_for_update().filter(patient=patient).first()
    if plan is not None:
        return plan
    facts = plans.facts_for([patient.pk])[patient.pk]
    plan = MeasurementPlan.objects.create(
        organization=patient.organization, patient=patient, created_by=actor.user
    )
    items = MeasurementPlanItem.objects.bulk_create(
        MeasurementPlanItem(
            plan=plan,
            instrument=item.instrument,
            interval_days=item.interval_days,
            at_dose_change=item.at_dose_change,
            reason=item.reason,
            updated_by=actor.user,
        )
        for item in facts.plan
    )
    record(
        "measurement_plan.created",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=plan,
        detail={"items": _items_detail(items)},
    )
    return plan


def _check_item(instrument: str, interval_days: object) -> tuple[str, int]:
    errors: dict[str, list[str]] = {}
    try:
        known = default_instruments().get(instrument).id
    except UnknownInstrument:
        known = ""
        ids = ", ".join(default_instruments().ids)
        errors["instrument"] = [f"Unknown instrument {instrument!r}; choose one of {ids}."]
    try:
        interval = schedules.check_interval(interval_days)
    except ValueError as exc:
        interval = 0
        errors["interval_days"] = [str(exc).removeprefix("interval_days: ").capitalize() + "."]
    if errors:
        raise ValidationError(errors)
    return known, interval


@write_service(Need.CLINICAL_WRITE)
def set_plan_item(
    actor: Membership, patient: Patient, *, instrument: str, interval_days: int
) -> MeasurementPlanItem:
    """Measure `instrument` every `interval_days` days (7-365), adding it to the plan or
    changing its interval (care team). An item measured at dose changes keeps that trigger."""
    instrument, interval = _check_item(instrument, interval_days)
    plan = ensure_default_plan(actor, patient)
    item = MeasurementPlanItem.objects.filter(plan=plan, instrument=instrument).first()
    previous = item.interval_days if item else None
    if item is None:
        item = MeasurementPlanItem.objects.create(
            plan=plan,
            instrument=instrument,
            interval_days=interval,
            reason="Set by a clinician",
            updated_by=actor.user,
        )
    else:
        item.interval_days = interval
        item.updated_by = actor.user
        item.save(update_fields=["interval_days", "updated_by", "updated_at"])
    record(
        "measurement_plan.item_set",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=plan,
        detail={"instrument": instrument, "interval_days": interval, "previous": previous},
    )
    return item
