"""Write path for withdrawal and side-effect check-ins at a plan's steps (issue 7).

`record_check_in`: the care team (prescribers and nurses) records how the patient is doing on
the step they are on; the ratings are checked against the checklist and compared with the plan's
previous check-in by `dosewise.domain.withdrawal.suggest`, whose suggestion to hold is stored
with the check-in and shown on the plan. Holding is the prescriber's decision, through the plan's
own "slow down" (repeat the step) or pause actions; nothing here changes the plan.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.domain.withdrawal import CODES, ChecklistError, ratings_from, suggest
from dosewise.prescribing.checkin_models import PlanStepCheckIn
from dosewise.prescribing.plan_models import Plan, PlanStep

NOTE_MAX = 500
OPEN_PLAN_STATUSES = (Plan.Status.ACTIVE, Plan.Status.PAUSED, Plan.Status.COMPLETED)


def previous_check_in(step: PlanStep) -> PlanStepCheckIn | None:
    """The plan's latest check-in so far (on this step or an earlier one)."""
    return (
        PlanStepCheckIn.objects.filter(step__plan=step.plan).order_by("-recorded_at", "-id").first()
    )


def _ratings(answers: Mapping[str, object]) -> list[int]:
    try:
        return ratings_from(answers)
    except ChecklistError as exc:
        raise ValidationError({exc.field: [exc.message]}) from exc


@write_service(Need.CLINICAL_WRITE)
def record_check_in(
    actor: Membership, step: PlanStep, *, answers: Mapping[str, object], note: str = ""
) -> PlanStepCheckIn:
    """Record the patient's withdrawal and side-effect symptoms on a started step.

    Refused (nothing written) when the plan has not started or the step is not yet confirmed,
    a symptom is unrated or not 0–3, or the note is too long; the error names the field.
    """
    if not actor.is_clinical:
        raise ValidationError({"role": ["Only prescribers and nurses record check-ins."]})
    plan = step.plan
    if plan.status not in OPEN_PLAN_STATUSES or step.status != PlanStep.Status.CONFIRMED:
        raise ValidationError(
            {"step": ["Check in on a step the patient has started (a confirmed step)."]}
        )
    current = _ratings(answers)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"Keep the note to {NOTE_MAX} characters."]})
    previous = previous_check_in(step)
    suggestion = suggest(_ratings(previous.ratings) if previous else None, current)
    check_in = PlanStepCheckIn.objects.create(
        step=step,
        ratings=dict(zip(CODES, current, strict=True)),
        hold_suggested=suggestion.hold,
        hold_reason=suggestion.reason,
        note=note,
        recorded_by=actor.user,
        recorded_at=timezone.now(),
    )
    record(
        "plan.check-in",
        actor=actor.user,
        organization=actor.organization,
        patient=plan.patient,
        target=check_in,
        detail={"plan": str(plan.uuid), "step": step.sequence, "hold_suggested": suggestion.hold},
    )
    return check_in
