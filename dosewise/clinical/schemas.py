"""API schemas for encounters, addenda, diagnoses and ICD-10-CM codes (`ThingIn` / `ThingOut`).

Output schemas read only what the endpoint loaded; they never query the database.
"""

import datetime as dt
from typing import TYPE_CHECKING, TypeAlias
from uuid import UUID

from ninja import Schema
from pydantic import Field

from dosewise.api_schemas import InSchema, IsoDate, PersonOut, one_of, patch_of
from dosewise.clinical.models import Diagnosis, Encounter, EncounterAddendum

if TYPE_CHECKING:
    EncounterKind: TypeAlias = str
    EncounterMode: TypeAlias = str
    DiagnosisStatus: TypeAlias = str
else:
    EncounterKind = one_of(Encounter.Kind)
    EncounterMode = one_of(Encounter.Mode)
    # Entered-in-error is reached only through its own endpoint, which asks for a reason.
    DiagnosisStatus = one_of(Diagnosis.Status, leave_out=(Diagnosis.Status.ENTERED_IN_ERROR,))


class EncounterIn(InSchema):
    """A new draft note; the sections are free text and may be filled in later."""

    kind: EncounterKind
    mode: EncounterMode
    occurred_on: IsoDate
    chief_complaint: str = ""
    history_of_present_illness: str = ""
    psychiatric_history: str = ""
    medical_history: str = ""
    substance_use: str = ""
    family_history: str = ""
    social_history: str = ""
    symptoms: str = ""
    mental_status_exam: str = ""
    risk_assessment: str = ""
    plan: str = ""


if TYPE_CHECKING:
    EncounterChangeIn = EncounterIn
else:
    EncounterChangeIn = patch_of(
        EncounterIn, "EncounterChangeIn", "Changes to a draft note: send only what changes."
    )


class AddendumIn(InSchema):
    text: str


class AddendumOut(Schema):
    uuid: UUID
    text: str
    author: PersonOut
    created_at: dt.datetime


class EncounterSummaryOut(Schema):
    """An encounter as listed in the chart (the note's sections are in the detail)."""

    uuid: UUID
    patient: UUID
    kind: str
    mode: str
    occurred_on: dt.date
    status: str
    clinician: PersonOut
    chief_complaint: str
    signed_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_patient(obj: Encounter) -> UUID:
        return obj.patient.uuid


class EncounterOut(EncounterSummaryOut):
    """The whole note: structured sections, signature, addenda."""

    history_of_present_illness: str
    psychiatric_history: str
    medical_history: str
    substance_use: str
    family_history: str
    social_history: str
    symptoms: str
    mental_status_exam: str
    risk_assessment: str
    plan: str
    signed_by: PersonOut | None
    entered_in_error_reason: str
    updated_at: dt.datetime
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_addenda(obj: Encounter) -> list[EncounterAddendum]:
        # The endpoint prefetches the addenda with their authors (`_with_note_details`).
        return list(obj.addenda.all())


class DiagnosisIn(InSchema):
    """A coded diagnosis: a billable ICD-10-CM code (e.g. F33.1, written with or without dot)."""

    code: str = Field(max_length=16)
    status: DiagnosisStatus = Diagnosis.Status.ACTIVE.value
    onset_on: IsoDate | None = None
    note: str = ""
    encounter: UUID | None = Field(
        None, description="The encounter (of this patient) where the diagnosis was made."
    )


class _DiagnosisChange(InSchema):
    status: DiagnosisStatus
    onset_on: IsoDate | None
    note: str


if TYPE_CHECKING:
    DiagnosisChangeIn = _DiagnosisChange
else:
    DiagnosisChangeIn = patch_of(
        _DiagnosisChange,
        "DiagnosisChangeIn",
        "The parts of a diagnosis that may change, only those sent; the code never changes "
        "(mark the diagnosis entered in error and add the right code).",
    )


class DiagnosisOut(Schema):
    uuid: UUID
    patient: UUID
    encounter: UUID | None
    code: str
    description: str
    status: str
    onset_on: dt.date | None
    note: str
    entered_in_error_reason: str
    recorded_by: PersonOut
    recorded_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_patient(obj: Diagnosis) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_encounter(obj: Diagnosis) -> UUID | None:
        return obj.encounter.uuid if obj.encounter is not None else None


class Icd10CodeOut(Schema):
    """One ICD-10-CM code; only billable codes can be used for a diagnosis."""

    code: str
    description: str
    is_billable: bool
