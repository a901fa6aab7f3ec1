"""JSON API for side-effect reports (issue 6).

Thin like the web views: parse, resolve through `dosewise.access`, call one service
(`dosewise.prescribing.side_effects`), render. Clinical endpoints: front desk and clinic admins
get 404; recording or withdrawing a report needs the patient's care team (403 otherwise). A
report that raises an urgent alert answers with it (`alert`: uuid, kind, reason).

No `from __future__ import annotations`: the schemas below are read by pydantic at run time.
"""

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.api_auth import member
from dosewise.api_schemas import InSchema, IsoDate, PersonOut, ReasonIn, one_of
from dosewise.audit.services import record
from dosewise.clinical.models import SafetyAlert
from dosewise.prescribing import side_effects
from dosewise.prescribing.side_effect_models import SideEffectReport

if TYPE_CHECKING:
    Symptom: TypeAlias = str
    Severity: TypeAlias = str
    Action: TypeAlias = str
    ReportedBy: TypeAlias = str
else:
    Symptom = one_of(SideEffectReport.Symptom)
    Severity = one_of(SideEffectReport.Severity)
    Action = one_of(SideEffectReport.Action)
    ReportedBy = one_of(SideEffectReport.ReportedBy)

router = Router(tags=["side effects"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
ReportId = Annotated[str, Path(description="The side-effect report's public id (UUID).")]


class SideEffectIn(InSchema):
    """A side effect the patient reports: what, how bad, since when, which medications are
    suspected, and what was done. Recording an action does not change the regimen."""

    symptom: Symptom
    other_text: str = Field(
        "",
        max_length=side_effects.OTHER_TEXT_MAX,
        description="Required when the symptom is `other`, refused otherwise.",
    )
    severity: Severity
    onset_on: IsoDate = Field(description="The day the symptom began; not in the future.")
    action: Action = Field(
        description="What was done. `dose_reduced` and `stopped` record a decision; the regimen "
        "changes through the prescription's change-dose and discontinue operations."
    )
    suspected: list[UUID] = Field(
        min_length=1,
        description="Public ids of the patient's prescriptions (or outside medications) "
        "suspected; each taken before the onset and stopped at most 90 days before it.",
    )
    reported_by: ReportedBy = SideEffectReport.ReportedBy.CLINICIAN
    notes: str = Field("", max_length=side_effects.NOTES_MAX)


class SuspectOut(Schema):
    uuid: UUID
    drug: str
    status: str


class AlertOut(Schema):
    """The urgent safety alert the report raised."""

    uuid: UUID
    kind: str = Field(description="`serious_rash` or `severe_side_effect`.")
    reason: str
    resolved: bool


class SideEffectOut(Schema):
    uuid: UUID
    patient: UUID
    symptom: str
    other_text: str
    severity: str
    onset_on: dt.date
    action: str
    suspected: list[SuspectOut]
    reported_by: str
    notes: str
    status: str = Field(description="`recorded` or `entered-in-error`.")
    entered_in_error_reason: str
    recorded_by: PersonOut
    created_at: dt.datetime
    alert: AlertOut | None = Field(description="The urgent alert it raised, if any.")


def _alert_out(alert: SafetyAlert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {
        "uuid": alert.uuid,
        "kind": alert.kind,
        "reason": alert.reason,
        "resolved": alert.resolved_at is not None,
    }


def _out(report: SideEffectReport) -> dict[str, Any]:
    """A report loaded with `reports_for` / `report_with_links` (no query here)."""
    return {
        "uuid": report.uuid,
        "patient": report.patient.uuid,
        "symptom": report.symptom,
        "other_text": report.other_text,
        "severity": report.severity,
        "onset_on": report.onset_on,
        "action": report.action,
        "suspected": [
            {"uuid": item.uuid, "drug": item.drug, "status": item.status}
            for item in report.suspected.all()
        ],
        "reported_by": report.reported_by,
        "notes": report.notes,
        "status": report.status,
        "entered_in_error_reason": report.entered_in_error_reason,
        "recorded_by": report.recorded_by,
        "created_at": report.created_at,
        "alert": _alert_out(side_effects.alert_of(report)),
    }


@router.post("/patients/{patient_uuid}/side-effects", response={201: SideEffectOut})
def record_side_effect(
    request: HttpRequest, patient_uuid: PatientId, payload: SideEffectIn
) -> Status:
    """Record a side effect (care team). A rash on a drug whose label carries a boxed warning
    for serious rash (lamotrigine, carbamazepine), or any severe report, raises an urgent alert,
    returned as `alert`. Invalid input is a 422 naming the field; nothing is written."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    report = side_effects.record_side_effect(actor, patient, **payload.model_dump())
    return Status(201, _out(side_effects.report_with_links(report)))


@router.get("/patients/{patient_uuid}/side-effects", response=list[SideEffectOut])
def list_side_effects(
    request: HttpRequest, patient_uuid: PatientId, include_entered_in_error: bool = False
) -> list[dict[str, Any]]:
    """The patient's side-effect reports, newest onset first."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    reports = side_effects.reports_for(patient, include_entered_in_error=include_entered_in_error)
    record(
        "side-effect.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(reports)},
    )
    for report in reports:
        report.patient = patient  # already loaded; spares a query per report
    return [_out(report) for report in reports]


@router.get("/side-effects/{report_uuid}", response=SideEffectOut)
def get_side_effect(request: HttpRequest, report_uuid: ReportId) -> dict[str, Any]:
    actor = member(request)
    report = get_patient_record(actor, SideEffectReport, report_uuid, Need.CHART)
    return _out(side_effects.report_with_links(report))


@router.post("/side-effects/{report_uuid}/entered-in-error", response=SideEffectOut)
def mark_side_effect_entered_in_error(
    request: HttpRequest, report_uuid: ReportId, payload: ReasonIn
) -> dict[str, Any]:
    """Withdraw a report recorded by mistake (care team); it stays, marked, and an open alert
    it raised closes with the reason."""
    actor = member(request)
    report = get_patient_record(actor, SideEffectReport, report_uuid, Need.CLINICAL_WRITE)
    marked = side_effects.mark_side_effect_entered_in_error(actor, report, reason=payload.reason)
    return _out(side_effects.report_with_links(marked))
