"""Adherence at a follow-up visit, and the antidepressant trial review on the medication history.

- "Adherence at this visit": one row per current medication with the three FHIR adherence
  statuses and a note; submitting records every row answered (care team: prescribers, nurses).
- "Antidepressant trials": each trial with its verdict and PHQ-9 outcome, and the possible
  treatment-resistance suggestion for the prescriber to confirm or dismiss. The medication
  history page loads it as a card (HTMX, on load), so the history page itself keeps its pinned
  query count; without JavaScript it is a link to the same page.

Parse, resolve access, call one service (`dosewise.prescribing.adherence`), render.
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

from dosewise.access import Need, get_patient, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.domain import measurement, timeline
from dosewise.forms import apply_errors
from dosewise.htmx import render_page
from dosewise.prescribing import adherence, services
from dosewise.prescribing.models import AdherenceRecord, Prescription

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
TRIALS_TEMPLATE = "prescribing/antidepressant_trials.html"


def _actor(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _history(patient_uuid: object) -> str:
    return reverse("prescribing:medication-history", args=[patient_uuid])


# --- Adherence at this visit ------------------------------------------------------------------


class VisitAdherenceForm(forms.Form):
    """The visit date, then a status and a note per current medication (rows left blank are
    not recorded: not asked)."""

    on = forms.DateField(
        label="Visit date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the visit date.",
            "invalid": "Write the date as YYYY-MM-DD.",
        },
    )

    def __init__(self, *args: Any, prescriptions: list[Prescription], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prescriptions = prescriptions
        for item in prescriptions:
            self.fields[f"status_{item.uuid}"] = forms.ChoiceField(
                label=f"{item.drug}: adherence",
                choices=AdherenceRecord.Status.choices,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": f"Status for {item.drug}: choose one of the answers shown."
                },
            )
            self.fields[f"note_{item.uuid}"] = forms.CharField(
                label=f"{item.drug}: note",
                required=False,
                max_length=adherence.NOTE_MAX,
            )

    def rows(self) -> list[tuple[Prescription, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"status_{item.uuid}"], self[f"note_{item.uuid}"])
            for item in self.prescriptions
        ]

    def reports(self) -> dict[Prescription, tuple[str, str]]:
        return {
            item: (self.cleaned_data[f"status_{item.uuid}"], self.cleaned_data[f"note_{item.uuid}"])
            for item in self.prescriptions
            if self.cleaned_data[f"status_{item.uuid}"]
        }


@dataclass(frozen=True)
class Row:
    prescription: Prescription
    daily: str
    status: forms.BoundField
    note: forms.BoundField


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def adherence_visit(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Record what the patient reports about each current medication at this visit."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    today = timezone.localdate()
    current = services.current_prescriptions(patient, on=today)
    form = VisitAdherenceForm(
        request.POST if request.method == "POST" else None,
        prescriptions=current,
        initial={"on": today},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                written = adherence.record_visit_adherence(
                    actor, patient, reports=form.reports(), on=form.cleaned_data["on"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Adherence recorded for {len(written)} "
                    f"medication{'s' if len(written) != 1 else ''}.",
                )
                return redirect(_history(patient.uuid))
        status = 400
    rows = [
        Row(item, timeline.mg_per_day(item.daily_mg), status_field, note_field)
        for item, status_field, note_field in form.rows()
    ]
    context = {"patient": patient, "form": form, "rows": rows, "today": today}
    return render(request, "prescribing/adherence_visit_form.html", context, status=status)


# --- Antidepressant trials --------------------------------------------------------------------


@dataclass(frozen=True)
class TrialRow:
    """One line of the trials table, in words."""

    drug: str
    start: str
    end: str  # "" while the course continues
    weeks: str  # "6.0 of 6"
    minimum: str  # "50 mg/day (unverified)"
    adequate: bool
    reason: str
    phq9: str  # "20 → 18"
    improvement: str  # "10.0 %" (negative: worse); "" when it cannot be judged
    note: str
    not_improving: bool


def _trial_row(outcome: measurement.TrialOutcome) -> TrialRow:
    trial = outcome.trial
    phq9 = ""
    if outcome.baseline is not None and outcome.outcome is not None:
        phq9 = f"{outcome.baseline.total} → {outcome.outcome.total}"
    improvement = ""
    if outcome.change_percent is not None:
        improvement = f"{-outcome.change_percent:f} %"
    return TrialRow(
        drug=trial.drug,
        start=trial.start.isoformat(),
        end=trial.end.isoformat() if trial.end else "",
        weeks=f"{trial.weeks_at_adequate_dose:f} of {trial.required_weeks}",
        minimum=f"{timeline.mg_per_day(trial.minimum_mg_per_day)} "
        f"({trial.minimum_verification.value})",
        adequate=trial.adequate,
        reason=trial.reason,
        phq9=phq9,
        improvement=improvement,
        note=outcome.note,
        not_improving=bool(outcome.not_improving),
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def antidepressant_trials(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """The trial review: a card for the medication history page (HTMX) or a page of its own."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    card = adherence.trial_card(patient, on=today)
    context = {
        "patient": patient,
        "today": today,
        "card": card,
        "rows": [_trial_row(item) for item in card.review.outcomes] if card.review else [],
        "suggestion": card.review.suggestion if card.review else None,
        "on_care_team": is_on_care_team(actor, patient),
    }
    return render_page(request, TRIALS_TEMPLATE, context, partial="trials-card")


@member_required(Membership.Role.PRESCRIBER)
@require_POST
def trd_suggestion_decide(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Confirm or dismiss the possible treatment-resistance suggestion (prescribers)."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    try:
        made = adherence.decide_trd_suggestion(
            actor,
            patient,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", "").strip(),
        )
    except ValidationError as exc:
        words = {"decision": "Decision", "note": "Note"}
        for field, errors in exc.message_dict.items():
            messages.error(request, f"{words.get(field, field)}: {' '.join(errors)}")
        return redirect(reverse("prescribing:antidepressant-trials", args=[patient.uuid]))
    messages.success(
        request, f"Treatment-resistance suggestion {made.get_decision_display().lower()}."
    )
    return redirect(_history(patient.uuid))
