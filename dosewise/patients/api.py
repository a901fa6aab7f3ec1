"""JSON API for patients: search, registration, demographics, allergies and the care team.

Thin like the web views: parse, resolve through `dosewise.access`, call one service, render.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest
from ninja import Path, Query, Router

from dosewise.access import Need, get_patient, get_patient_record, visible_patients
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText, ReasonIn
from dosewise.audit.services import record
from dosewise.patients import services
from dosewise.patients.models import Allergy, CareTeamMember, Patient
from dosewise.patients.schemas import (
    AllergyIn,
    AllergyOut,
    CareTeamJoinIn,
    CareTeamMemberOut,
    PatientChangeIn,
    PatientDetailOut,
    PatientIn,
    PatientOut,
    PatientPage,
)

# Far above any clinic's patient count; unbounded, a huge offset overflows SQLite's integer.
MAX_OFFSET = 10_000_000

router = Router(tags=["patients"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
AllergyId = Annotated[str, Path(description="The allergy's public id (UUID).")]
PATIENT_SEARCH = Query("", max_length=100, description="Name words, an MRN, or a date of birth.")


def _allergies(*, include_entered_in_error: bool = False) -> QuerySet[Allergy]:
    allergies = Allergy.objects.select_related("recorded_by").order_by("substance", "recorded_at")
    if include_entered_in_error:
        return allergies
    return allergies.exclude(status=Allergy.Status.ENTERED_IN_ERROR)


@router.get("/patients", response=PatientPage)
def list_patients(
    request: HttpRequest,
    q: QueryText = PATIENT_SEARCH,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Patients of the token's organization, by family name; search like the web list."""
    actor = member(request)
    patients = visible_patients(actor).search(q).order_by("family_name", "given_name", "mrn")
    items = list(patients[offset : offset + limit])
    count = patients.count()
    record(
        "patient.list",
        actor=actor.user,
        organization=actor.organization,
        detail={"q": q, "count": len(items)},
    )
    return {"count": count, "limit": limit, "offset": offset, "items": items}


@router.post("/patients", response={201: PatientOut})
def register_patient(request: HttpRequest, payload: PatientIn) -> Patient:
    """Register a patient; a clinician who registers joins the care team."""
    actor = member(request)
    return services.register_patient(actor, **payload.model_dump(exclude_unset=True))


@router.get("/patients/{patient_uuid}", response=PatientDetailOut)
def get_patient_detail(request: HttpRequest, patient_uuid: PatientId) -> Patient:
    """Demographics for every role; clinicians also get the allergies (a chart opening)."""
    actor = member(request)
    if not actor.is_clinical:
        return get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    prefetch_related_objects(
        [patient], Prefetch("allergies", queryset=_allergies(), to_attr="allergies_in_record")
    )
    return patient


@router.patch("/patients/{patient_uuid}", response=PatientOut)
def update_patient(
    request: HttpRequest, patient_uuid: PatientId, payload: PatientChangeIn
) -> Patient:
    """Change demographics: send only the fields that change."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.EDIT_DEMOGRAPHICS)
    changes = payload.model_dump(exclude_unset=True)
    return services.update_demographics(actor, patient, **changes)


@router.get("/patients/{patient_uuid}/allergies", response=list[AllergyOut])
def list_allergies(
    request: HttpRequest, patient_uuid: PatientId, include_entered_in_error: bool = False
) -> list[Allergy]:
    """The patient's allergies and intolerances (clinicians)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    allergies = list(
        _allergies(include_entered_in_error=include_entered_in_error).filter(patient=patient)
    )
    record(
        "allergy.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(allergies)},
    )
    return allergies


@router.post("/patients/{patient_uuid}/allergies", response={201: AllergyOut})
def record_allergy(request: HttpRequest, patient_uuid: PatientId, payload: AllergyIn) -> Allergy:
    """Add an allergy or intolerance (care team)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    return services.record_allergy(actor, patient, **payload.model_dump())


@router.post("/allergies/{allergy_uuid}/entered-in-error", response=AllergyOut)
def mark_allergy_entered_in_error(
    request: HttpRequest, allergy_uuid: AllergyId, payload: ReasonIn
) -> Allergy:
    """Withdraw an allergy recorded by mistake; it stays in the record, marked (care team)."""
    actor = member(request)
    allergy = get_patient_record(actor, Allergy, allergy_uuid, Need.CLINICAL_WRITE)
    allergy = services.mark_allergy_entered_in_error(actor, allergy, reason=payload.reason)
    prefetch_related_objects([allergy], "recorded_by")
    return allergy


@router.post("/patients/{patient_uuid}/care-team", response={201: CareTeamMemberOut})
def join_care_team(
    request: HttpRequest, patient_uuid: PatientId, payload: CareTeamJoinIn
) -> CareTeamMember:
    """Join the patient's care team, saying why, before writing to the chart (clinicians)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    place = services.join_care_team(actor, patient, reason=payload.reason)
    prefetch_related_objects([place], "user")
    return place
