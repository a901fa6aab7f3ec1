"""Encounter notes (intake, follow-up), signing and addenda, and the diagnosis picker."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.clinical import icd10, services
from dosewise.clinical.forms import AddendumForm, DiagnosisForm, DiagnosisStatusForm, EncounterForm
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.forms import apply_errors
from dosewise.htmx import render_page
from dosewise.patients.forms import ReasonForm

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def encounter_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    initial = {
        "kind": request.GET.get("kind", Encounter.Kind.INTAKE),
        "mode": Encounter.Mode.IN_PERSON,
        "occurred_on": timezone.localdate(),
    }
    form = EncounterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.start_encounter(actor, patient, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, "Draft saved. Add diagnoses, then sign when the note is complete."
            )
            return redirect(encounter)
    return render(
        request,
        "clinical/encounter_form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def encounter_detail(request: HttpRequest, encounter_uuid: str) -> HttpResponse:
    """A draft is edited here by its clinician; a signed note is read and receives addenda."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    need = Need.CLINICAL_WRITE if request.method == "POST" else Need.CHART
    encounter = get_patient_record(actor, Encounter, encounter_uuid, need)
    can_edit = encounter.is_draft and encounter.clinician_id == actor.user_id
    form = (
        EncounterForm(request.POST or None, instance=Encounter.objects.get(pk=encounter.pk))
        if can_edit
        else None
    )
    if request.method == "POST":
        if form is None:
            messages.error(request, "Only a draft can be edited, by its own clinician.")
            return redirect(encounter)
        if form.is_valid():
            try:
                services.update_encounter(actor, encounter, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Draft saved.")
                return redirect(encounter)
    context = {
        "encounter": encounter,
        "patient": encounter.patient,
        "form": form,
        "diagnoses": encounter.diagnoses.select_related("recorded_by").order_by("code"),
        "addenda": encounter.addenda.select_related("author"),
        "addendum_form": AddendumForm(),
        "diagnosis_form": DiagnosisForm(),
        "reason_form": ReasonForm(),
    }
    return render(
        request,
        "clinical/encounter_detail.html",
        context,
        status=400 if form is not None and form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_POST
def encounter_sign(request: HttpRequest, encounter_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    try:
        services.sign_encounter(actor, encounter)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Encounter signed. It can now only receive addenda.")
    return redirect(encounter)


@member_required(*CLINICAL_ROLES)
@require_POST
def encounter_addendum(request: HttpRequest, encounter_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    try:
        services.add_addendum(actor, encounter, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Addendum added.")
    return redirect(encounter)


@member_required(*CLINICAL_ROLES)
@require_POST
def encounter_entered_in_error(request: HttpRequest, encounter_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    try:
        services.mark_encounter_entered_in_error(
            actor, encounter, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(encounter)
    messages.success(request, "Encounter marked entered in error.")
    return redirect(encounter.patient)


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def diagnosis_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Add a diagnosis, optionally linked to an encounter (?encounter=UUID)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    encounter_uuid = request.POST.get("encounter") or request.GET.get("encounter")
    encounter = (
        get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
        if encounter_uuid
        else None
    )
    form = DiagnosisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            diagnosis = services.add_diagnosis(
                actor, patient, encounter=encounter, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Diagnosis {diagnosis.code} {diagnosis.description} added.")
            return redirect(encounter or patient)
    return render(
        request,
        "clinical/diagnosis_form.html",
        {"form": form, "patient": patient, "encounter": encounter},
        status=400 if form.errors else 200,
    )


@member_required(*CLINICAL_ROLES)
@require_POST
def diagnosis_status(request: HttpRequest, diagnosis_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    diagnosis = get_patient_record(actor, Diagnosis, diagnosis_uuid, Need.CLINICAL_WRITE)
    form = DiagnosisStatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"status": ["Choose a status."]})
        services.update_diagnosis(actor, diagnosis, status=form.cleaned_data["status"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{diagnosis.code} is now {form.cleaned_data['status']}.")
    return redirect(diagnosis.patient)


@member_required(*CLINICAL_ROLES)
@require_POST
def diagnosis_entered_in_error(request: HttpRequest, diagnosis_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    diagnosis = get_patient_record(actor, Diagnosis, diagnosis_uuid, Need.CLINICAL_WRITE)
    try:
        services.mark_diagnosis_entered_in_error(
            actor, diagnosis, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{diagnosis.code} marked entered in error.")
    return redirect(diagnosis.patient)


@member_required(*CLINICAL_ROLES)
@require_GET
def icd10_search(request: HttpRequest) -> HttpResponse:
    """Live search for the diagnosis picker: code prefix or words; billable codes can be chosen."""
    query = request.GET.get("q", "")[:100]
    results = icd10.search(query, limit=25) if query else []
    return render_page(
        request,
        "clinical/icd10_search.html",
        {"results": results, "query": query},
        partial="results",
    )
