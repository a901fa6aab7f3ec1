"""Write path for treatment plans (titration, taper, switch): issue 7, "Plans in the clinic".

- `create_plan`: the pure planner (`dosewise.domain.plans`) lays out the steps; the plan is
  stored as a draft. Bad parameters are field errors; a plan the safety engine refuses is a
  `PlanRefusedError` naming the field and listing the findings. Nothing is written then.
- `edit_step`: the prescriber changes a planned step's date or dose; the new dose is re-checked
  by the safety engine (`services.review`) and a contraindicated result is refused.
- `activate`, `pause`, `resume`, `stop` (with a reason), `repeat_step` ("slow down": the step's
  dose is held one more interval and every later step moves back by it).
- `confirm_step`: on (or after) its date the step is applied through the prescribing services:
  0 mg/day discontinues; a drug not yet taken is prescribed; another dose is `change_dose`, in
  tablets of the current strength when they can give it, else of another strength of the same
  form, else in mg. The regimen event written is linked to the step. The last step completes
  the plan.

Creating, activating, editing, stopping and confirming are the prescriber's; every service
checks the care team (`write_service`) and writes an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import Diagnosis
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.safety import Finding, Severity
from dosewise.domain.sig import Dose, SigError, sig
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.services import OrderInput, SafetyDecision

REASON_MAX = 300
DEFAULT_SUPPLY_DAYS = 30
# Fractions of a unit a patient can take: scored tablets may be halved; capsules cannot.
_UNIT_FRACTIONS = {"tablet": Decimal("0.5"), "capsule": Decimal(1)}


class PlanRefusedError(ValidationError):
    """The safety engine refused the plan (or an edited step); the findings say why."""

    def __init__(self, field: str, findings: list[Finding]):
        self.findings = findings
        super().__init__(
            {
                field: [
                    f"Refused by the safety review: {item.severity.value} {item.code}: "
                    f"{item.message}"
                    for item in findings
                ]
            }
        )


@dataclass(frozen=True)
class PlanRequest:
    """What the prescriber asks the planner for (the form's or the API's fields)."""

    kind: str
    start: dt.date
    drug: str = ""
    to_mg: Decimal | None = None
    from_mg: Decimal | None = None
    step_mg: Decimal | None = None
    interval_days: int | None = None
    method: str = "hyperbolic"
    step_percent: Decimal | None = None
    to_drug: str = ""
    strategy: str = "cross-taper"


def _require_prescriber(actor: Membership) -> None:
    if actor.role != Membership.Role.PRESCRIBER:
        raise ValidationError({"prescriber": ["Only prescribers plan and change prescriptions."]})


def _audit(actor: Membership, action: str, plan: Plan, **detail: Any) -> None:
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        patient=plan.patient,
        target=plan,
        detail={"kind": plan.kind, "drug": plan.drug, **detail},
    )


def _canonical(name: str, field: str) -> str:
    try:
        return default_knowledge().find(name).name
    except UnknownDrug as exc:
        raise ValidationError({field: [str(exc)]}) from None


# Which request field a planner error is about, by the words in its message.
_ERROR_FIELDS = (
    ("step_percent", ("step_percent", "percent", "%")),
    ("interval_days", ("interval",)),
    ("step_mg", ("step_mg", "step of", "step size")),
    ("strategy", ("strategy",)),
    ("method", ("method",)),
    ("to_mg", ("to_mg", "target")),
    ("from_mg", ("from_mg", "current dose", "starting dose")),
    ("to_drug", ("to_drug",)),
    ("start", ("start",)),
)


def _field_of(error: Exception, default: str) -> str:
    named = getattr(error, "field", None)
    if isinstance(named, str) and named:
        return named
    text = str(error).lower()
    first = text.split(" ", 1)[0].strip(":,.")
    known = {name for name, _ in _ERROR_FIELDS} | {"drug", "kind"}
    if first in known:
        return first
    if first == "from_drug":
        return "drug"
    for field, words in _ERROR_FIELDS:
        if any(word in text for word in words):
            return field
    return default


def _generate(request: PlanRequest, patient: Patient, with_drugs: tuple[str, ...]) -> Any:
    """Run the pure planner; its errors become field errors, its refusals PlanRefusedError."""
    from dosewise.domain import plans as planner  # the planners land with issue 7's domain part

    knowledge = default_knowledge()
    try:
        if request.kind == Plan.Kind.TAPER:
            if request.from_mg is None:
                raise ValidationError({"from_mg": ["Give the current daily dose in mg."]})
            return planner.taper(
                request.drug,
                from_mg=request.from_mg,
                start=request.start,
                knowledge=knowledge,
                method=request.method,
                step_percent=Decimal(25) if request.step_percent is None else request.step_percent,
                interval_days=14 if request.interval_days is None else request.interval_days,
            )
        if request.kind == Plan.Kind.TITRATION:
            if request.to_mg is None:
                raise ValidationError({"to_mg": ["Give the target daily dose in mg."]})
            return planner.titrate(
                request.drug,
                to_mg=request.to_mg,
                start=request.start,
                knowledge=knowledge,
                from_mg=request.from_mg,
                step_mg=request.step_mg,
                interval_days=request.interval_days,
                with_drugs=with_drugs,
            )
        if request.kind == Plan.Kind.SWITCH:
            missing = {
                name: [message]
                for name, value, message in (
                    ("from_mg", request.from_mg, "Give the current daily dose in mg."),
                    ("to_drug", request.to_drug, "Choose the drug to switch to."),
                    ("to_mg", request.to_mg, "Give the new drug's target daily dose in mg."),
                )
                if not value
            }
            if missing:
                raise ValidationError(missing)
            return planner.switch(
                request.drug,
                request.from_mg or Decimal(0),
                request.to_drug,
                request.to_mg or Decimal(0),
                start=request.start,
                knowledge=knowledge,
                strategy=request.strategy,
            )
    except planner.PlanRefused as exc:
        field = "to_drug" if request.kind == Plan.Kind.SWITCH else "drug"
        raise PlanRefusedError(field, list(exc.findings)) from None
    except planner.PlanError as exc:
        raise ValidationError({_field_of(exc, "drug"): [str(exc)]}) from None
    except UnknownDrug as exc:
        field = "to_drug" if request.to_drug and request.to_drug in str(exc) else "drug"
        raise ValidationError({field: [str(exc)]}) from None
    raise ValidationError(
        {"kind": [f"Unknown plan kind {request.kind!r}; use {', '.join(Plan.Kind.values)}."]}
    )


@write_service(Need.CLINICAL_WRITE)
def create_plan(
    actor: Membership,
    patient: Patient,
    request: PlanRequest,
    *,
    prescription: Prescription | None = None,
    indication: Diagnosis | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> Plan:
    """Lay out a titration, taper or switch as a draft plan for the prescriber to review.

    A taper or switch adjusts `prescription` (its drug and daily dose are the starting point);
    a titration may start a drug not yet taken (`indication` is then required)."""
    _require_prescriber(actor)
    today = today or timezone.localdate()
    if request.kind not in Plan.Kind.values:
        raise ValidationError(
            {"kind": [f"Unknown plan kind {request.kind!r}; use {', '.join(Plan.Kind.values)}."]}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"Keep the reason to {REASON_MAX} characters."]})
    if request.start < today:
        raise ValidationError({"start": ["A plan cannot start in the past."]})
    if request.start > today + dt.timedelta(days=365):
        raise ValidationError({"start": ["A plan cannot start more than a year ahead."]})
    if prescription is not None:
        if prescription.patient_id != patient.pk:
            raise ValidationError({"prescription": ["This prescription is another patient's."]})
        if prescription.status not in (Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD):
            raise ValidationError(
                {
                    "prescription": [
                        f"This prescription is {prescription.get_status_display().lower()}."
                    ]
                }
            )
        request = replace(
            request,
            drug=prescription.drug,
            from_mg=request.from_mg if request.from_mg is not None else prescription.daily_mg,
        )
        indication = indication or prescription.indication
    elif request.kind != Plan.Kind.TITRATION:
        raise ValidationError(
            {"prescription": ["A taper or switch starts from one of the patient's prescriptions."]}
        )
    if not request.drug:
        raise ValidationError({"drug": ["Choose the drug."]})
    request = replace(request, drug=_canonical(request.drug, "drug"))
    if request.to_drug:
        request = replace(request, to_drug=_canonical(request.to_drug, "to_drug"))
    if indication is not None and (
        indication.patient_id != patient.pk or indication.status not in Diagnosis.ACTIVE_STATUSES
    ):
        raise ValidationError(
            {"indication": ["The indication must be one of this patient's active diagnoses."]}
        )
    if indication is None:
        raise ValidationError({"indication": ["Choose the diagnosis this plan treats."]})
    current = services.current_prescriptions(patient, on=today)
    with_drugs = tuple(sorted({item.drug for item in current if item.drug != request.drug}))
    generated = _generate(request, patient, with_drugs)
    plan = Plan.objects.create(
        organization=actor.organization,
        patient=patient,
        kind=request.kind,
        prescription=prescription,
        indication=indication,
        drug=request.drug,
        to_drug=request.to_drug,
        parameters=_parameters(request),
        notes=list(generated.notes),
        reason=reason.strip(),
        created_by=actor.user,
    )
    PlanStep.objects.bulk_create(
        PlanStep(
            plan=plan,
            sequence=number,
            on=step.on,
            drug=step.drug,
            daily_dose_mg=step.daily_dose_mg,
            take=step.take[:300],
            every_days=step.every_days,
        )
        for number, step in enumerate(generated.steps, start=1)
    )
    _audit(actor, "plan.create", plan, steps=len(generated.steps))
    return plan


def _parameters(request: PlanRequest) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in request.__dict__.items():
        if value is None or value == "":
            continue
        values[name] = (
            value.isoformat()
            if isinstance(value, dt.date)
            else str(value)
            if isinstance(value, Decimal)
            else value
        )
    return values


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("patient").get(pk=plan.pk)


def _require_status(plan: Plan, *allowed: str) -> None:
    if plan.status not in allowed:
        raise ValidationError({"status": [f"This plan is {plan.get_status_display().lower()}."]})


@write_service(Need.CLINICAL_WRITE)
def activate(actor: Membership, plan: Plan) -> Plan:
    """The prescriber has reviewed the steps: the plan goes on the worklist, step by step."""
    _require_prescriber(actor)
    locked = _locked(plan)
    _require_status(locked, Plan.Status.DRAFT)
    if not locked.steps.exists():
        raise ValidationError({"steps": ["A plan needs at least one step."]})
    if locked.prescription is not None:
        locked.prescription.refresh_from_db(fields=["status"])
        if locked.prescription.status not in (
            Prescription.Status.ACTIVE,
            Prescription.Status.ON_HOLD,
        ):
            raise ValidationError(
                {"prescription": ["The prescription this plan adjusts is no longer active."]}
            )
    locked.status = Plan.Status.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    _audit(actor, "plan.activate", locked)
    return locked


def _set_status(
    actor: Membership, plan: Plan, action: str, new: str, allowed: tuple[str, ...], **extra: str
) -> Plan:
    locked = _locked(plan)
    _require_status(locked, *allowed)
    locked.status = new
    fields = ["status", "updated_at"]
    for name, value in extra.items():
        setattr(locked, name, value)
        fields.append(name)
    locked.save(update_fields=fields)
    _audit(actor, action, locked, **extra)
    return locked


@write_service(Need.CLINICAL_WRITE)
def pause(actor: Membership, plan: Plan) -> Plan:
    """Hold the plan at the current step (e.g. withdrawal symptoms); no step is due meanwhile."""
    _require_prescriber(actor)
    return _set_status(actor, plan, "plan.pause", Plan.Status.PAUSED, (Plan.Status.ACTIVE,))


@write_service(Need.CLINICAL_WRITE)
def resume(actor: Membership, plan: Plan) -> Plan:
    """Carry on with a paused plan."""
    _require_prescriber(actor)
    return _set_status(actor, plan, "plan.resume", Plan.Status.ACTIVE, (Plan.Status.PAUSED,))


@write_service(Need.CLINICAL_WRITE)
def stop(actor: Membership, plan: Plan, *, reason: str) -> Plan:
    """End the plan early (or discard a draft); the steps not taken are marked skipped. The
    regimen stays as the last confirmed step left it."""
    _require_prescriber(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the plan is stopped."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"Keep the reason to {REASON_MAX} characters."]})
    stopped = _set_status(
        actor,
        plan,
        "plan.stop",
        Plan.Status.STOPPED,
        (Plan.Status.DRAFT, Plan.Status.ACTIVE, Plan.Status.PAUSED),
        stop_reason=reason,
    )
    stopped.steps.filter(status=PlanStep.Status.PLANNED).update(status=PlanStep.Status.SKIPPED)
    return stopped


# --- Steps ------------------------------------------------------------------------------------


def _current_for(patient: Patient, drug: str, *, on: dt.date) -> Prescription | None:
    found = [
        item
        for item in services.current_prescriptions(patient, on=on)
        if item.drug == drug and item.status in (Prescription.Status.ACTIVE,)
    ]
    return found[0] if found else None


def _fits(per_dose_mg: Decimal, strength: Decimal, unit: str) -> Decimal | None:
    """How many units of `strength` make `per_dose_mg`, if the unit can be divided so."""
    fraction = _UNIT_FRACTIONS.get(unit)
    if fraction is None or strength <= 0:
        return None
    amount = per_dose_mg / strength
    if amount <= 0 or amount % fraction != 0 or amount > 8:
        return None
    return amount.normalize()


def _order_for(
    plan: Plan,
    step: PlanStep,
    base: Prescription | None,
    *,
    days_supply: int,
    pdmp_checked_on: dt.date | None,
) -> OrderInput:
    """The order a step needs: from the current prescription (same form, timing, frequency),
    or for a drug not yet taken, from the knowledge base's first oral form, once daily."""
    drug = default_knowledge().find(step.drug)
    if base is not None:
        form, unit, strength = base.form, base.dose_unit, base.strength_mg
        times = base.times_per_day or Decimal(1)
        timings, route = tuple(base.timings), base.route
    else:
        forms = drug.dosing.forms if drug.dosing else ()
        oral = [item for item in forms if item.route == "oral"] or list(forms)
        if not oral:
            raise ValidationError({"drug": [f"No form of {drug.name} is known; prescribe it."]})
        form = oral[0].form
        unit = "capsule" if "capsule" in form else "tablet"
        strength = oral[0].strengths_mg[0]
        times, timings, route = Decimal(1), (), oral[0].route
    per_dose = step.daily_dose_mg / times
    amount = _fits(per_dose, strength, unit)
    if amount is None:
        for candidate in _strengths(drug, form):
            amount = _fits(per_dose, candidate, unit)
            if amount is not None:
                strength = candidate
                break
    if amount is None:
        amount, unit = per_dose.normalize(), Prescription.DoseUnit.MG
    return OrderInput(
        drug=drug.name,
        form=form,
        strength_mg=strength,
        dose_amount=amount,
        dose_unit=unit,
        times_per_day=times,
        route=route,
        timings=timings if len(timings) == times else (),
        start_on=step.on,
        days_supply=days_supply,
        refills=0,
        indication=plan.indication if base is None else (base.indication or plan.indication),
        pdmp_checked_on=pdmp_checked_on,
    )


def _strengths(drug: Any, form: str) -> list[Decimal]:
    """The strengths of `form`, largest first (fewest units a dose)."""
    forms = drug.dosing.forms if drug.dosing else ()
    return sorted(
        {value for item in forms if item.form == form for value in item.strengths_mg},
        reverse=True,
    )


def _supply_days(step: PlanStep) -> int:
    following = (
        PlanStep.objects.filter(plan_id=step.plan_id, drug=step.drug, sequence__gt=step.sequence)
        .order_by("sequence")
        .first()
    )
    if following is None:
        return DEFAULT_SUPPLY_DAYS
    return max(1, (following.on - step.on).days)


def _take(order: OrderInput) -> str:
    try:
        return sig(
            Dose(order.dose_amount, order.dose_unit, order.strength_mg),
            route=order.route,
            times_per_day=order.times_per_day,
            timings=order.timings,
        )
    except SigError as exc:
        raise ValidationError({"daily_dose_mg": [str(exc)]}) from None


@write_service(Need.CLINICAL_WRITE)
def edit_step(
    actor: Membership,
    step: PlanStep,
    *,
    daily_dose_mg: Decimal,
    on: dt.date,
    today: dt.date | None = None,
) -> tuple[PlanStep, list[Finding]]:
    """Change a planned step's date or daily dose. The new dose goes through the safety review
    as that step's order; contraindicated findings refuse the edit, the others are returned to
    show beside the step."""
    _require_prescriber(actor)
    today = today or timezone.localdate()
    plan = _locked(step.plan)
    _require_status(plan, Plan.Status.DRAFT, Plan.Status.ACTIVE, Plan.Status.PAUSED)
    locked = PlanStep.objects.select_for_update().get(pk=step.pk)
    if locked.status != PlanStep.Status.PLANNED:
        raise ValidationError({"status": [f"This step is {locked.get_status_display().lower()}."]})
    if daily_dose_mg < 0:
        raise ValidationError({"daily_dose_mg": ["The daily dose cannot be negative."]})
    if daily_dose_mg >= Decimal(100000):
        raise ValidationError({"daily_dose_mg": ["Implausibly large; check the units (mg)."]})
    if on < today:
        raise ValidationError({"on": ["A planned step cannot be dated in the past."]})
    neighbours = PlanStep.objects.filter(plan=plan).exclude(pk=locked.pk)
    before = neighbours.filter(sequence__lt=locked.sequence).order_by("-sequence").first()
    after = neighbours.filter(sequence__gt=locked.sequence).order_by("sequence").first()
    if before is not None and on < before.on:
        raise ValidationError({"on": [f"The step before is on {before.on.isoformat()}."]})
    if after is not None and on > after.on:
        raise ValidationError({"on": [f"The step after is on {after.on.isoformat()}."]})
    before_values = {"on": locked.on.isoformat(), "daily_dose_mg": str(locked.daily_dose_mg)}
    findings: list[Finding] = []
    take = "Stop."
    if daily_dose_mg > 0:
        locked.daily_dose_mg = daily_dose_mg
        locked.on = on
        base = _current_for(plan.patient, locked.drug, on=today)
        order = _order_for(plan, locked, base, days_supply=_supply_days(locked), pdmp_checked_on=on)
        findings = services.review(actor, plan.patient, order, replacing=base, on=on)
        refused = [item for item in findings if item.severity is Severity.CONTRAINDICATED]
        if refused:
            raise PlanRefusedError("daily_dose_mg", refused)
        take = _take(order)
    locked.daily_dose_mg = daily_dose_mg
    locked.on = on
    locked.take = take[:300]
    locked.save(update_fields=["daily_dose_mg", "on", "take"])
    _audit(
        actor,
        "plan.edit-step",
        plan,
        step=locked.sequence,
        before=before_values,
        after={"on": on.isoformat(), "daily_dose_mg": str(daily_dose_mg)},
    )
    return locked, findings


@write_service(Need.CLINICAL_WRITE)
def repeat_step(actor: Membership, step: PlanStep) -> PlanStep:
    """Slow down: hold `step`'s dose one more interval (the gap to the next step, or 14 days);
    every later step moves back by that much. Returns the new step."""
    _require_prescriber(actor)
    plan = _locked(step.plan)
    _require_status(plan, Plan.Status.DRAFT, Plan.Status.ACTIVE, Plan.Status.PAUSED)
    later = PlanStep.objects.filter(plan=plan, sequence__gt=step.sequence)
    following = later.order_by("sequence").first()
    gap = (following.on - step.on) if following is not None else dt.timedelta(days=14)
    if gap.days < 1:
        gap = dt.timedelta(days=14)
    if later.exclude(status=PlanStep.Status.PLANNED).exists():
        raise ValidationError({"step": ["A later step was already confirmed."]})
    # Move later steps out of the way in two passes (the sequence is unique per plan).
    offset = 100000
    later.update(sequence=F("sequence") + offset, on=F("on") + gap)
    PlanStep.objects.filter(plan=plan, sequence__gt=offset).update(
        sequence=F("sequence") - offset + 1
    )
    repeated = PlanStep.objects.create(
        plan=plan,
        sequence=step.sequence + 1,
        on=step.on + gap,
        drug=step.drug,
        daily_dose_mg=step.daily_dose_mg,
        take=step.take,
        every_days=step.every_days,
    )
    _audit(actor, "plan.repeat-step", plan, step=step.sequence, days=gap.days)
    return repeated


def due_step(plan: Plan) -> PlanStep | None:
    """The next step to confirm (the first still planned), whatever its date."""
    return plan.steps.filter(status=PlanStep.Status.PLANNED).order_by("sequence").first()


@write_service(Need.CLINICAL_WRITE)
def confirm_step(
    actor: Membership,
    step: PlanStep,
    *,
    decision: SafetyDecision | None = None,
    pdmp_checked_on: dt.date | None = None,
    today: dt.date | None = None,
) -> PlanStep:
    """Apply the step to the medication history (on or after its date) through the prescribing
    services, and link the regimen event it wrote. A step that keeps the current dose writes
    no event. The last step completes the plan."""
    _require_prescriber(actor)
    today = today or timezone.localdate()
    decision = decision or SafetyDecision()
    plan = _locked(step.plan)
    _require_status(plan, Plan.Status.ACTIVE)
    locked = PlanStep.objects.select_for_update().get(pk=step.pk)
    if locked.status != PlanStep.Status.PLANNED:
        raise ValidationError({"status": [f"This step is {locked.get_status_display().lower()}."]})
    first = due_step(plan)
    if first is not None and first.pk != locked.pk:
        raise ValidationError(
            {"step": [f"Confirm the step of {first.on.isoformat()} (step {first.sequence}) first."]}
        )
    if locked.on > today:
        raise ValidationError({"on": [f"This step is due on {locked.on.isoformat()}."]})
    if locked.every_days != 1 and locked.daily_dose_mg > 0:
        raise ValidationError(
            {
                "every_days": [
                    "A dose every few days cannot be written by the plan; "
                    "prescribe it from the prescription page."
                ]
            }
        )
    patient = plan.patient
    base = _current_for(patient, locked.drug, on=today)
    why = f"{plan.get_kind_display()} plan, step {locked.sequence}"
    event: RegimenEvent | None = None
    if locked.daily_dose_mg == 0:
        if base is not None:
            stopped = services.discontinue(
                actor,
                base,
                reason=RegimenEvent.Reason.TITRATION,
                reason_text=why,
                effective_on=locked.on,
            )
            event = stopped.events.filter(kind=RegimenEvent.Kind.DISCONTINUED).last()
    elif base is None or base.daily_mg != locked.daily_dose_mg:
        order = _order_for(
            plan,
            locked,
            base,
            days_supply=_supply_days(locked),
            pdmp_checked_on=pdmp_checked_on,
        )
        if base is None:
            written = services.prescribe(actor, patient, order, decision=decision, today=today)
        else:
            written = services.change_dose(
                actor,
                base,
                order,
                reason=RegimenEvent.Reason.TITRATION,
                reason_text=why,
                decision=decision,
                today=today,
            )
        event = written.events.order_by("id").last()
        # The prescription written is what the patient takes: the calendar follows it.
        locked.take = written.sig
    locked.status = PlanStep.Status.CONFIRMED
    locked.confirmed_by = actor.user
    locked.confirmed_at = timezone.now()
    locked.regimen_event = event
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "regimen_event", "take"])
    _audit(
        actor,
        "plan.confirm-step",
        plan,
        step=locked.sequence,
        daily_dose_mg=str(locked.daily_dose_mg),
    )
    if not plan.steps.filter(status=PlanStep.Status.PLANNED).exists():
        plan.status = Plan.Status.COMPLETED
        plan.save(update_fields=["status", "updated_at"])
        _audit(actor, "plan.complete", plan)
    return locked


# --- Reading ----------------------------------------------------------------------------------

CALENDAR_MAX_DAYS = 730


@dataclass(frozen=True)
class Dosing:
    """One drug on one calendar day: the dose in effect and what to take."""

    drug: str
    daily_dose_mg: Decimal
    take: str
    is_dose_day: bool  # False on the off days of an every-other-day dose
    is_change: bool  # a step starts this day


@dataclass(frozen=True)
class CalendarDay:
    on: dt.date
    doses: tuple[Dosing, ...]


def calendar(plan: Plan) -> list[CalendarDay]:
    """The patient's day-by-day calendar: from the first step to the last (each dose holds
    until that drug's next step), at most two years; a drug stopped drops off the next day."""
    steps = list(plan.steps.exclude(status=PlanStep.Status.SKIPPED).order_by("sequence"))
    if not steps:
        return []
    first, last = steps[0].on, max(step.on for step in steps)
    end = min(last, first + dt.timedelta(days=CALENDAR_MAX_DAYS - 1))
    days = []
    on = first
    while on <= end:
        current: dict[str, PlanStep] = {}
        for step in steps:
            if step.on <= on:
                current[step.drug] = step
        doses = []
        for drug, step in current.items():
            if step.daily_dose_mg == 0 and step.on != on:
                continue
            offset = (on - step.on).days
            doses.append(
                Dosing(
                    drug=drug,
                    daily_dose_mg=step.daily_dose_mg,
                    take=step.take,
                    is_dose_day=step.every_days <= 1 or offset % step.every_days == 0,
                    is_change=step.on == on,
                )
            )
        days.append(CalendarDay(on, tuple(doses)))
        on += dt.timedelta(days=1)
    return days
