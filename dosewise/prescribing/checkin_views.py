"""Record a withdrawal and side-effect check-in on a plan's current step (issue 7).

Parse, resolve access (`dosewise.access`), call `dosewise.prescribing.checkins.record_check_in`,
then back to the plan page: the suggestion to hold, when there is one, is shown there with its
reason. Bad answers: the plan page again with status 400 and the error naming the field.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dosewise.access import Need, get_patient_record
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.domain.withdrawal import CODES
from dosewise.prescribing import checkins, plan_views
from dosewise.prescribing.plan_models import Plan, PlanStep

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)


@member_required(*CLINICAL_ROLES)
@require_POST
def plan_check_in(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    """Record the checklist for the chosen (started) step of the plan."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    plan = get_patient_record(actor, Plan, plan_uuid, Need.CLINICAL_WRITE)
    step_uuid = _uuid(request.POST.get("step", ""))
    step = PlanStep.objects.filter(plan=plan, uuid=step_uuid).first() if step_uuid else None
    answers = {code: request.POST[code] for code in CODES if code in request.POST}
    try:
        if step is None:
            raise ValidationError({"step": ["Choose the step the patient is on."]})
        check_in = checkins.record_check_in(
            actor, step, answers=answers, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.error(request, f"Check-in, {field.replace('_', ' ')}: {' '.join(errors)}")
        return plan_views._detail(request, plan, status=400)
    messages.success(request, f"Check-in recorded for step {step.sequence}.")
    if check_in.hold_suggested:
        messages.warning(request, f"Consider holding the current step: {check_in.hold_reason}")
    return redirect(plan.get_absolute_url())


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
