"""JSON API of regimen-driven lab monitoring: a patient's requirements and the organization's
labs due. Thin like the pages (`lab_views.py`): the rows come from `labs_due`.

No `from __future__ import annotations`: ninja reads the schema annotations at run time.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router, Schema
from pydantic import Field

from dosewise.access import Need, get_patient, require_clinical
from dosewise.api_auth import member
from dosewise.audit.services import record
from dosewise.monitoring import labs_due

router = Router(tags=["lab monitoring"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
LabStatus = Literal["overdue", "due", "upcoming", "done"]


class SatisfyingResultOut(Schema):
    test: str
    test_name: str
    effective_on: dt.date
    value: Decimal | None = Field(description="In `unit`; None for a coded result (`code`).")
    unit: str
    code: str = Field(description="A qualitative result's answer (e.g. negative).")
    shown: str


class LabRequirementOut(Schema):
    protocol: str = Field(description="Protocol id (lithium, clozapine, sga-metabolic, ...).")
    protocol_label: str
    drugs: list[str] = Field(description="The current drugs that call for it.")
    requirement: str = Field(description="Requirement id, e.g. lithium-level-after-change.")
    label: str
    tests: list[str] = Field(description="Observation tests that satisfy it (any one).")
    status: LabStatus
    due_from: dt.date | None = Field(description="When its window opens.")
    due_on: dt.date | None = Field(
        description="Overdue after this day; for a done row the next due day (None: nothing "
        "more in this course)."
    )
    overdue_days: int
    satisfied_by: SatisfyingResultOut | None
    reason: str
    condition: str = Field(description="Why a conditional requirement applies ('' = always).")
    note: str
    source: str = Field(description="Source id (docs/clinical-sources.md).")
    citation: str
    verification: Literal["verified", "unverified", "uncertain"]
    held_since: dt.date | None = Field(description="The drug is on hold since this day.")
    entry_url: str = Field(description="The lab entry form for this requirement.")


class PatientLabMonitoringOut(Schema):
    patient: UUID
    today: dt.date
    requirements: list[LabRequirementOut]


class LabPatientRef(Schema):
    uuid: UUID
    name: str
    mrn: str


class LabDueOut(LabRequirementOut):
    patient: LabPatientRef


def _requirement(row: labs_due.LabRequirementRow) -> dict[str, Any]:
    satisfied = row.satisfied_by
    return {
        "protocol": row.protocol,
        "protocol_label": row.protocol_label,
        "drugs": list(row.drugs),
        "requirement": row.requirement,
        "label": row.label,
        "tests": list(row.tests),
        "status": row.status,
        "due_from": row.due_from,
        "due_on": row.due_on,
        "overdue_days": row.overdue_days,
        "satisfied_by": None
        if satisfied is None
        else {
            "test": satisfied.test,
            "test_name": satisfied.test_name,
            "effective_on": satisfied.effective_on,
            "value": satisfied.value,
            "unit": satisfied.unit,
            "code": satisfied.code,
            "shown": satisfied.shown,
        },
        "reason": row.reason,
        "condition": row.condition,
        "note": row.note,
        "source": row.source,
        "citation": row.citation,
        "verification": row.verification,
        "held_since": row.held_since,
        "entry_url": row.link,
    }


@router.get("/patients/{patient_uuid}/monitoring/labs", response=PatientLabMonitoringOut)
def get_lab_monitoring(request: HttpRequest, patient_uuid: PatientId) -> dict[str, Any]:
    """The labs and measurements the patient's current medications call for, overdue first,
    each with its status, the result that satisfied it and its source (prescribers and nurses;
    an audited chart read)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    rows = labs_due.requirements_for([patient.pk], today=today)[patient.pk]
    return {
        "patient": patient.uuid,
        "today": today,
        "requirements": [_requirement(row) for row in rows],
    }


@router.get("/monitoring/labs-due", response=list[LabDueOut])
def list_labs_due(request: HttpRequest) -> list[dict[str, Any]]:
    """Every overdue or due lab and measurement of the organization's patients, overdue first
    (prescribers and nurses)."""
    actor = member(request)
    require_clinical(actor, what="monitoring:labs-due")
    rows = labs_due.due_rows(actor, today=timezone.localdate())
    record(
        "labs_due.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows)},
    )
    return [
        {
            "patient": {
                "uuid": row.patient.uuid,
                "name": row.patient.full_name,
                "mrn": row.patient.mrn,
            },
            **_requirement(row.requirement),
        }
        for row in rows
    ]
