"""JSON API for titration, taper and switch plans (issue 7).

Thin like the web views: parse, resolve through `dosewise.access`, call one service
(`dosewise.prescribing.plans`), render. Reading needs the chart (front desk and clinic admins
get 404); writing needs the care team (403 otherwise) and is the prescriber's (422 for nurses).
A plan the safety engine refuses is a 422 naming the field, with each finding in the message.

No `from __future__ import annotations`: the schemas below are read by pydantic at run time.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.api_auth import member
from dosewise.api_schemas import InSchema, IsoDate
from dosewise.clinical.models import Diagnosis
from dosewise.prescribing import plans
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.schemas import SafetyBlockProblem
from dosewise.prescribing.services import SafetyDecision

router = Router(tags=["plans"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
PlanId = Annotated[str, Path(description="The plan's public id (UUID).")]
StepId = Annotated[str, Path(description="The plan step's public id (UUID).")]


class PlanIn(InSchema):
    """What to plan. A taper or switch names the prescription it adjusts; a titration may
    start a new drug (then `drug` and `indication` are needed)."""

    kind: Literal["titration", "taper", "switch"]
    start: IsoDate
    prescription: UUID | None = Field(None, description="The prescription the plan adjusts.")
    indication: UUID | None = Field(None, description="Diagnosis; default the prescription's.")
    drug: str = Field("", max_length=80, description="Titration of a drug not yet taken.")
    from_mg: Decimal | None = Field(None, ge=0, description="Default: the current daily dose.")
    to_mg: Decimal | None = Field(None, ge=0)
    step_mg: Decimal | None = Field(None, ge=0)
    interval_days: int | None = Field(None, ge=1, le=365)
    method: Literal["hyperbolic", "linear"] = "hyperbolic"
    step_percent: Decimal | None = Field(None, ge=1, le=100)
    to_drug: str = Field("", max_length=80)
    strategy: Literal["cross-taper", "taper-then-switch", "direct"] = "cross-taper"
    reason: str = Field("", max_length=plans.REASON_MAX)


class PlanStepOut(Schema):
    uuid: UUID
    sequence: int
    on: dt.date
    drug: str
    daily_dose_mg: Decimal
    take: str
    every_days: int
    status: str
    regimen_event: UUID | None = Field(description="The regimen event confirming it wrote.")


class PlanOut(Schema):
    uuid: UUID
    patient: UUID
    kind: str
    status: str
    drug: str
    to_drug: str
    prescription: UUID | None
    reason: str
    stop_reason: str
    notes: list[str]
    steps: list[PlanStepOut]


class PlanStepConfirmIn(InSchema):
    overrides: dict[str, str] = Field(
        default_factory=dict, description="A reason per contraindicated finding code."
    )
    acknowledged: list[str] = Field(default_factory=list, description="Major findings seen.")
    pdmp_checked_on: IsoDate | None = Field(None, description="Controlled drugs.")


class PlanStopIn(InSchema):
    reason: str = Field(max_length=plans.REASON_MAX)


def _out(plan: Plan) -> dict[str, Any]:
    steps = plan.steps.select_related("regimen_event").order_by("sequence")
    return {
        "uuid": plan.uuid,
        "patient": plan.patient.uuid,
        "kind": plan.kind,
        "status": plan.status,
        "drug": plan.drug,
        "to_drug": plan.to_drug,
        "prescription": plan.prescription.uuid if plan.prescription else None,
        "reason": plan.reason,
        "stop_reason": plan.stop_reason,
        "notes": list(plan.notes),
        "steps": [_step_out(step) for step in steps],
    }


def _step_out(step: PlanStep) -> dict[str, Any]:
    return {
        "uuid": step.uuid,
        "sequence": step.sequence,
        "on": step.on,
        "drug": step.drug,
        "daily_dose_mg": step.daily_dose_mg,
        "take": step.take,
        "every_days": step.every_days,
        "status": step.status,
        "regimen_event": step.regimen_event.uuid if step.regimen_event else None,
    }


def _plan(request: HttpRequest, plan_uuid: str, need: Need) -> Plan:
    return get_patient_record(member(request), Plan, plan_uuid, need)


@router.post("/patients/{patient_uuid}/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, patient_uuid: PatientId, payload: PlanIn) -> Status:
    """Generate a draft titration, taper or switch plan (prescribers on the care team). Bad
    parameters and plans the safety engine refuses are 422s naming the field."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    prescription = (
        get_patient_record(actor, Prescription, payload.prescription, Need.CLINICAL_WRITE)
        if payload.prescription
        else None
    )
    indication = (
        Diagnosis.objects.filter(uuid=payload.indication, patient=patient).first()
        if payload.indication
        else None
    )
    if payload.indication and indication is None:
        raise ValidationError({"indication": ["No such diagnosis for this patient."]})
    plan = plans.create_plan(
        actor,
        patient,
        plans.PlanRequest(
            kind=payload.kind,
            start=payload.start,
            drug=payload.drug,
            to_mg=payload.to_mg,
            from_mg=payload.from_mg,
            step_mg=payload.step_mg,
            interval_days=payload.interval_days,
            method=payload.method,
            step_percent=payload.step_percent,
            to_drug=payload.to_drug,
            strategy=payload.strategy,
        ),
        prescription=prescription,
        indication=indication,
        reason=payload.reason,
    )
    return Status(201, _out(plan))


@router.get("/plans/{plan_uuid}", response=PlanOut)
def get_plan(request: HttpRequest, plan_uuid: PlanId) -> dict[str, Any]:
    """A plan with its steps."""
    return _out(_plan(request, plan_uuid, Need.CHART))


@router.post("/plans/{plan_uuid}/activate", response=PlanOut)
def activate_plan(request: HttpRequest, plan_uuid: PlanId) -> dict[str, Any]:
    """The prescriber has reviewed the draft: its steps become due on their dates."""
    plan = _plan(request, plan_uuid, Need.CLINICAL_WRITE)
    return _out(plans.activate(member(request), plan))


@router.post("/plans/{plan_uuid}/stop", response=PlanOut)
def stop_plan(request: HttpRequest, plan_uuid: PlanId, payload: PlanStopIn) -> dict[str, Any]:
    """End the plan with a reason; steps not taken are skipped."""
    plan = _plan(request, plan_uuid, Need.CLINICAL_WRITE)
    return _out(plans.stop(member(request), plan, reason=payload.reason))


@router.post(
    "/plan-steps/{step_uuid}/confirm", response={200: PlanStepOut, 409: SafetyBlockProblem}
)
def confirm_plan_step(
    request: HttpRequest, step_uuid: StepId, payload: PlanStepConfirmIn
) -> dict[str, Any]:
    """Apply a due step to the medication history (a dose change, a new prescription or a
    discontinuation). A step that needs answers to safety findings is a 409 safety block."""
    actor = member(request)
    try:
        parsed = uuid.UUID(step_uuid)
    except ValueError:
        parsed = None
    found = PlanStep.objects.select_related("plan").filter(uuid=parsed).first() if parsed else None
    plan = _plan(request, str(found.plan.uuid) if found else step_uuid, Need.CLINICAL_WRITE)
    step = found if found is not None else PlanStep()  # unknown: refused above with a 404
    step.plan = plan
    step = plans.confirm_step(
        actor,
        step,
        decision=SafetyDecision(
            reasons=payload.overrides, acknowledged=frozenset(payload.acknowledged)
        ),
        pdmp_checked_on=payload.pdmp_checked_on,
    )
    return _step_out(step)
