"""Write path for patients, allergies and care teams: validate, save, audit, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.patients.models import Allergy, CareTeamMember, Patient
from dosewise.records import mark_entered_in_error
from dosewise.validation import refuse_nulls

DEMOGRAPHIC_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "preferred_pharmacy",
    "pregnancy_status",
    "lactation_status",
    "height_cm",
    "weight_kg",
    "smoking_status",
)


def _validate_patient(patient: Patient, *, today: dt.date) -> None:
    """Shape checks (choices, lengths) plus the rules a form cannot know."""
    errors: dict[str, list[str]] = {}
    try:
        patient.full_clean(exclude=["organization", "user"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    dob = patient.date_of_birth
    if isinstance(dob, dt.date):
        if dob > today:
            errors.setdefault("date_of_birth", []).append("Date of birth cannot be in the future.")
        elif dob.year < today.year - 130:
            errors.setdefault("date_of_birth", []).append(
                "Date of birth is more than 130 years ago."
            )
    if (
        patient.sex_at_birth == Patient.SexAtBirth.MALE
        and patient.pregnancy_status == Patient.PregnancyStatus.PREGNANT
    ):
        # Not impossible (a trans man may be pregnant), so only sex assigned at birth M is refused.
        errors.setdefault("pregnancy_status", []).append(
            "Pregnancy is recorded as pregnant while sex assigned at birth is male; check both fields."
        )
    if patient.mrn and not errors.get("mrn"):
        clash = Patient.objects.filter(organization_id=patient.organization_id, mrn=patient.mrn)
        if patient.pk:
            clash = clash.exclude(pk=patient.pk)
        if clash.exists():
            errors.setdefault("mrn", []).append(
                "Another patient in this organization has this MRN."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def register_patient(actor: Membership, *, today: dt.date | None = None, **fields: Any) -> Patient:
    """Create a patient in the actor's organization; a clinician who registers joins the care team."""
    unknown = set(fields) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    refuse_nulls(Patient, fields)
    patient = Patient(organization=actor.organization, **fields)
    _validate_patient(patient, today=today or timezone.localdate())
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        # Two registrations racing for one MRN: the constraint decides.
        raise ValidationError(
            {"mrn": ["Another patient in this organization has this MRN."]}
        ) from None
    record(
        "patient.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=patient,
    )
    if actor.is_clinical:
        _add_to_care_team(actor, patient, actor.user_id, reason="Registered the patient")
    return patient


@write_service(Need.EDIT_DEMOGRAPHICS)
def update_demographics(
    actor: Membership, patient: Patient, *, today: dt.date | None = None, **changes: Any
) -> Patient:
    """Change registration details; the audit event names the fields that changed."""
    unknown = set(changes) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    refuse_nulls(Patient, changes)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = [name for name, value in changes.items() if getattr(patient, name) != value]
    for name in changed:
        setattr(patient, name, changes[name])
    if not changed:
        return patient
    _validate_patient(patient, today=today or timezone.localdate())
    patient.save(update_fields=[*changed, "updated_at"])
    record(
        "patient.update",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=patient,
        detail={"fields": sorted(changed)},
    )
    return patient


@write_service(Need.CLINICAL_WRITE)
def record_allergy(
    actor: Membership,
    patient: Patient,
    *,
    substance: str,
    category: str = Allergy.Category.MEDICATION,
    type: str = Allergy.Type.ALLERGY,  # FHIR's name for the field
    reaction: str = "",
    severity: str = "",
) -> Allergy:
    """Add an allergy or intolerance to the chart."""
    allergy = Allergy(
        organization=actor.organization,
        patient=patient,
        substance=substance.strip(),
        category=category,
        type=type,
        reaction=reaction.strip(),
        severity=severity,
        recorded_by=actor.user,
    )
    allergy.full_clean(exclude=["organization", "patient", "recorded_by"])
    allergy.save()
    record(
        "allergy.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=allergy,
    )
    return allergy


@write_service(Need.CLINICAL_WRITE)
def mark_allergy_entered_in_error(actor: Membership, allergy: Allergy, *, reason: str) -> Allergy:
    """Withdraw an allergy recorded by mistake; it stays in the record, marked."""
    return mark_entered_in_error(actor, allergy, reason=reason, noun="allergy")


def _add_to_care_team(
    actor: Membership, patient: Patient, user_id: int, *, reason: str
) -> CareTeamMember:
    limit = CareTeamMember._meta.get_field("reason").max_length or 0
    if len(reason) > limit:
        raise ValidationError({"reason": [f"Keep the reason under {limit} characters."]})
    member = CareTeamMember.objects.create(
        organization=actor.organization,
        patient=patient,
        user_id=user_id,
        reason=reason,
        added_by=actor.user,
    )
    record(
        "care-team.add",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=patient,
        detail={"user": str(member.user.uuid), "reason": reason},
    )
    return member


@write_service(Need.CHART)
def join_care_team(actor: Membership, patient: Patient, *, reason: str) -> CareTeamMember:
    """A clinician of the organization joins this patient's care team, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": ["Say why you are joining this patient's care team."]})
    existing = patient.care_team.current().filter(user_id=actor.user_id).first()
    if existing is not None:
        raise ValidationError({"reason": ["You are already on this patient's care team."]})
    return _add_to_care_team(actor, patient, actor.user_id, reason=reason.strip())


@write_service(Need.CLINICAL_WRITE)
def add_care_team_member(
    actor: Membership, patient: Patient, *, colleague: Membership, reason: str
) -> CareTeamMember:
    """A care-team member adds a clinical colleague of the same organization."""
    if (
        colleague.organization_id != actor.organization_id
        or not colleague.is_active
        or not colleague.is_clinical
    ):
        raise ValidationError(
            {"colleague": ["Choose an active prescriber or nurse of this organization."]}
        )
    if patient.care_team.current().filter(user_id=colleague.user_id).exists():
        raise ValidationError({"colleague": ["Already on this patient's care team."]})
    return _add_to_care_team(actor, patient, colleague.user_id, reason=reason.strip())
