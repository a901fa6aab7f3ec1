"""API schemas for patients, allergies and care teams (`ThingIn` / `ThingOut`).

Output schemas read only what the endpoint loaded; they never query the database.
"""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from ninja import Schema
from pydantic import Field

from dosewise.api_schemas import InSchema, IsoDate, PersonOut, one_of, patch_of
from dosewise.patients.models import Allergy, Patient

if TYPE_CHECKING:
    SexAtBirth: TypeAlias = str
    PregnancyStatus: TypeAlias = str
    LactationStatus: TypeAlias = str
    SmokingStatus: TypeAlias = str
    AllergyCategory: TypeAlias = str
    AllergyType: TypeAlias = str
    AllergySeverity: TypeAlias = str
    AllergyStatus: TypeAlias = str
else:
    SexAtBirth = one_of(Patient.SexAtBirth)
    PregnancyStatus = one_of(Patient.PregnancyStatus)
    LactationStatus = one_of(Patient.LactationStatus)
    SmokingStatus = one_of(Patient.SmokingStatus)
    AllergyCategory = one_of(Allergy.Category)
    AllergyType = one_of(Allergy.Type)
    AllergySeverity = one_of(Allergy.Severity, blank=True)
    AllergyStatus = one_of(Allergy.Status)


def _decimal_text(value: Decimal | None) -> str | None:
    # Always one decimal, as stored: "82.0" whether the instance was just saved from 82 or read
    # back from the database.
    return None if value is None else f"{value:.1f}"


class PatientIn(InSchema):
    """Registration details. Omitted optional fields take the defaults shown."""

    mrn: str = Field(description="Medical record number, unique in the organization.")
    given_name: str
    family_name: str
    date_of_birth: IsoDate
    sex_at_birth: SexAtBirth = Field(description="F, M or UNK (US Core birth sex).")
    gender_identity: str = ""
    pronouns: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    preferred_pharmacy: str = ""
    pregnancy_status: PregnancyStatus = Patient.PregnancyStatus.UNKNOWN.value
    lactation_status: LactationStatus = Patient.LactationStatus.UNKNOWN.value
    height_cm: Decimal | None = Field(None, description="Centimetres, one decimal.")
    weight_kg: Decimal | None = Field(None, description="Kilograms, one decimal.")
    smoking_status: SmokingStatus = Patient.SmokingStatus.UNKNOWN.value


if TYPE_CHECKING:
    PatientChangeIn = PatientIn
else:
    PatientChangeIn = patch_of(
        PatientIn, "PatientChangeIn", "Demographics to change: send only the fields that change."
    )


class PatientOut(Schema):
    """A patient's demographics and registration details."""

    uuid: UUID
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex_at_birth: str
    gender_identity: str
    pronouns: str
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    preferred_pharmacy: str
    pregnancy_status: str
    lactation_status: str
    height_cm: str | None = Field(description="Centimetres as a decimal string, e.g. '172.5'.")
    weight_kg: str | None = Field(description="Kilograms as a decimal string, e.g. '68.0'.")
    smoking_status: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_height_cm(obj: Patient) -> str | None:
        return _decimal_text(obj.height_cm)

    @staticmethod
    def resolve_weight_kg(obj: Patient) -> str | None:
        return _decimal_text(obj.weight_kg)


class PatientPage(Schema):
    """One page of a patient search."""

    count: int = Field(description="How many patients match, on all pages.")
    limit: int
    offset: int
    items: list[PatientOut]


class AllergyIn(InSchema):
    """An allergy or intolerance to add to the chart (FHIR AllergyIntolerance)."""

    substance: str
    category: AllergyCategory = Allergy.Category.MEDICATION.value
    type: AllergyType = Allergy.Type.ALLERGY.value
    reaction: str = ""
    severity: AllergySeverity = Field("", description="mild, moderate, severe, or '' if unknown.")


class AllergyOut(Schema):
    uuid: UUID
    patient: UUID
    substance: str
    category: str
    type: str
    reaction: str
    severity: str
    status: str
    entered_in_error_reason: str
    recorded_by: PersonOut
    recorded_at: dt.datetime

    @staticmethod
    def resolve_patient(obj: Allergy) -> UUID:
        return obj.patient.uuid


class PatientDetailOut(PatientOut):
    """Demographics, and for clinicians the allergies in the record."""

    allergies: list[AllergyOut] | None = Field(
        description="Allergies in the record (not those entered in error); null for roles "
        "that see demographics only (front desk, clinic admin)."
    )

    @staticmethod
    def resolve_allergies(obj: Any) -> list[Allergy] | None:
        # Set by the endpoint only after the chart was opened with Need.CHART: a role that sees
        # demographics only never gets this attribute, so it cannot receive allergies.
        return getattr(obj, "allergies_in_record", None)


class CareTeamJoinIn(InSchema):
    reason: str = Field(max_length=300, description="Why you are joining the care team.")


class CareTeamMemberOut(Schema):
    user: PersonOut
    reason: str
    added_at: dt.datetime
