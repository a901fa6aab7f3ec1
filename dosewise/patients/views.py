"""Patient list and search, registration, the chart, allergies and care team."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team, visible_patients
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.assessment_views import latest_scores, open_alert_banners
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.forms import apply_errors
from dosewise.htmx import render_page
from dosewise.patients import services
from dosewise.patients.forms import AllergyForm, PatientForm, PatientSearchForm, ReasonForm
from dosewise.patients.models import Allergy, CareTeamMember, Patient
from dosewise.prescribing.record_views import medication_record

PAGE_SIZE = 50


@member_required()
def patient_list(request: HttpRequest) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    form = PatientSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    patients = visible_patients(actor).search(query).order_by("family_name", "given_name", "mrn")
    rows = list(patients[: PAGE_SIZE + 1])
    record(
        "patient.list",
        actor=actor.user,
        organization=actor.organization,
        detail={"query": query, "shown": min(len(rows), PAGE_SIZE)},
    )
    return render_page(
        request,
        "patients/patient_list.html",
        {"form": form, "patients": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "query": query},
        partial="results",
    )


@member_required()
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.register_patient(actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{patient.full_name} registered.")
            return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "patient": None},
        status=400 if form.errors else 200,
    )


@member_required()
def patient_chart(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Clinicians see the chart summary; front desk and admins see demographics only."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    if not actor.is_clinical:
        patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
        return render(request, "patients/patient_demographics.html", {"patient": patient})
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    context = {
        "patient": patient,
        "alert_banners": open_alert_banners(patient),
        "latest_scores": latest_scores(patient, today=today),
        "allergies": patient.allergies.exclude(status=Allergy.Status.ENTERED_IN_ERROR).order_by(
            "substance"
        ),
        "diagnoses": Diagnosis.objects.filter(patient=patient).active().order_by("code"),
        "other_diagnoses": Diagnosis.objects.filter(
            patient=patient, status__in=["remission", "resolved"]
        ).order_by("code"),
        "encounters": Encounter.objects.filter(patient=patient)
        .in_record()
        .select_related("clinician")
        .order_by("-occurred_on", "-created_at")[:10],
        "care_team": CareTeamMember.objects.current()
        .filter(patient=patient)
        .select_related("user"),
        "on_care_team": is_on_care_team(actor, patient),
        "regimen": medication_record(patient, on=today).regimen,
        "allergy_form": AllergyForm(),
        "join_form": ReasonForm(),
    }
    return render(request, "patients/patient_chart.html", context)


@member_required()
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.EDIT_DEMOGRAPHICS)
    form = PatientForm(request.POST or None, instance=Patient.objects.get(pk=patient.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_demographics(actor, patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Details saved.")
            return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@member_required(Membership.Role.PRESCRIBER, Membership.Role.NURSE)
@require_POST
def allergy_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    form = AllergyForm(request.POST)
    if form.is_valid():
        try:
            services.record_allergy(actor, patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Allergy to {form.cleaned_data['substance']} recorded.")
            return redirect(patient)
    return render(
        request, "patients/allergy_form.html", {"form": form, "patient": patient}, status=400
    )


@member_required(Membership.Role.PRESCRIBER, Membership.Role.NURSE)
@require_POST
def allergy_entered_in_error(request: HttpRequest, allergy_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    allergy = get_patient_record(actor, Allergy, allergy_uuid, Need.CLINICAL_WRITE)
    try:
        services.mark_allergy_entered_in_error(
            actor, allergy, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Allergy to {allergy.substance} marked entered in error.")
    return redirect(allergy.patient)


@member_required(Membership.Role.PRESCRIBER, Membership.Role.NURSE)
@require_POST
def care_team_join(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.join_care_team(actor, patient, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "You joined the care team.")
    else:
        messages.error(request, "Say why you are joining the care team.")
    return redirect(patient)
