"""JSON API for encounter notes, addenda, diagnoses and the ICD-10-CM code search.

Thin like the web views: parse, resolve through `dosewise.access`, call one service, render.
Every endpoint here is clinical: front desk and clinic admins get 404, as on the web.
"""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from dosewise.access import Need, get_patient, get_patient_record, require_clinical
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText, ReasonIn
from dosewise.audit.services import record
from dosewise.clinical import icd10, services
from dosewise.clinical.models import Diagnosis, Encounter, EncounterAddendum, Icd10CmCode
from dosewise.clinical.schemas import (
    AddendumIn,
    AddendumOut,
    DiagnosisChangeIn,
    DiagnosisIn,
    DiagnosisOut,
    EncounterChangeIn,
    EncounterIn,
    EncounterOut,
    EncounterSummaryOut,
    Icd10CodeOut,
)

router = Router(tags=["clinical"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
EncounterId = Annotated[str, Path(description="The encounter's public id (UUID).")]
DiagnosisId = Annotated[str, Path(description="The diagnosis' public id (UUID).")]
CODE_SEARCH = Query("", max_length=100, description="A code prefix (F31.8, f318) or words.")


def _with_note_details(encounter: Encounter) -> Encounter:
    """Load what `EncounterOut` shows, so the schema never queries."""
    prefetch_related_objects(
        [encounter],
        "clinician",
        "signed_by",
        Prefetch("addenda", queryset=EncounterAddendum.objects.select_related("author")),
    )
    return encounter


def _with_diagnosis_details(diagnosis: Diagnosis) -> Diagnosis:
    prefetch_related_objects([diagnosis], "recorded_by", "encounter")
    return diagnosis


# --- Encounters -------------------------------------------------------------------------------


@router.get("/patients/{patient_uuid}/encounters", response=list[EncounterSummaryOut])
def list_encounters(
    request: HttpRequest, patient_uuid: PatientId, include_entered_in_error: bool = False
) -> list[Encounter]:
    """The patient's encounters, newest first."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    encounters = patient.encounters.select_related("clinician").order_by(
        "-occurred_on", "-created_at"
    )
    if not include_entered_in_error:
        encounters = encounters.in_record()
    found = list(encounters)
    record(
        "encounter.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(found)},
    )
    return found


@router.post("/patients/{patient_uuid}/encounters", response={201: EncounterOut})
def start_encounter(
    request: HttpRequest, patient_uuid: PatientId, payload: EncounterIn
) -> Encounter:
    """Open a draft note written by the token's clinician (care team)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    encounter = services.start_encounter(actor, patient, **payload.model_dump(exclude_unset=True))
    return _with_note_details(encounter)


@router.get("/encounters/{encounter_uuid}", response=EncounterOut)
def get_encounter(request: HttpRequest, encounter_uuid: EncounterId) -> Encounter:
    actor = member(request)
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CHART)
    return _with_note_details(encounter)


@router.patch("/encounters/{encounter_uuid}", response=EncounterOut)
def update_encounter(
    request: HttpRequest, encounter_uuid: EncounterId, payload: EncounterChangeIn
) -> Encounter:
    """Change a draft (its own clinician only); a signed note takes addenda instead."""
    actor = member(request)
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    changes = payload.model_dump(exclude_unset=True)
    return _with_note_details(services.update_encounter(actor, encounter, **changes))


@router.post("/encounters/{encounter_uuid}/sign", response=EncounterOut)
def sign_encounter(request: HttpRequest, encounter_uuid: EncounterId) -> Encounter:
    """Sign a draft (its own clinician only): from then on it only receives addenda."""
    actor = member(request)
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    return _with_note_details(services.sign_encounter(actor, encounter))


@router.post("/encounters/{encounter_uuid}/addenda", response={201: AddendumOut})
def add_addendum(
    request: HttpRequest, encounter_uuid: EncounterId, payload: AddendumIn
) -> EncounterAddendum:
    """Append a dated addendum to a signed note (care team)."""
    actor = member(request)
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    return services.add_addendum(actor, encounter, text=payload.text)


@router.post("/encounters/{encounter_uuid}/entered-in-error", response=EncounterOut)
def mark_encounter_entered_in_error(
    request: HttpRequest, encounter_uuid: EncounterId, payload: ReasonIn
) -> Encounter:
    """Withdraw a note written by mistake; it stays in the record, marked (care team)."""
    actor = member(request)
    encounter = get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
    encounter = services.mark_encounter_entered_in_error(actor, encounter, reason=payload.reason)
    return _with_note_details(encounter)


# --- Diagnoses --------------------------------------------------------------------------------


@router.get("/patients/{patient_uuid}/diagnoses", response=list[DiagnosisOut])
def list_diagnoses(
    request: HttpRequest, patient_uuid: PatientId, include_entered_in_error: bool = False
) -> list[Diagnosis]:
    """The patient's problem list, by code."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    diagnoses = patient.diagnoses.select_related("recorded_by", "encounter").order_by(
        "code", "recorded_at"
    )
    if not include_entered_in_error:
        diagnoses = diagnoses.in_record()
    found = list(diagnoses)
    record(
        "diagnosis.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(found)},
    )
    return found


@router.post("/patients/{patient_uuid}/diagnoses", response={201: DiagnosisOut})
def add_diagnosis(request: HttpRequest, patient_uuid: PatientId, payload: DiagnosisIn) -> Diagnosis:
    """Add a diagnosis with a billable ICD-10-CM code (care team)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    fields = payload.model_dump(exclude={"encounter"})
    encounter = None
    if payload.encounter is not None:
        try:
            encounter = get_patient_record(actor, Encounter, payload.encounter, Need.CLINICAL_WRITE)
        except Http404:
            # A field of the body, not the resource of the URL: say which field is wrong.
            raise ValidationError({"encounter": ["No such encounter."]}) from None
    diagnosis = services.add_diagnosis(actor, patient, encounter=encounter, **fields)
    return _with_diagnosis_details(diagnosis)


@router.get("/diagnoses/{diagnosis_uuid}", response=DiagnosisOut)
def get_diagnosis(request: HttpRequest, diagnosis_uuid: DiagnosisId) -> Diagnosis:
    actor = member(request)
    diagnosis = get_patient_record(actor, Diagnosis, diagnosis_uuid, Need.CHART)
    return _with_diagnosis_details(diagnosis)


@router.patch("/diagnoses/{diagnosis_uuid}", response=DiagnosisOut)
def update_diagnosis(
    request: HttpRequest, diagnosis_uuid: DiagnosisId, payload: DiagnosisChangeIn
) -> Diagnosis:
    """Change status (e.g. active -> remission), onset or note (care team)."""
    actor = member(request)
    diagnosis = get_patient_record(actor, Diagnosis, diagnosis_uuid, Need.CLINICAL_WRITE)
    changes = payload.model_dump(exclude_unset=True)
    return _with_diagnosis_details(services.update_diagnosis(actor, diagnosis, **changes))


@router.post("/diagnoses/{diagnosis_uuid}/entered-in-error", response=DiagnosisOut)
def mark_diagnosis_entered_in_error(
    request: HttpRequest, diagnosis_uuid: DiagnosisId, payload: ReasonIn
) -> Diagnosis:
    """Withdraw a diagnosis recorded by mistake; it stays in the record, marked (care team)."""
    actor = member(request)
    diagnosis = get_patient_record(actor, Diagnosis, diagnosis_uuid, Need.CLINICAL_WRITE)
    diagnosis = services.mark_diagnosis_entered_in_error(actor, diagnosis, reason=payload.reason)
    return _with_diagnosis_details(diagnosis)


# --- ICD-10-CM --------------------------------------------------------------------------------


@router.get("/icd10cm", response=list[Icd10CodeOut])
def search_icd10cm(
    request: HttpRequest,
    q: QueryText = CODE_SEARCH,
    limit: int = Query(20, ge=1, le=100),
    billable_only: bool = False,
) -> list[Icd10CmCode]:
    """ICD-10-CM codes (April 2026 set) for the diagnosis picker (clinicians)."""
    require_clinical(member(request), what="icd10cm")
    return icd10.search(q, limit=limit, billable_only=billable_only)
