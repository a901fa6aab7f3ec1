"""JSON API of the measurement schedule: a patient's plan (read, set an item), the
organization's due list and the member's panel. Thin like the pages (`views.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router

from dosewise.access import Need, get_patient, require_clinical
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText
from dosewise.audit.services import record
from dosewise.monitoring import plans, services
from dosewise.monitoring.models import MeasurementPlan
from dosewise.monitoring.schemas import (
    DueOut,
    MeasurementPlanOut,
    PanelRowOut,
    PlanItemIn,
    PlanItemOut,
)
from dosewise.patients.models import Patient

router = Router(tags=["measurement schedule"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
INSTRUMENT_FILTER = Query("", max_length=32, description="Only this instrument (phq9, ...).")
DIAGNOSIS_FILTER = Query(
    "", max_length=8, description="Only patients with an active diagnosis code starting so (F33)."
)
SORT = Query("name", max_length=16, description="name, status or latest.")


def _patient_ref(patient: Patient) -> dict[str, Any]:
    return {"uuid": patient.uuid, "name": patient.full_name, "mrn": patient.mrn}


def _plan_out(patient: Patient, *, on: dt.date) -> dict[str, Any]:
    facts = plans.facts_for([patient.pk])[patient.pk]
    items = {item.instrument: item for item in facts.saved_items or []}
    return {
        "patient": patient.uuid,
        "created_at": MeasurementPlan.objects.values_list("created_at", flat=True).get(
            patient=patient
        ),
        "items": [
            {
                "instrument": due.instrument,
                "instrument_name": plans.instrument_name(due.instrument),
                "interval_days": items[due.instrument].interval_days,
                "at_dose_change": items[due.instrument].at_dose_change,
                "reason": items[due.instrument].reason,
                "last_administered_on": due.last_on,
                "next_due_on": due.due_on,
                "overdue_days": due.overdue_days,
                "is_due": due.is_due,
                "due_reason": due.reason,
            }
            for due in facts.schedule(on=on)
        ],
    }


@router.get("/patients/{patient_uuid}/measurement-plan", response=MeasurementPlanOut)
def get_measurement_plan(request: HttpRequest, patient_uuid: PatientId) -> dict[str, Any]:
    """The patient's measurement plan with each item's last administration and next due date.
    The first read saves the defaults of the patient's diagnoses and medications."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    services.ensure_default_plan(actor, patient)
    return _plan_out(patient, on=timezone.localdate())


@router.post("/patients/{patient_uuid}/measurement-plan/items", response=PlanItemOut)
def set_measurement_plan_item(
    request: HttpRequest, patient_uuid: PatientId, payload: PlanItemIn
) -> dict[str, Any]:
    """Measure `instrument` every `interval_days` days (7-365), adding it to the plan or
    changing its interval (care team)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    item = services.set_plan_item(
        actor, patient, instrument=payload.instrument, interval_days=payload.interval_days
    )
    plan = _plan_out(patient, on=timezone.localdate())
    result: dict[str, Any] = next(i for i in plan["items"] if i["instrument"] == item.instrument)
    return result


@router.get("/monitoring/due", response=list[DueOut])
def list_due_measures(request: HttpRequest) -> list[dict[str, Any]]:
    """Every due or overdue rating scale of the organization's patients, most overdue first
    (prescribers and nurses)."""
    actor = member(request)
    require_clinical(actor, what="monitoring:due")
    rows = plans.due_rows(actor, on=timezone.localdate())
    record(
        "measurement_due.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows)},
    )
    return [
        {
            "patient": _patient_ref(row.patient),
            "instrument": row.instrument,
            "instrument_name": row.instrument_name,
            "last_administered_on": row.last_on,
            "due_on": row.due_on,
            "overdue_days": row.overdue_days,
            "reason": row.reason,
        }
        for row in rows
    ]


@router.get("/monitoring/panel", response=list[PanelRowOut])
def list_panel(
    request: HttpRequest,
    instrument: QueryText = INSTRUMENT_FILTER,
    diagnosis: QueryText = DIAGNOSIS_FILTER,
    sort: QueryText = SORT,
) -> list[dict[str, Any]]:
    """The member's care-team patients, one row per instrument measured or planned: latest
    score, change from the episode baseline, status (prescribers and nurses)."""
    actor = member(request)
    require_clinical(actor, what="monitoring:panel")
    filters = plans.check_panel_filters(instrument, diagnosis, sort)
    rows = plans.panel_rows(actor, filters, on=timezone.localdate())
    record(
        "panel.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows), "instrument": instrument, "diagnosis": diagnosis,
                "sort": sort},
    )  # fmt: skip
    return [
        {
            "patient": _patient_ref(row.patient),
            "diagnosis_codes": list(row.diagnosis_codes),
            "instrument": row.instrument,
            "instrument_name": row.instrument_name,
            "latest_total": row.latest_total,
            "latest_on": row.latest_on,
            "baseline_total": row.baseline_total,
            "baseline_on": row.baseline_on,
            "change_points": row.change_points,
            "change_percent": row.change_percent,
            "status": row.status,
        }
        for row in rows
    ]
