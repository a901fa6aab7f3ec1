"""Encounter notes: drafts change, signed notes only receive addenda, mistakes are marked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services
from dosewise.clinical.models import Encounter, EncounterAddendum
from dosewise.patients.models import Patient

TODAY = dt.date(2026, 11, 27)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def start(prescriber: Membership, patient: Patient, **sections: str) -> Encounter:
    return services.start_encounter(
        prescriber,
        patient,
        kind="intake",
        mode="telehealth",
        occurred_on=TODAY,
        today=TODAY,
        **sections,
    )


def test_start_encounter_writes_a_draft_and_one_audit_event(
    prescriber: Membership, patient: Patient
) -> None:
    AuditEvent.objects.all()  # the fixtures themselves write nothing through services
    encounter = start(prescriber, patient, chief_complaint="  Low mood  ")

    assert encounter.status == Encounter.Status.DRAFT
    assert encounter.chief_complaint == "Low mood"
    assert encounter.clinician == prescriber.user
    assert actions() == ["encounter.create"]
    event = AuditEvent.objects.get()
    assert (event.patient, event.target_id, event.organization) == (
        patient,
        str(encounter.uuid),
        prescriber.organization,
    )


def test_future_encounter_date_is_refused_and_nothing_written(
    prescriber: Membership, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as error:
        services.start_encounter(
            prescriber,
            patient,
            kind="intake",
            mode="telehealth",
            occurred_on=TODAY + dt.timedelta(days=1),
            today=TODAY,
        )
    assert error.value.message_dict == {
        "occurred_on": ["The encounter date cannot be in the future."]
    }
    assert Encounter.objects.count() == 0
    assert actions() == []


def test_unknown_kind_is_refused(prescriber: Membership, patient: Patient) -> None:
    with pytest.raises(ValidationError) as error:
        services.start_encounter(
            prescriber, patient, kind="chat", mode="telehealth", occurred_on=TODAY, today=TODAY
        )
    assert list(error.value.message_dict) == ["kind"]
    assert Encounter.objects.count() == 0


def test_signed_encounter_cannot_change_but_takes_addenda(
    prescriber: Membership, patient: Patient
) -> None:
    encounter = start(prescriber, patient, chief_complaint="Low mood")
    services.sign_encounter(prescriber, encounter)

    with pytest.raises(ValidationError) as error:
        services.update_encounter(prescriber, encounter, plan="Changed after signing")
    assert error.value.message_dict == {
        "status": ["This encounter is signed; only a draft can change."]
    }
    with pytest.raises(ValidationError):
        services.sign_encounter(prescriber, encounter)

    services.add_addendum(prescriber, encounter, text="TSH normal.")
    encounter.refresh_from_db()
    assert encounter.plan == ""
    assert list(EncounterAddendum.objects.values_list("text", flat=True)) == ["TSH normal."]
    assert actions() == ["encounter.create", "encounter.sign", "encounter.addendum"]


def test_addendum_needs_a_signed_note(prescriber: Membership, patient: Patient) -> None:
    encounter = start(prescriber, patient, chief_complaint="Low mood")
    with pytest.raises(ValidationError):
        services.add_addendum(prescriber, encounter, text="Too early")
    assert EncounterAddendum.objects.count() == 0


def test_empty_note_cannot_be_signed(prescriber: Membership, patient: Patient) -> None:
    encounter = start(prescriber, patient)
    with pytest.raises(ValidationError):
        services.sign_encounter(prescriber, encounter)
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.DRAFT


def test_only_the_author_edits_or_signs_a_draft(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    encounter = start(prescriber, patient, chief_complaint="Low mood")
    with pytest.raises(ValidationError) as error:
        services.sign_encounter(nurse, encounter)
    assert list(error.value.message_dict) == ["clinician"]
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.DRAFT


def test_clinician_off_the_care_team_cannot_write(colleague: Membership, patient: Patient) -> None:
    with pytest.raises(NotOnCareTeam):
        services.start_encounter(
            colleague, patient, kind="intake", mode="in-person", occurred_on=TODAY, today=TODAY
        )
    assert Encounter.objects.count() == 0
    assert actions() == ["access.denied"]


def test_update_records_changed_fields(prescriber: Membership, patient: Patient) -> None:
    encounter = start(prescriber, patient, chief_complaint="Low mood")
    services.update_encounter(
        prescriber, encounter, plan="Start sertraline discussion", chief_complaint="Low mood"
    )
    event = AuditEvent.objects.get(action="encounter.update")
    assert event.detail == {"fields": ["plan"]}


def test_entered_in_error_needs_a_reason_and_keeps_the_row(
    prescriber: Membership, patient: Patient
) -> None:
    encounter = start(prescriber, patient, chief_complaint="Low mood")
    with pytest.raises(ValidationError):
        services.mark_encounter_entered_in_error(prescriber, encounter, reason="  ")
    services.mark_encounter_entered_in_error(prescriber, encounter, reason="Wrong patient")
    encounter.refresh_from_db()
    assert (encounter.status, encounter.entered_in_error_reason) == (
        "entered-in-error",
        "Wrong patient",
    )
    assert list(Encounter.objects.in_record()) == []
    assert Encounter.objects.count() == 1
