"""Lab results: the entry form and each patient's list of results."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dosewise.access import Need, get_patient
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.clinical import observations
from dosewise.clinical.observation_models import TEST_LOINC, Observation
from dosewise.domain.safety.facts import LAB_UNITS
from dosewise.forms import apply_errors

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
UNITS_HELP = "; ".join(f"{label}: {LAB_UNITS[value]}" for value, label in Observation.Test.choices)


class ObservationForm(forms.Form):
    test = forms.ChoiceField(choices=Observation.Test.choices)
    value = forms.CharField(label="Result", max_length=30)
    unit = forms.CharField(max_length=20, help_text=f"Units accepted: {UNITS_HELP}.")
    effective_on = forms.DateField(
        label="Sample date", widget=forms.DateInput(attrs={"type": "date"})
    )


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def observation_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    form = ObservationForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            observations.record_observation(actor, patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Lab result recorded.")
            return redirect(reverse("clinical:observation-list", args=[patient.uuid]))
    return render(
        request,
        "clinical/observation_form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def observation_list(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)
    rows = [
        {
            "observation": obs,
            "loinc": TEST_LOINC[obs.test],
            "value": format(obs.value.normalize(), "f"),
        }
        for obs in observations.results(patient)
    ]
    return render(
        request,
        "clinical/observation_list.html",
        {"patient": patient, "rows": rows},
    )
