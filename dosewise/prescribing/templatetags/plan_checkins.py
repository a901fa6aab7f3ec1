"""`{% plan_check_ins plan steps %}`: the withdrawal check-in form and the check-ins per step on
the plan page, with what the page itself does not know (the checklist, who may record)."""

from __future__ import annotations

from typing import Any

from django import template

from dosewise.access import is_on_care_team
from dosewise.domain.withdrawal import CHECKLIST, RATINGS
from dosewise.prescribing.checkin_models import PlanStepCheckIn
from dosewise.prescribing.checkins import OPEN_PLAN_STATUSES
from dosewise.prescribing.plan_models import Plan, PlanStep

register = template.Library()


@register.inclusion_tag("prescribing/plan_checkin.html", takes_context=True)
def plan_check_ins(context: Any, plan: Plan, steps: list[PlanStep]) -> dict[str, Any]:
    actor = context["request"].membership
    check_ins = list(
        PlanStepCheckIn.objects.filter(step__plan=plan)
        .select_related("step", "recorded_by")
        .order_by("step__sequence", "recorded_at", "id")
    )
    by_step: dict[int, list[PlanStepCheckIn]] = {}
    for item in check_ins:
        by_step.setdefault(item.step_id, []).append(item)
    started = [step for step in steps if step.status == PlanStep.Status.CONFIRMED]
    latest = max(check_ins, key=lambda item: (item.recorded_at, item.id), default=None)
    return {
        "plan": plan,
        "csrf_token": context.get("csrf_token"),
        "checklist": CHECKLIST,
        "ratings": sorted(RATINGS.items()),
        "started": list(reversed(started)),  # the current step first, so it is preselected
        "rows": [(step, by_step[step.pk]) for step in steps if step.pk in by_step],
        "latest": latest,
        "can_check_in": bool(started)
        and plan.status in OPEN_PLAN_STATUSES
        and actor.is_clinical
        and is_on_care_team(actor, plan.patient),
    }
