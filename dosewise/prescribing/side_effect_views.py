"""Side-effect reports in the clinic: the "Report a side effect" form, each patient's list, and
one report's page (with its alert, the regimen actions it may call for, and entered in error).

Parse, resolve access, call one service (`dosewise.prescribing.side_effects`), render. Recording
"dose reduced" or "stopped" does not change the regimen: the report's page links to the
prescription's change-dose and discontinue actions, which are the prescriber's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.forms import apply_errors
from dosewise.prescribing import side_effects
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.side_effect_models import SideEffectReport

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
# Actions whose change to the regimen is a separate, prescriber's step.
REGIMEN_ACTIONS = (SideEffectReport.Action.DOSE_REDUCED, SideEffectReport.Action.STOPPED)
CHANGEABLE = (Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD)


def _actor(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class SideEffectForm(forms.Form):
    """What the patient felt, how bad, since when, which medications are suspected, and what
    was done. Clinical checks (onset against the drugs' dates, alerts) are the service's."""

    symptom = forms.ChoiceField(
        choices=[("", "Choose a symptom")] + list(SideEffectReport.Symptom.choices),
        error_messages={"required": "Choose the symptom."},
    )
    other_text = forms.CharField(
        label="Describe the symptom",
        required=False,
        max_length=side_effects.OTHER_TEXT_MAX,
        help_text="Only when the symptom is Other.",
    )
    severity = forms.ChoiceField(
        choices=SideEffectReport.Severity.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the severity."},
    )
    onset_on = forms.DateField(
        label="Onset",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the date the symptom began.",
            "invalid": "Write the date as YYYY-MM-DD.",
        },
    )
    suspected = forms.MultipleChoiceField(
        label="Suspected medications",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one suspected medication.",
            "invalid_choice": "Choose from the medications listed.",
        },
    )
    action = forms.ChoiceField(
        label="Action taken",
        choices=SideEffectReport.Action.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the action taken."},
        help_text="Recording a dose reduction or a stop does not change the prescription: "
        "the report's page links to the prescription's change-dose and discontinue actions.",
    )
    reported_by = forms.ChoiceField(
        label="Reported by",
        choices=SideEffectReport.ReportedBy.choices,
        initial=SideEffectReport.ReportedBy.CLINICIAN,
    )
    notes = forms.CharField(
        required=False, max_length=side_effects.NOTES_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, options: list[side_effects.SuspectOption], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suspected"].choices = [  # type: ignore[attr-defined]
            (str(option.prescription.uuid), option.label) for option in options
        ]


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def side_effect_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Report a side effect (care team): the suspected drugs are the current and recently
    stopped medications (ticked in advance with `?prescription=<uuid>`)."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    today = timezone.localdate()
    options = side_effects.suspect_options(patient, on=today)
    ticked = [value for value in request.GET.getlist("prescription") if value]
    form = SideEffectForm(
        request.POST if request.method == "POST" else None,
        options=options,
        initial={"onset_on": today, "suspected": ticked},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = side_effects.record_side_effect(
                actor,
                patient,
                symptom=data["symptom"],
                other_text=data["other_text"],
                severity=data["severity"],
                onset_on=data["onset_on"],
                action=data["action"],
                suspected=data["suspected"],
                reported_by=data["reported_by"],
                notes=data["notes"],
                today=today,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Side effect recorded: {report.symptom_label}.")
            alert = side_effects.alert_of(report)
            if alert is not None:
                messages.warning(request, f"Urgent alert raised: {alert.reason}")
            return redirect(reverse("prescribing:side-effect-detail", args=[report.uuid]))
    context = {"patient": patient, "form": form, "has_options": bool(options)}
    return render(
        request,
        "prescribing/side_effect_form.html",
        context,
        status=400 if form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def side_effect_list(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Every side-effect report of the patient, newest onset first (entered-in-error ones
    marked); audited as `side-effect.list`."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    reports = side_effects.reports_for(patient)
    record(
        "side-effect.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(reports)},
    )
    rows = [(report, side_effects.alert_of(report)) for report in reports]
    context = {"patient": patient, "rows": rows, "on_care_team": is_on_care_team(actor, patient)}
    return render(request, "prescribing/side_effect_list.html", context)


@dataclass(frozen=True)
class RegimenLink:
    """A regimen action the report's action calls for, on one suspected prescription."""

    label: str
    url: str


def _regimen_links(report: SideEffectReport, actor: Membership) -> list[RegimenLink]:
    if report.action not in REGIMEN_ACTIONS or actor.role != Membership.Role.PRESCRIBER:
        return []
    name, words = (
        ("prescribing:prescription-change-dose", "Change the dose of")
        if report.action == SideEffectReport.Action.DOSE_REDUCED
        else ("prescribing:prescription-discontinue", "Discontinue")
    )
    return [
        RegimenLink(f"{words} {prescription.drug}", reverse(name, args=[prescription.uuid]))
        for prescription in report.suspected.all()
        if prescription.status in CHANGEABLE
    ]


@member_required(*CLINICAL_ROLES)
@require_GET
def side_effect_detail(request: HttpRequest, report_uuid: str) -> HttpResponse:
    """One report: what was reported, the alert it raised, and the regimen actions it calls for."""
    actor = _actor(request)
    found = get_patient_record(actor, SideEffectReport, report_uuid, Need.CHART)
    current = side_effects.report_with_links(found)
    on_care_team = is_on_care_team(actor, found.patient)
    context = {
        "patient": found.patient,
        "report": current,
        "alert": side_effects.alert_of(current),
        "on_care_team": on_care_team,
        "regimen_links": _regimen_links(current, actor) if on_care_team else [],
        "asks_regimen_change": current.action in REGIMEN_ACTIONS,
        "any_active": any(item.status in CHANGEABLE for item in current.suspected.all()),
    }
    return render(request, "prescribing/side_effect_detail.html", context)


@member_required(*CLINICAL_ROLES)
@require_POST
def side_effect_entered_in_error(request: HttpRequest, report_uuid: str) -> HttpResponse:
    """Mark a report entered in error, with a reason (care team)."""
    actor = _actor(request)
    report = get_patient_record(actor, SideEffectReport, report_uuid, Need.CLINICAL_WRITE)
    try:
        side_effects.mark_side_effect_entered_in_error(
            actor, report, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            messages.error(request, " ".join(errors))
    else:
        messages.success(request, "Side-effect report marked entered in error.")
    return redirect(reverse("prescribing:side-effect-detail", args=[report.uuid]))
