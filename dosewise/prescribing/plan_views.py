"""Plans in the clinic: plan a titration, taper or switch, review and edit the draft, activate,
confirm each step on its date, slow down, pause or stop; the patient's calendar and .ics file.

Parse, resolve access (`dosewise.access`), call one service (`dosewise.prescribing.plans`),
render. 400 for bad input (errors beside the fields), 409 when a step needs the prescriber's
answer to safety findings.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.clinical.models import Diagnosis
from dosewise.forms import apply_errors
from dosewise.prescribing import plans, services
from dosewise.prescribing.forms import finding_rows
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.services import SafetyBlock, SafetyDecision

PRESCRIBER = Membership.Role.PRESCRIBER
CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
DATE_ERRORS = {"required": "Give the date.", "invalid": "Write the date as YYYY-MM-DD."}


def _actor(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _plan(actor: Membership, plan_uuid: object, need: Need) -> Plan:
    return get_patient_record(actor, Plan, plan_uuid, need)


def _step(actor: Membership, step_uuid: uuid.UUID, need: Need) -> PlanStep:
    """The step, reached through its plan's access rules (unknown: an audited 404)."""
    found = PlanStep.objects.select_related("plan").filter(uuid=step_uuid).first()
    plan = _plan(actor, found.plan.uuid if found else step_uuid, need)
    step = found if found is not None else PlanStep()  # unknown: refused above with a 404
    step.plan = plan
    return step


def _field_errors(request: HttpRequest, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {' '.join(errors)}")
    else:
        messages.error(request, " ".join(exc.messages))


# --- Planning ---------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """What to plan; which fields matter depends on the kind (the planner names the missing)."""

    kind = forms.ChoiceField(choices=Plan.Kind.choices, error_messages={"required": "Choose."})
    start = forms.DateField(label="Start on", widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    drug = forms.CharField(
        label="Drug", required=False, max_length=80, help_text="Titration of a new drug."
    )
    indication = forms.ModelChoiceField(
        queryset=Diagnosis.objects.none(),
        required=False,
        help_text="Needed when the plan starts a drug; else the prescription's.",
    )
    from_mg = forms.DecimalField(
        label="From (mg a day)",
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=3,
        help_text="Left blank: the current prescription's daily dose.",
    )
    to_mg = forms.DecimalField(
        label="Target (mg a day)", required=False, min_value=0, max_digits=9, decimal_places=3
    )
    step_mg = forms.DecimalField(
        label="Step (mg)", required=False, min_value=0, max_digits=9, decimal_places=3
    )
    interval_days = forms.IntegerField(
        label="Days between steps", required=False, min_value=1, max_value=365
    )
    method = forms.ChoiceField(
        choices=[("hyperbolic", "Hyperbolic (a share of the current dose)"), ("linear", "Linear")],
        required=False,
    )
    step_percent = forms.DecimalField(
        label="Reduce by (%)", required=False, min_value=1, max_value=100, decimal_places=1
    )
    to_drug = forms.CharField(label="Switch to", required=False, max_length=80)
    strategy = forms.ChoiceField(
        choices=[
            ("cross-taper", "Cross-taper"),
            ("taper-then-switch", "Taper, then switch"),
            ("direct", "Direct switch"),
        ],
        required=False,
    )
    reason = forms.CharField(required=False, max_length=plans.REASON_MAX)

    def __init__(self, *args: Any, patient: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indication"].queryset = Diagnosis.objects.filter(  # type: ignore[attr-defined]
            patient=patient, status__in=Diagnosis.ACTIVE_STATUSES
        )

    def request(self) -> plans.PlanRequest:
        data = self.cleaned_data
        return plans.PlanRequest(
            kind=data["kind"],
            start=data["start"],
            drug=data["drug"],
            to_mg=data["to_mg"],
            from_mg=data["from_mg"],
            step_mg=data["step_mg"],
            interval_days=data["interval_days"],
            method=data["method"] or "hyperbolic",
            step_percent=data["step_percent"],
            to_drug=data["to_drug"],
            strategy=data["strategy"] or "cross-taper",
        )


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Plan a taper, titration or switch (from `?prescription=` when it adjusts one)."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    source = request.POST if request.method == "POST" else request.GET
    prescription = None
    if source.get("prescription"):
        prescription = get_patient_record(
            actor, Prescription, source["prescription"], Need.CLINICAL_WRITE
        )
    kind = source.get("kind", Plan.Kind.TAPER)
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        patient=patient,
        initial={"kind": kind, "start": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = plans.create_plan(
                    actor,
                    patient,
                    form.request(),
                    prescription=prescription,
                    indication=form.cleaned_data["indication"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Draft plan made: review the steps, then activate.")
                return redirect(plan.get_absolute_url())
        status = 400
    context = {"patient": patient, "form": form, "prescription": prescription, "kind": kind}
    return render(request, "prescribing/plan_form.html", context, status=status)


@member_required(*CLINICAL_ROLES)
@require_GET
def plan_list(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """The patient's plans, newest first, with links to plan a new one."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    context = {
        "patient": patient,
        "plans": Plan.objects.filter(patient=patient).order_by("-created_at"),
        "current": [
            item
            for item in services.current_prescriptions(patient, on=timezone.localdate())
            if not item.is_outside
        ],
        "can_plan": actor.role == PRESCRIBER and is_on_care_team(actor, patient),
    }
    return render(request, "prescribing/plan_list.html", context)


# --- The plan ---------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    plan: Plan,
    *,
    status: int = 200,
    blocked: SafetyBlock | None = None,
    blocked_step: PlanStep | None = None,
    step_findings: list[Any] | None = None,
) -> HttpResponse:
    actor = _actor(request)
    steps = list(plan.steps.select_related("regimen_event", "confirmed_by").order_by("sequence"))
    context = {
        "patient": plan.patient,
        "plan": plan,
        "steps": steps,
        "due": plans.due_step(plan),
        "today": timezone.localdate(),
        "can_change": actor.role == PRESCRIBER and is_on_care_team(actor, plan.patient),
        "blocked_rows": finding_rows(blocked.findings) if blocked else [],
        "blocked_step": blocked_step,
        "step_rows": finding_rows(step_findings or []),
    }
    return render(request, "prescribing/plan_detail.html", context, status=status)


@member_required(*CLINICAL_ROLES)
@require_GET
def plan_detail(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    """The plan's steps; for the prescriber, edit (draft), activate, confirm today's step."""
    return _detail(request, _plan(_actor(request), plan_uuid, Need.CHART))


def _plan_action(request: HttpRequest, plan_uuid: uuid.UUID, action: str) -> HttpResponse:
    actor = _actor(request)
    plan = _plan(actor, plan_uuid, Need.CLINICAL_WRITE)
    try:
        if action == "activate":
            plans.activate(actor, plan)
        elif action == "pause":
            plans.pause(actor, plan)
        elif action == "resume":
            plans.resume(actor, plan)
        else:
            plans.stop(actor, plan, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _field_errors(request, exc)
    else:
        words = {"activate": "activated", "pause": "paused", "resume": "resumed", "stop": "stopped"}
        messages.success(request, f"Plan {words[action]}.")
    return redirect(plan.get_absolute_url())


@member_required(PRESCRIBER)
@require_POST
def plan_activate(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    return _plan_action(request, plan_uuid, "activate")


@member_required(PRESCRIBER)
@require_POST
def plan_pause(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    return _plan_action(request, plan_uuid, "pause")


@member_required(PRESCRIBER)
@require_POST
def plan_resume(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    return _plan_action(request, plan_uuid, "resume")


@member_required(PRESCRIBER)
@require_POST
def plan_stop(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    return _plan_action(request, plan_uuid, "stop")


class StepForm(forms.Form):
    on = forms.DateField(label="Date", widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    daily_dose_mg = forms.DecimalField(
        label="mg a day",
        min_value=0,
        max_digits=10,
        decimal_places=3,
        error_messages={"required": "Give the daily dose in mg (0 to stop)."},
    )


@member_required(PRESCRIBER)
@require_POST
def plan_step_edit(request: HttpRequest, step_uuid: uuid.UUID) -> HttpResponse:
    """Change a planned step's date or dose; the new dose is re-checked for safety."""
    actor = _actor(request)
    step = _step(actor, step_uuid, Need.CLINICAL_WRITE)
    form = StepForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"Step {step.sequence}, {field}: {' '.join(str(e) for e in errors)}"
            )
        return _detail(request, step.plan, status=400)
    try:
        _, findings = plans.edit_step(
            actor,
            step,
            daily_dose_mg=form.cleaned_data["daily_dose_mg"],
            on=form.cleaned_data["on"],
        )
    except ValidationError as exc:
        _field_errors(request, exc)
        return _detail(request, step.plan, status=400)
    messages.success(request, f"Step {step.sequence} changed.")
    if findings:
        return _detail(request, step.plan, step_findings=findings)
    return redirect(step.plan.get_absolute_url())


@member_required(PRESCRIBER)
@require_POST
def plan_step_repeat(request: HttpRequest, step_uuid: uuid.UUID) -> HttpResponse:
    """Slow down: hold this step's dose one more interval."""
    actor = _actor(request)
    step = _step(actor, step_uuid, Need.CLINICAL_WRITE)
    try:
        repeated = plans.repeat_step(actor, step)
    except ValidationError as exc:
        _field_errors(request, exc)
    else:
        messages.success(
            request, f"Step repeated; the next change is now on {repeated.on.isoformat()}."
        )
    return redirect(step.plan.get_absolute_url())


def _decision(data: Any) -> SafetyDecision:
    reasons = {
        key.removeprefix("override_"): value.strip()
        for key, value in data.items()
        if key.startswith("override_") and value.strip()
    }
    acknowledged = frozenset(
        key.removeprefix("acknowledge_") for key in data if key.startswith("acknowledge_")
    )
    return SafetyDecision(reasons=reasons, acknowledged=acknowledged)


@member_required(PRESCRIBER)
@require_POST
def plan_step_confirm(request: HttpRequest, step_uuid: uuid.UUID) -> HttpResponse:
    """Apply today's step to the medication history."""
    actor = _actor(request)
    step = _step(actor, step_uuid, Need.CLINICAL_WRITE)
    pdmp = request.POST.get("pdmp_checked_on", "").strip()
    try:
        pdmp_on = dt.date.fromisoformat(pdmp) if pdmp else None
    except ValueError:
        messages.error(request, "PDMP checked on: write the date as YYYY-MM-DD.")
        return _detail(request, step.plan, status=400)
    try:
        plans.confirm_step(actor, step, decision=_decision(request.POST), pdmp_checked_on=pdmp_on)
    except SafetyBlock as exc:
        return _detail(request, step.plan, status=409, blocked=exc, blocked_step=step)
    except ValidationError as exc:
        _field_errors(request, exc)
        return _detail(request, step.plan, status=400)
    messages.success(request, f"Step {step.sequence} confirmed and recorded.")
    return redirect(step.plan.get_absolute_url())


# --- The patient's calendar -------------------------------------------------------------------


@member_required(*CLINICAL_ROLES)
@require_GET
def plan_calendar(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    """A printable day-by-day calendar for the patient: date, dose, which tablets."""
    plan = _plan(_actor(request), plan_uuid, Need.CHART)
    context = {"patient": plan.patient, "plan": plan, "days": plans.calendar(plan)}
    return render(request, "prescribing/plan_calendar.html", context)


def ics_text(value: str) -> str:
    """RFC 5545 TEXT: escape backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on the next with a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def plan_ics_text(plan: Plan, *, stamp: dt.datetime) -> str:
    """One all-day event per step (skipped steps left out)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Dosewise//Treatment plan//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for step in plan.steps.exclude(status=PlanStep.Status.SKIPPED).order_by("sequence"):
        dose = f"{step.daily_dose_mg.normalize():f}"
        summary = (
            f"Stop {step.drug}"
            if step.daily_dose_mg == 0
            else f"{step.drug}: {dose} mg a day from today"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{step.uuid}@dosewise",
            f"DTSTAMP:{stamp.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{step.on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{step.on + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_text(summary)}",
            f"DESCRIPTION:{ics_text(step.take)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


@member_required(*CLINICAL_ROLES)
@require_GET
def plan_ics(request: HttpRequest, plan_uuid: uuid.UUID) -> HttpResponse:
    """The plan's steps as an iCalendar file for the patient's phone."""
    plan = _plan(_actor(request), plan_uuid, Need.CHART)
    response = HttpResponse(
        plan_ics_text(plan, stamp=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.uuid}.ics"'
    return response
