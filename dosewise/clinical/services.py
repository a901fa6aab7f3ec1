"""Write path for encounters and diagnoses: validate, save, audit, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical import icd10
from dosewise.clinical.models import ENCOUNTER_SECTIONS, Diagnosis, Encounter, EncounterAddendum
from dosewise.patients.models import Patient
from dosewise.records import mark_entered_in_error
from dosewise.validation import refuse_nulls

SECTION_FIELDS = tuple(field for field, _label in ENCOUNTER_SECTIONS)
_EDITABLE_ENCOUNTER_FIELDS = ("kind", "mode", "occurred_on", *SECTION_FIELDS)


def _check_date(field: str, value: dt.date | None, *, today: dt.date, label: str) -> None:
    if value is not None and value > today:
        raise ValidationError({field: [f"{label} cannot be in the future."]})


def _clean_encounter(encounter: Encounter, *, today: dt.date) -> None:
    encounter.full_clean(
        exclude=["organization", "patient", "clinician", "created_by", "signed_by"],
        validate_unique=False,
    )
    _check_date("occurred_on", encounter.occurred_on, today=today, label="The encounter date")


@write_service(Need.CLINICAL_WRITE)
def start_encounter(
    actor: Membership,
    patient: Patient,
    *,
    kind: str,
    mode: str,
    occurred_on: dt.date,
    today: dt.date | None = None,
    **sections: str,
) -> Encounter:
    """Open a draft encounter note written by the acting clinician."""
    unknown = set(sections) - set(SECTION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown section."] for name in sorted(unknown)})
    encounter = Encounter(
        organization=actor.organization,
        patient=patient,
        kind=kind,
        mode=mode,
        occurred_on=occurred_on,
        clinician=actor.user,
        created_by=actor.user,
        **{name: (text or "").strip() for name, text in sections.items()},
    )
    _clean_encounter(encounter, today=today or timezone.localdate())
    encounter.save()
    record(
        "encounter.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=encounter,
    )
    return encounter


def _lock_draft(actor: Membership, encounter: Encounter) -> Encounter:
    locked = Encounter.objects.select_for_update().select_related("patient").get(pk=encounter.pk)
    if locked.status != Encounter.Status.DRAFT:
        raise ValidationError(
            {
                "status": [
                    f"This encounter is {locked.get_status_display().lower()}; only a draft can change."
                ]
            }
        )
    if locked.clinician_id != actor.user_id:
        raise ValidationError(
            {"clinician": ["Only the encounter's own clinician may edit or sign this draft."]}
        )
    return locked


@write_service(Need.CLINICAL_WRITE)
def update_encounter(
    actor: Membership, encounter: Encounter, *, today: dt.date | None = None, **changes: Any
) -> Encounter:
    """Change a draft note; a signed note cannot change (add an addendum instead)."""
    unknown = set(changes) - set(_EDITABLE_ENCOUNTER_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    refuse_nulls(Encounter, changes)
    encounter = _lock_draft(actor, encounter)
    changed = [name for name, value in changes.items() if getattr(encounter, name) != value]
    for name in changed:
        value = changes[name]
        setattr(
            encounter,
            name,
            value.strip() if isinstance(value, str) and name in SECTION_FIELDS else value,
        )
    if not changed:
        return encounter
    _clean_encounter(encounter, today=today or timezone.localdate())
    encounter.save(update_fields=[*changed, "updated_at"])
    record(
        "encounter.update",
        actor=actor.user,
        organization=actor.organization,
        patient=encounter.patient,
        target=encounter,
        detail={"fields": sorted(changed)},
    )
    return encounter


@write_service(Need.CLINICAL_WRITE)
def sign_encounter(actor: Membership, encounter: Encounter) -> Encounter:
    """Sign a draft: from now on it only receives addenda."""
    encounter = _lock_draft(actor, encounter)
    if not any(getattr(encounter, field).strip() for field in SECTION_FIELDS):
        raise ValidationError(
            {"chief_complaint": ["An empty note cannot be signed; write at least one section."]}
        )
    encounter.status = Encounter.Status.SIGNED
    encounter.signed_by = actor.user
    encounter.signed_at = timezone.now()
    encounter.save(update_fields=["status", "signed_by", "signed_at", "updated_at"])
    record(
        "encounter.sign",
        actor=actor.user,
        organization=actor.organization,
        patient=encounter.patient,
        target=encounter,
    )
    return encounter


@write_service(Need.CLINICAL_WRITE)
def add_addendum(actor: Membership, encounter: Encounter, *, text: str) -> EncounterAddendum:
    """Append a dated addendum to a signed note."""
    encounter = Encounter.objects.select_for_update().select_related("patient").get(pk=encounter.pk)
    if encounter.status != Encounter.Status.SIGNED:
        raise ValidationError({"text": ["Addenda are for signed notes; edit the draft instead."]})
    if not text.strip():
        raise ValidationError({"text": ["Write the addendum."]})
    addendum = EncounterAddendum.objects.create(
        organization=actor.organization, encounter=encounter, text=text.strip(), author=actor.user
    )
    record(
        "encounter.addendum",
        actor=actor.user,
        organization=actor.organization,
        patient=encounter.patient,
        target=encounter,
        detail={"addendum": str(addendum.uuid)},
    )
    return addendum


@write_service(Need.CLINICAL_WRITE)
def mark_encounter_entered_in_error(
    actor: Membership, encounter: Encounter, *, reason: str
) -> Encounter:
    """Withdraw an encounter written for the wrong patient or by mistake; it stays, marked."""
    return mark_entered_in_error(actor, encounter, reason=reason, noun="encounter")


def _check_encounter_belongs(encounter: Encounter | None, patient: Patient) -> None:
    if encounter is None:
        return
    if encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": ["This encounter belongs to another patient."]})
    if encounter.status == Encounter.Status.ENTERED_IN_ERROR:
        raise ValidationError({"encounter": ["This encounter was entered in error."]})


@write_service(Need.CLINICAL_WRITE)
def add_diagnosis(
    actor: Membership,
    patient: Patient,
    *,
    code: str,
    status: str = Diagnosis.Status.ACTIVE,
    onset_on: dt.date | None = None,
    note: str = "",
    encounter: Encounter | None = None,
    today: dt.date | None = None,
) -> Diagnosis:
    """Add a coded diagnosis; the code must be a billable ICD-10-CM code of the current set."""
    found = icd10.lookup(code) if code else None
    if found is None:
        raise ValidationError(
            {"code": [f"{code!r} is not an ICD-10-CM code (April 2026 code set)."]}
        )
    if not found.is_billable:
        raise ValidationError(
            {
                "code": [
                    f"{found.code} ({found.description}) is a category, not a billable code; choose a more specific code."
                ]
            }
        )
    if status == Diagnosis.Status.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["A new diagnosis cannot start as entered in error."]})
    _check_encounter_belongs(encounter, patient)
    diagnosis = Diagnosis(
        organization=actor.organization,
        patient=patient,
        encounter=encounter,
        code=found.code,
        description=found.description,
        status=status,
        onset_on=onset_on,
        note=note.strip(),
        recorded_by=actor.user,
    )
    diagnosis.full_clean(exclude=["organization", "patient", "encounter", "recorded_by"])
    _check_date("onset_on", onset_on, today=today or timezone.localdate(), label="Onset")
    if onset_on is not None and onset_on < patient.date_of_birth:
        raise ValidationError({"onset_on": ["Onset cannot be before the date of birth."]})
    diagnosis.save()
    record(
        "diagnosis.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=diagnosis,
        detail={"code": diagnosis.code},
    )
    return diagnosis


@write_service(Need.CLINICAL_WRITE)
def update_diagnosis(
    actor: Membership,
    diagnosis: Diagnosis,
    *,
    today: dt.date | None = None,
    **changes: Any,
) -> Diagnosis:
    """Change a diagnosis' clinical status (e.g. active -> remission), onset or note."""
    unknown = set(changes) - {"status", "onset_on", "note"}
    if unknown:
        raise ValidationError(
            {
                name: [
                    "Unknown field (the code of a diagnosis cannot change; mark it entered in error and add the right one)."
                ]
                for name in sorted(unknown)
            }
        )
    refuse_nulls(Diagnosis, changes)
    diagnosis = Diagnosis.objects.select_for_update().select_related("patient").get(pk=diagnosis.pk)
    if diagnosis.status == Diagnosis.Status.ENTERED_IN_ERROR:
        raise ValidationError(
            {"status": ["This diagnosis was entered in error and cannot change."]}
        )
    if changes.get("status") == Diagnosis.Status.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["Use 'mark entered in error', which asks for a reason."]})
    before = {name: str(getattr(diagnosis, name)) for name in changes}
    changed = [name for name, value in changes.items() if getattr(diagnosis, name) != value]
    for name in changed:
        setattr(diagnosis, name, changes[name])
    if not changed:
        return diagnosis
    diagnosis.full_clean(exclude=["organization", "patient", "encounter", "recorded_by"])
    _check_date("onset_on", diagnosis.onset_on, today=today or timezone.localdate(), label="Onset")
    diagnosis.save(update_fields=[*changed, "updated_at"])
    record(
        "diagnosis.update",
        actor=actor.user,
        organization=actor.organization,
        patient=diagnosis.patient,
        target=diagnosis,
        detail={
            name: {"from": before[name], "to": str(getattr(diagnosis, name))}
            for name in changed
            if name != "note"
        },
    )
    return diagnosis


@write_service(Need.CLINICAL_WRITE)
def mark_diagnosis_entered_in_error(
    actor: Membership, diagnosis: Diagnosis, *, reason: str
) -> Diagnosis:
    """Withdraw a diagnosis recorded by mistake; it stays in the record, marked."""
    return mark_entered_in_error(actor, diagnosis, reason=reason, noun="diagnosis")
