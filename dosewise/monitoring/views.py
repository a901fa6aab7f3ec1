"""Measurement schedule pages: a patient's measurement plan, the organization's due and
overdue list, and the prescriber's panel.

Thin: parse, resolve access, call one service or one reader of `dosewise.monitoring.plans`,
render. The rules are `dosewise.domain.schedules` and `dosewise.domain.measurement`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dosewise.access import Need, get_patient, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.domain import schedules
from dosewise.domain.scales import default_instruments
from dosewise.forms import apply_errors
from dosewise.monitoring import plans, services
from dosewise.patients.models import Patient

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)


class PlanItemForm(forms.Form):
    """Measure one instrument every so many days."""

    instrument = forms.ChoiceField(
        label="Instrument",
        choices=(),
        error_messages={
            "required": "Choose an instrument.",
            "invalid_choice": "Choose an instrument from the list.",
        },
    )
    interval_days = forms.IntegerField(
        label="Every (days)",
        min_value=schedules.MIN_INTERVAL_DAYS,
        max_value=schedules.MAX_INTERVAL_DAYS,
        help_text=f"{schedules.MIN_INTERVAL_DAYS} to {schedules.MAX_INTERVAL_DAYS} days.",
        error_messages={
            "required": "Give the interval in days.",
            "invalid": "Give the interval as a whole number of days.",
            "min_value": f"The interval is at least {schedules.MIN_INTERVAL_DAYS} days.",
            "max_value": f"The interval is at most {schedules.MAX_INTERVAL_DAYS} days.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registry = default_instruments()
        self.fields["instrument"].choices = [  # type: ignore[attr-defined]
            (i, f"{registry.get(i).name} — {registry.get(i).title}") for i in registry.ids
        ]


def _plan_context(actor: Membership, patient: Patient, form: PlanItemForm) -> dict[str, Any]:
    today = timezone.localdate()
    plan = services.ensure_default_plan(actor, patient)
    facts = plans.facts_for([patient.pk])[patient.pk]
    items = {item.instrument: item for item in facts.saved_items or []}
    planned = set(items)
    suggestions = [
        item
        for item in schedules.default_plan(facts.diagnosis_codes, facts.medications)
        if item.instrument not in planned and item.interval_days is not None
    ]
    return {
        "patient": patient,
        "plan": plan,
        "rows": [
            (items[due.instrument], plans.instrument_name(due.instrument), due)
            for due in facts.schedule(on=today)
        ],
        "suggestions": [(plans.instrument_name(s.instrument), s) for s in suggestions],
        "form": form,
        "today": today,
        "on_care_team": is_on_care_team(actor, patient),
    }


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def measurement_plan(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """The patient's measurement plan (created from the defaults on first view), each item's
    last administration and next due date; the care team changes an item's interval."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    if request.method == "POST":
        patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
        form = PlanItemForm(request.POST)
        if form.is_valid():
            try:
                item = services.set_plan_item(
                    actor,
                    patient,
                    instrument=form.cleaned_data["instrument"],
                    interval_days=form.cleaned_data["interval_days"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{plans.instrument_name(item.instrument)}: every {item.interval_days} days.",
                )
                return redirect("monitoring:measurement-plan", patient.uuid)
        context = _plan_context(actor, patient, form)
        return render(request, "monitoring/measurement_plan.html", context, status=400)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    context = _plan_context(actor, patient, PlanItemForm())
    return render(request, "monitoring/measurement_plan.html", context)


@member_required(*CLINICAL_ROLES)
@require_GET
def due_list(request: HttpRequest) -> HttpResponse:
    """Every due or overdue rating scale of the organization's patients, most overdue first."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    today = timezone.localdate()
    rows = plans.due_rows(actor, on=today)
    record(
        "measurement_due.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows)},
    )
    return render(request, "monitoring/due_list.html", {"rows": rows, "today": today})


@member_required(*CLINICAL_ROLES)
@require_GET
def panel(request: HttpRequest) -> HttpResponse:
    """The member's care-team patients with the latest score of each instrument, the change
    from baseline and the status; ?instrument=phq9&diagnosis=F33&sort=name|status|latest."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    today = timezone.localdate()
    raw = {key: request.GET.get(key, "") for key in ("instrument", "diagnosis", "sort")}
    errors: dict[str, list[str]] = {}
    rows: list[plans.PanelRow] = []
    try:
        filters = plans.check_panel_filters(raw["instrument"], raw["diagnosis"], raw["sort"])
    except ValidationError as exc:
        errors = exc.message_dict
    else:
        rows = plans.panel_rows(actor, filters, on=today)
    record(
        "panel.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows), **raw},
    )
    registry = default_instruments()
    context = {
        "rows": rows,
        "raw": raw,
        "errors": errors,
        "instruments": [registry.get(i) for i in registry.ids],
        "sorts": plans.SORTS,
        "stale_after_days": plans.STALE_AFTER_DAYS,
        "today": today,
    }
    return render(request, "monitoring/panel.html", context, status=400 if errors else 200)
