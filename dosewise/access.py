"""The one access helper: every lookup of a patient or a clinical record goes through here.

Rules (issue 2):
- a member sees the patients of their active organization only;
- prescribers and nurses may open any chart of the organization (every opening is audited);
- writing clinical data is for the patient's care team; a clinician not on it joins first,
  with a reason (audited);
- front desk and clinic admins see demographics (and, later, scheduling) only;
- anything outside these rules is a 404, so the response never reveals that a patient exists.
  The one 403 is a clinician who may read the chart but is not on its care team.
Every refusal is itself audited.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import (
    Assessment,
    Diagnosis,
    Encounter,
    Observation,
    SafetyAlert,
)
from dosewise.patients.models import Allergy, Patient, PatientQuerySet
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.plan_models import Plan
from dosewise.prescribing.side_effect_models import SideEffectReport


class Need(enum.Enum):
    DEMOGRAPHICS = "demographics"  # read name, contact, registration details
    EDIT_DEMOGRAPHICS = "edit-demographics"
    CHART = "chart"  # read clinical data
    CLINICAL_WRITE = "clinical-write"  # write clinical data


class NotOnCareTeam(PermissionDenied):
    """A clinician who may read this chart tried to write to it without being on its care team."""

    def __init__(self) -> None:
        super().__init__(
            "You are not on this patient's care team. Join the care team (with a reason) "
            "before writing to the chart."
        )


def _deny(
    actor: Membership | None, *, patient: Patient | None, what: str, ident: object
) -> Http404:
    record(
        "access.denied",
        actor=actor.user if actor else None,
        organization=actor.organization if actor else None,
        patient=patient,
        detail={"what": what, "id": str(ident)},
    )
    return Http404("No such record.")


def is_on_care_team(actor: Membership, patient: Patient) -> bool:
    return patient.care_team.current().filter(user_id=actor.user_id).exists()


def check_patient_access(actor: Membership, patient: Patient, need: Need) -> None:
    """Raise Http404 / NotOnCareTeam unless `actor` may do `need` with `patient`."""
    if not actor.is_active or patient.organization_id != actor.organization_id:
        raise _deny(actor, patient=None, what="patient", ident=patient.uuid)
    if need in (Need.DEMOGRAPHICS, Need.EDIT_DEMOGRAPHICS):
        return
    if not actor.is_clinical:
        raise _deny(actor, patient=patient, what=f"patient:{need.value}", ident=patient.uuid)
    if need is Need.CLINICAL_WRITE and not is_on_care_team(actor, patient):
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            patient=patient,
            detail={
                "what": "patient:clinical-write",
                "id": str(patient.uuid),
                "why": "not on care team",
            },
        )
        raise NotOnCareTeam()


def require_clinical(actor: Membership, *, what: str) -> None:
    """Clinical tools without a patient (code search): prescribers and nurses only; else 404."""
    if not actor.is_active or not actor.is_clinical:
        raise _deny(actor, patient=None, what=what, ident="")


def _parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def visible_patients(actor: Membership) -> PatientQuerySet:
    """Patients the member may list: those of their organization."""
    return Patient.objects.filter(organization_id=actor.organization_id)


def get_patient(actor: Membership, patient_uuid: object, need: Need) -> Patient:
    """The patient with this public id, if `actor` may do `need`; reads of a chart are audited."""
    parsed = _parse_uuid(patient_uuid)
    patient = (
        Patient.objects.select_related("organization").filter(uuid=parsed).first()
        if parsed
        else None
    )
    if patient is None:
        raise _deny(actor, patient=None, what="patient", ident=patient_uuid)
    check_patient_access(actor, patient, need)
    if need is Need.CHART:
        record(
            "chart.read",
            actor=actor.user,
            organization=actor.organization,
            patient=patient,
            target=patient,
        )
    elif need is Need.DEMOGRAPHICS:
        record(
            "demographics.read",
            actor=actor.user,
            organization=actor.organization,
            patient=patient,
            target=patient,
        )
    return patient


RecordT = TypeVar(
    "RecordT",
    Encounter,
    Diagnosis,
    Allergy,
    Prescription,
    Assessment,
    SafetyAlert,
    Plan,
    SideEffectReport,
    Observation,
)


def get_patient_record(
    actor: Membership, model: type[RecordT], record_uuid: object, need: Need
) -> RecordT:
    """A clinical record (encounter, diagnosis, allergy) reached through its patient's rules."""
    parsed = _parse_uuid(record_uuid)
    found = (
        model.objects.select_related("patient", "patient__organization").filter(uuid=parsed).first()
        if parsed
        else None
    )
    if found is None:
        raise _deny(actor, patient=None, what=model._meta.model_name or "", ident=record_uuid)
    check_patient_access(actor, found.patient, need)
    if need is Need.CHART:
        record(
            f"{model._meta.model_name}.read",
            actor=actor.user,
            organization=actor.organization,
            patient=found.patient,
            target=found,
        )
    return found


P = ParamSpec("P")
R = TypeVar("R")


def write_service(need: Need) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a service `fn(actor, subject, ...)` check access, then run in one transaction.

    `subject` is a Patient or a record with `.patient`. The check runs before the transaction
    opens, so the audit event of a refusal is kept although the refused write never happens.
    """

    def decorator(fn: Callable[P, R]) -> Callable[P, R]:
        atomic_fn = transaction.atomic(fn)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor, subject = args[0], args[1]
            patient = subject if isinstance(subject, Patient) else subject.patient  # type: ignore[attr-defined]
            check_patient_access(actor, patient, need)  # type: ignore[arg-type]
            return atomic_fn(*args, **kwargs)

        return wrapper

    return decorator
