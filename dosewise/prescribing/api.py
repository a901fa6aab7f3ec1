"""JSON API for prescriptions and the medication history.

Thin like the web views: parse, resolve through `dosewise.access`, call one service, render.
Every endpoint here is clinical: front desk and clinic admins get 404, as on the web. A request
the safety review blocks is a 409 `safety-block` problem with the findings; a change based on
a stale `expected_regimen_version` is a 409 `edit-conflict` (`dosewise.api_problems`).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.accounts.models import Membership
from dosewise.api_auth import member
from dosewise.api_problems import finding_dicts
from dosewise.audit.services import record
from dosewise.clinical.models import Diagnosis
from dosewise.domain.safety import Finding
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.prescribing.schemas import (
    EditConflictProblem,
    EnteredInErrorIn,
    OutsideMedicationIn,
    PrescriptionChangeIn,
    PrescriptionDetailOut,
    PrescriptionIn,
    PrescriptionListOut,
    PrescriptionStatus,
    RegimenHistoryOut,
    RenewIn,
    ResumeIn,
    ReviewIn,
    ReviewOut,
    SafetyBlockProblem,
    StatusChangeIn,
)

router = Router(tags=["prescribing"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
PrescriptionId = Annotated[str, Path(description="The prescription's public id (UUID).")]
STATUS_FILTER = Query(None, description="Only the prescriptions with this status.")
WITH_HISTORY = Query(
    False,
    description="Every prescription and outside medication ever recorded (stopped, completed "
    "and entered in error too), instead of the regimen today.",
)

# Fields of the order bodies that are not part of the order itself.
_NOT_ORDER = {
    "indication",
    "overrides",
    "acknowledged",
    "expected_regimen_version",
    "reason",
    "reason_text",
    "replacing",
    "ending",
}

# The documented 409 problems of each kind of write.
CHECKED = SafetyBlockProblem | EditConflictProblem
VERSIONED = EditConflictProblem


def _indication(patient: Patient, indication: UUID | None) -> Diagnosis | None:
    # Looked up within this patient only: another patient's diagnosis is never read, and the
    # answer is the same whether or not it exists.
    if indication is None:
        return None
    found = Diagnosis.objects.filter(patient=patient, uuid=indication).first()
    if found is None:
        raise ValidationError(
            {"indication": ["The indication must be one of this patient's active diagnoses."]}
        )
    return found


def _patients_prescription(patient: Patient, field: str, value: UUID | None) -> Prescription | None:
    if value is None:
        return None
    found = Prescription.objects.filter(patient=patient, uuid=value).first()
    if found is None:
        raise ValidationError({field: ["No such prescription of this patient."]})
    return found


def _order(payload: Any, indication: Diagnosis | None) -> services.OrderInput:
    fields = payload.model_dump(exclude=_NOT_ORDER)
    return services.OrderInput(
        **{**fields, "timings": tuple(fields["timings"])}, indication=indication
    )


def _decision(payload: Any) -> services.SafetyDecision:
    return services.SafetyDecision(
        reasons=dict(payload.overrides), acknowledged=frozenset(payload.acknowledged)
    )


def _still_needed(findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """What signing would need with no answers yet: the service's own rule, not a copy."""
    return services.still_needed(findings)


def _regimen_version(patient_id: int) -> int:
    version: int = Patient.objects.values_list("regimen_version", flat=True).get(pk=patient_id)
    return version


def _with_details(prescription: Prescription) -> Prescription:
    """Load what `PrescriptionDetailOut` shows, so the schema never queries."""
    prefetch_related_objects(
        [prescription],
        "patient",
        "prescriber",
        "pdmp_checked_by",
        "indication",
        "replaces",
        Prefetch(
            "events",
            queryset=RegimenEvent.objects.select_related("prescription", "replaces", "author"),
        ),
        Prefetch("overrides", queryset=SafetyOverride.objects.select_related("author")),
    )
    prescription.regimen_version = _regimen_version(prescription.patient_id)  # type: ignore[attr-defined]
    return prescription


def _record_for_write(actor: Membership, prescription_uuid: str) -> Prescription:
    return get_patient_record(actor, Prescription, prescription_uuid, Need.CLINICAL_WRITE)


# --- Reading ----------------------------------------------------------------------------------


@router.get("/patients/{patient_uuid}/prescriptions", response=PrescriptionListOut)
def list_prescriptions(
    request: HttpRequest,
    patient_uuid: PatientId,
    status: PrescriptionStatus | None = STATUS_FILTER,
    include_history: bool = WITH_HISTORY,
) -> dict[str, Any]:
    """The patient's medication list: the regimen today (derived from the medication history),
    or with `include_history` every prescription; by drug, then start date."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    if include_history:
        found = list(
            patient.prescriptions.select_related("prescriber", "indication").order_by(
                "drug", "start_on", "id"
            )
        )
    else:
        found = services.current_prescriptions(patient, on=timezone.localdate())
    if status is not None:
        found = [item for item in found if item.status == status]
    prefetch_related_objects(found, "patient", "pdmp_checked_by", "replaces")
    record(
        "prescription.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(found), "include_history": include_history},
    )
    return {"regimen_version": patient.regimen_version, "items": found}


@router.get("/patients/{patient_uuid}/regimen-events", response=RegimenHistoryOut)
def list_regimen_events(request: HttpRequest, patient_uuid: PatientId) -> dict[str, Any]:
    """The medication history: every start, dose change, switch, hold, resumption,
    discontinuation and renewal, by effective date."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    events = list(
        RegimenEvent.objects.filter(patient=patient)
        .select_related("prescription", "replaces", "author")
        .order_by("effective_on", "id")
    )
    record(
        "regimen-event.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(events)},
    )
    return {"regimen_version": patient.regimen_version, "items": events}


@router.get("/prescriptions/{prescription_uuid}", response=PrescriptionDetailOut)
def get_prescription(request: HttpRequest, prescription_uuid: PrescriptionId) -> Prescription:
    """A prescription with its sig, status, history and safety overrides."""
    actor = member(request)
    prescription = get_patient_record(actor, Prescription, prescription_uuid, Need.CHART)
    return _with_details(prescription)


@router.post("/patients/{patient_uuid}/prescriptions/review", response=ReviewOut)
def review_order(
    request: HttpRequest, patient_uuid: PatientId, payload: ReviewIn
) -> dict[str, Any]:
    """The safety findings for an order, most severe first, without signing anything."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    order = _order(payload, _indication(patient, payload.indication))
    findings = services.review(
        actor,
        patient,
        order,
        replacing=_patients_prescription(patient, "replacing", payload.replacing),
        ending=_patients_prescription(patient, "ending", payload.ending),
    )
    needs_reason, needs_acknowledgement = _still_needed(findings)
    return {
        "findings": finding_dicts(
            findings, needs_reason=needs_reason, needs_acknowledgement=needs_acknowledgement
        )
    }


# --- Writing ----------------------------------------------------------------------------------


@router.post(
    "/patients/{patient_uuid}/prescriptions",
    response={201: PrescriptionDetailOut, 409: CHECKED},
)
def prescribe(request: HttpRequest, patient_uuid: PatientId, payload: PrescriptionIn) -> Status:
    """Sign a new prescription (prescribers on the care team) after the safety review."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    prescription = services.prescribe(
        actor,
        patient,
        _order(payload, _indication(patient, payload.indication)),
        decision=_decision(payload),
        expected_regimen_version=payload.expected_regimen_version,
    )
    return Status(201, _with_details(prescription))


@router.post(
    "/patients/{patient_uuid}/outside-medications",
    response={201: PrescriptionDetailOut, 409: VERSIONED},
)
def record_outside_medication(
    request: HttpRequest, patient_uuid: PatientId, payload: OutsideMedicationIn
) -> Status:
    """Record a medication from another prescriber, over the counter or a supplement (care
    team); it counts in every later safety check."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    prescription = services.record_outside_medication(actor, patient, **payload.model_dump())
    return Status(201, _with_details(prescription))


@router.post(
    "/prescriptions/{prescription_uuid}/change-dose",
    response={201: PrescriptionDetailOut, 409: CHECKED},
)
def change_dose(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: PrescriptionChangeIn
) -> Status:
    """A new dose of the same drug: a new prescription replaces this one from `start_on`."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    new = services.change_dose(
        actor,
        prescription,
        _order(payload, _indication(prescription.patient, payload.indication)),
        reason=payload.reason,
        reason_text=payload.reason_text,
        decision=_decision(payload),
        expected_regimen_version=payload.expected_regimen_version,
    )
    return Status(201, _with_details(new))


@router.post(
    "/prescriptions/{prescription_uuid}/switch",
    response={201: PrescriptionDetailOut, 409: CHECKED},
)
def switch_prescription(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: PrescriptionChangeIn
) -> Status:
    """Replace this drug with another from `start_on`; washouts count from today."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    new = services.switch(
        actor,
        prescription,
        _order(payload, _indication(prescription.patient, payload.indication)),
        reason=payload.reason,
        reason_text=payload.reason_text,
        decision=_decision(payload),
        expected_regimen_version=payload.expected_regimen_version,
    )
    return Status(201, _with_details(new))


@router.post(
    "/prescriptions/{prescription_uuid}/hold", response={200: PrescriptionDetailOut, 409: VERSIONED}
)
def hold_prescription(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: StatusChangeIn
) -> Prescription:
    """Pause an active prescription; resuming it checks safety again."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    held = services.hold(actor, prescription, **payload.model_dump())
    return _with_details(held)


@router.post(
    "/prescriptions/{prescription_uuid}/resume", response={200: PrescriptionDetailOut, 409: CHECKED}
)
def resume_prescription(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: ResumeIn
) -> Prescription:
    """Resume a held prescription today, after a fresh safety review."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    resumed = services.resume(
        actor,
        prescription,
        reason=payload.reason,
        reason_text=payload.reason_text,
        decision=_decision(payload),
        expected_regimen_version=payload.expected_regimen_version,
    )
    return _with_details(resumed)


@router.post(
    "/prescriptions/{prescription_uuid}/discontinue",
    response={200: PrescriptionDetailOut, 409: VERSIONED},
)
def discontinue_prescription(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: StatusChangeIn
) -> Prescription:
    """Stop an active or held prescription; it keeps counting in washout checks."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    stopped = services.discontinue(actor, prescription, **payload.model_dump())
    return _with_details(stopped)


@router.post(
    "/prescriptions/{prescription_uuid}/renew", response={201: PrescriptionDetailOut, 409: CHECKED}
)
def renew_prescription(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: RenewIn
) -> Status:
    """A new prescription at the same dose, replacing this one (which completes)."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    renewed = services.renew(
        actor,
        prescription,
        start_on=payload.start_on,
        earliest_fill_on=payload.earliest_fill_on,
        refills=payload.refills,
        pdmp_checked_on=payload.pdmp_checked_on,
        decision=_decision(payload),
        expected_regimen_version=payload.expected_regimen_version,
    )
    return Status(201, _with_details(renewed))


@router.post(
    "/prescriptions/{prescription_uuid}/entered-in-error",
    response={200: PrescriptionDetailOut, 409: VERSIONED},
)
def mark_prescription_entered_in_error(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: EnteredInErrorIn
) -> Prescription:
    """Withdraw a prescription written by mistake: it leaves the regimen and stays in the
    record, marked, with the reason."""
    actor = member(request)
    prescription = _record_for_write(actor, prescription_uuid)
    marked = services.mark_prescription_entered_in_error(
        actor,
        prescription,
        reason=payload.reason,
        expected_regimen_version=payload.expected_regimen_version,
    )
    return _with_details(marked)
