"""Lab results and vitals: the entry form, each patient's results, withdrawing a result, and the
benign-ethnic-neutropenia setting that changes how an ANC reads."""

from __future__ import annotations

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
from dosewise.clinical import observations
from dosewise.clinical.observation_models import Observation
from dosewise.domain.labs import catalogue
from dosewise.forms import apply_errors
from dosewise.htmx import render_page

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
GROUP_LABELS = {"lab": "Labs", "vital": "Vitals"}
# One blood-pressure entry records both rows; the single rows stay reachable through the API.
HIDDEN_FROM_FORM = {"bp_systolic", "bp_diastolic"}


def lab_test_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The test select, grouped labs / vitals, in catalogue order."""
    grouped = []
    for group, tests in catalogue().grouped().items():
        options = [(t.id, t.name) for t in tests if t.id not in HIDDEN_FROM_FORM]
        if group == "vital":
            options.append((observations.BLOOD_PRESSURE, "Blood pressure (systolic/diastolic)"))
        grouped.append((GROUP_LABELS[group], options))
    return grouped


def unit_choices(test_id: str) -> list[tuple[str, str]]:
    """The units the selected test accepts (the canonical one first); none for a coded test."""
    if test_id == observations.BLOOD_PRESSURE:
        test_id = "bp_systolic"
    test = catalogue().tests.get(test_id)
    if test is None:
        return []
    if test.coded:
        return [("", "(no unit: answer with a code)")]
    return [(code, code) for code in test.unit_codes]


class ObservationForm(forms.Form):
    test = forms.ChoiceField(choices=lab_test_choices)
    value = forms.CharField(
        label="Result",
        max_length=30,
        help_text="A number; blood pressure as 128/82; HLA-B*15:02 as positive or negative.",
    )
    # A select of the test's units; a free CharField so the service's message, which names the
    # accepted units, is the one shown when the test changed without the units (no script).
    unit = forms.CharField(required=False, max_length=24, widget=forms.Select())
    effective_on = forms.DateField(
        label="Sample date", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, units_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        selected = self.data.get("test") or self.initial.get("test") or "lithium"
        self.fields["unit"].widget.choices = unit_choices(str(selected))
        if units_url:
            # HTMX swaps the unit select for the chosen test's units (no inline script: CSP).
            # The fragment is the whole #unit-field div, so it replaces the div (outerHTML).
            self.fields["test"].widget.attrs.update(
                {
                    "hx-get": units_url,
                    "hx-trigger": "change",
                    "hx-target": "#unit-field",
                    "hx-swap": "outerHTML",
                }
            )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(max_length=300)


def _record(actor: Membership, patient: Any, data: dict[str, Any]) -> None:
    if data["test"] == observations.BLOOD_PRESSURE:
        systolic, diastolic = observations.parse_blood_pressure(data["value"])
        observations.record_blood_pressure(
            actor,
            patient,
            systolic=systolic,
            diastolic=diastolic,
            unit=data["unit"],
            effective_on=data["effective_on"],
        )
    else:
        observations.record_observation(
            actor,
            patient,
            test=data["test"],
            value=data["value"],
            unit=data["unit"],
            effective_on=data["effective_on"],
        )


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def observation_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    units_url = reverse("clinical:observation-units", args=[patient.uuid])
    form = ObservationForm(
        request.POST or None,
        initial={"effective_on": timezone.localdate(), "test": request.GET.get("test", "")},
        units_url=units_url,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _record(actor, patient, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Result recorded.")
            return redirect(reverse("clinical:observation-list", args=[patient.uuid]))
    return render(
        request,
        "clinical/observation_form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def observation_units(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """The unit field for the chosen test (HTMX fragment of the entry form)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    form = ObservationForm(initial={"test": request.GET.get("test", "")})
    return render_page(
        request,
        "clinical/observation_form.html",
        {"form": form, "patient": patient},
        partial="unit-field",
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def observation_list(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)
    tests = catalogue().tests
    selected = request.GET.get("test", "")
    if selected not in tests:
        selected = ""
    rows = observations.results(patient, test=selected)
    record_filter = [(t.id, t.name) for t in tests.values()]
    return render(
        request,
        "clinical/observation_list.html",
        {
            "patient": patient,
            "rows": rows,
            "tests": record_filter,
            "selected": selected,
            "can_write": is_on_care_team(actor, patient),
            "shows_anc": any(obs.test == "anc" for obs in rows) or selected in ("", "anc"),
            "error_form": EnteredInErrorForm(),
        },
    )


@member_required(*CLINICAL_ROLES)
@require_POST
def observation_entered_in_error(request: HttpRequest, observation_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    observation = get_patient_record(actor, Observation, observation_uuid, Need.CLINICAL_WRITE)
    form = EnteredInErrorForm(request.POST)
    target = reverse("clinical:observation-list", args=[observation.patient.uuid])
    if not form.is_valid():
        messages.error(request, "Say why this result was entered in error.")
        return redirect(target)
    try:
        observations.mark_observation_entered_in_error(
            actor, observation, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Result marked entered in error.")
    return redirect(target)


@member_required(*CLINICAL_ROLES)
@require_POST
def benign_ethnic_neutropenia(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    value = request.POST.get("benign_ethnic_neutropenia") == "yes"
    observations.set_benign_ethnic_neutropenia(actor, patient, value=value)
    messages.success(
        request,
        "Benign ethnic neutropenia recorded: later ANC results read against 1000/uL."
        if value
        else "Benign ethnic neutropenia removed: later ANC results read against 1500/uL.",
    )
    return redirect(reverse("clinical:observation-list", args=[patient.uuid]))
