"""Booking: who may be booked, when, how; no double booking, held by the database too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import make_member, make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.patients.models import Patient
from dosewise.scheduling import services
from dosewise.scheduling.models import Appointment, BookedSlot
from dosewise.scheduling.tests.conftest import MONDAY, at

pytestmark = pytest.mark.usefixtures("hours")


def book(
    actor: Membership, patient: Patient, clinician: Membership, **fields: object
) -> Appointment:
    values: dict[str, object] = {
        "kind": Appointment.Kind.FOLLOW_UP,
        "mode": Appointment.Mode.IN_PERSON,
        "starts_at": at(10),
        "duration_minutes": 30,
    }
    values.update(fields)
    return services.book_appointment(actor, patient, clinician=clinician.user, **values)  # type: ignore[arg-type]


def refused(field: str, call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """Assert the call is refused naming `field`, with no appointment and no booking audited."""
    appointments = Appointment.objects.count()
    events = AuditEvent.objects.filter(action="appointment.book").count()
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert Appointment.objects.count() == appointments
    assert AuditEvent.objects.filter(action="appointment.book").count() == events
    return caught.value.message_dict[field][0]


@pytest.mark.parametrize(
    "booker", ["front_desk", "nurse", "prescriber", "clinic_admin", "colleague"]
)
def test_every_clinic_role_may_book(
    request, booker: str, patient: Patient, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    actor = request.getfixturevalue(booker)
    appointment = book(actor, patient, prescriber)
    assert (appointment.status, appointment.booked_by) == ("booked", actor.user)
    assert appointment.organization == patient.organization
    assert [slot.slot_at for slot in appointment.slots.order_by("slot_at")] == [
        at(10),
        at(10, 5),
        at(10, 10),
        at(10, 15),
        at(10, 20),
        at(10, 25),
    ]
    event = AuditEvent.objects.get(action="appointment.book")
    assert (event.actor, event.patient, event.target_id) == (
        actor.user,
        patient,
        str(appointment.uuid),
    )
    assert event.detail["starts_at"] == at(10).isoformat()


def test_a_nurse_can_be_booked(front_desk: Membership, patient: Patient, nurse: Membership) -> None:
    assert book(front_desk, patient, nurse).clinician == nurse.user


def test_other_organization_patient_is_a_404(
    outsider: Membership, patient: Patient, prescriber: Membership
) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        book(outsider, patient, prescriber)
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_clinician_must_be_an_active_prescriber_or_nurse_here(
    front_desk: Membership,
    patient: Patient,
    prescriber: Membership,
    clinic_admin: Membership,
    outsider: Membership,
) -> None:
    refused("clinician", book, front_desk, patient, clinic_admin)
    refused("clinician", book, front_desk, patient, front_desk)
    refused("clinician", book, front_desk, patient, outsider)
    prescriber.is_active = False
    prescriber.save(update_fields=["is_active"])
    refused("clinician", book, front_desk, patient, prescriber)
    refused(
        "clinician",
        services.book_appointment,
        front_desk,
        patient,
        clinician=None,
        kind="follow-up",
        mode="in-person",
        starts_at=at(10),
        duration_minutes=30,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"starts_at": dt.datetime(2030, 1, 7, 10, 0)}, "starts_at", "time zone"),  # noqa: DTZ001 - naive on purpose
        (
            {"starts_at": at(10, day=timezone.localdate() - dt.timedelta(days=7))},
            "starts_at",
            "passed",
        ),
        ({"starts_at": at(10, 3)}, "starts_at", "5-minute"),
        ({"starts_at": at(10).replace(second=30)}, "starts_at", "5-minute"),
        ({"starts_at": "2030-01-07T10:00"}, "starts_at", "date and time"),
        ({"duration_minutes": 0}, "duration_minutes", "5 to 240"),
        ({"duration_minutes": 245}, "duration_minutes", "5 to 240"),
        ({"duration_minutes": 7}, "duration_minutes", "multiple of 5"),
        ({"duration_minutes": True}, "duration_minutes", "whole minutes"),
        ({"duration_minutes": "30"}, "duration_minutes", "whole minutes"),
        ({"kind": "therapy"}, "kind", "intake"),
        ({"mode": "phone"}, "mode", "in-person"),
        ({"video_url": "https://meet.example.invalid/x"}, "video_url", "Only a telehealth"),
        ({"mode": "telehealth"}, "video_url", "needs its video link"),
        (
            {"mode": "telehealth", "video_url": "http://meet.example.invalid/x"},
            "video_url",
            "https://",
        ),
        ({"mode": "telehealth", "video_url": "javascript:alert(1)"}, "video_url", "https://"),
        ({"starts_at": at(8, 30)}, "starts_at", "not available"),
        ({"starts_at": at(11, 45)}, "starts_at", "not available"),  # runs into lunch
        ({"starts_at": at(16, 45)}, "starts_at", "not available"),  # past 17:00
        (
            {"starts_at": at(10, day=MONDAY + dt.timedelta(days=5))},
            "starts_at",
            "not available",
        ),  # Saturday
    ],
)
def test_bad_bookings_name_the_field(
    front_desk: Membership,
    patient: Patient,
    prescriber: Membership,
    fields: dict[str, object],
    field: str,
    message: str,
) -> None:
    assert message in refused(field, book, front_desk, patient, prescriber, **fields)


def test_telehealth_needs_current_consent(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    link = "https://meet.example.invalid/abc"
    assert "consent" in refused(
        "mode", book, front_desk, patient, prescriber, mode="telehealth", video_url=link
    )
    services.record_telehealth_consent(front_desk, patient, given_on=timezone.localdate())
    appointment = book(front_desk, patient, prescriber, mode="telehealth", video_url=link)
    assert appointment.video_url == link
    services.withdraw_telehealth_consent(front_desk, patient)
    refused(
        "mode",
        book,
        front_desk,
        patient,
        prescriber,
        mode="telehealth",
        video_url=link,
        starts_at=at(14),
    )


def test_consent_cannot_be_future_dated_or_recorded_twice(
    front_desk: Membership, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.record_telehealth_consent(
            front_desk, patient, given_on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert "given_on" in caught.value.message_dict
    services.record_telehealth_consent(front_desk, patient, given_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.record_telehealth_consent(front_desk, patient, given_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.withdraw_telehealth_consent(
            front_desk, make_patient(patient.organization, "MRN-X")
        )


def test_hours_spans_that_touch_join(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    services.add_availability(
        prescriber, prescriber.user, weekday=0, start_time=dt.time(12), end_time=dt.time(13)
    )
    appointment = book(front_desk, patient, prescriber, starts_at=at(11, 30), duration_minutes=90)
    assert appointment.ends_at == at(13)


def test_time_off_blocks_booking(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    services.add_time_off(
        prescriber, prescriber.user, starts_at=at(9), ends_at=at(12), reason="Training"
    )
    assert "away" in refused("starts_at", book, front_desk, patient, prescriber)
    assert book(front_desk, patient, prescriber, starts_at=at(14)).status == "booked"


def test_overlapping_booking_of_the_clinician_is_refused(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    book(front_desk, patient, prescriber)
    other = make_patient(patient.organization, "MRN-0002")
    message = refused("starts_at", book, front_desk, other, prescriber, starts_at=at(10, 25))
    assert "already has an appointment" in message
    # Back to back is fine.
    assert book(front_desk, other, prescriber, starts_at=at(10, 30)).status == "booked"


def test_the_patient_cannot_be_in_two_places(
    front_desk: Membership, patient: Patient, prescriber: Membership, nurse: Membership
) -> None:
    book(front_desk, patient, prescriber, duration_minutes=60)
    message = refused("starts_at", book, front_desk, patient, nurse, starts_at=at(10, 30))
    assert message == "The patient already has an appointment at this time."


def test_cancelled_and_no_show_free_the_time(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    first = book(front_desk, patient, prescriber)
    services.cancel_appointment(front_desk, first, reason="Patient unwell")
    assert not BookedSlot.objects.filter(appointment=first).exists()
    second = book(front_desk, patient, prescriber)
    services.change_status(front_desk, second, status="noshow", now=at(10, 31))
    assert not BookedSlot.objects.exists()
    third = book(front_desk, patient, prescriber, now=at(9))
    assert third.slots.count() == 6
    # Nothing is deleted: all three stay, with their statuses.
    assert list(Appointment.objects.order_by("id").values_list("status", flat=True)) == [
        "cancelled",
        "noshow",
        "booked",
    ]


def test_a_race_past_the_check_hits_the_database_constraint(
    monkeypatch: pytest.MonkeyPatch,
    front_desk: Membership,
    patient: Patient,
    prescriber: Membership,
) -> None:
    """Two requests that both passed the check: the second one's slots violate the unique
    constraint, which becomes the same field error, and nothing of it is kept."""
    book(front_desk, patient, prescriber)
    other = make_patient(patient.organization, "MRN-0002")
    monkeypatch.setattr(services, "_check_free", lambda *args, **kwargs: None)
    message = refused("starts_at", book, front_desk, other, prescriber, starts_at=at(10, 15))
    assert "just booked" in message
    assert BookedSlot.objects.filter(patient=other).count() == 0
    # The same for the patient's own double booking (with another clinician).
    nurse = Membership.objects.get(role="nurse")
    refused("starts_at", book, front_desk, patient, nurse, starts_at=at(10, 15))


def test_the_database_refuses_a_duplicate_slot_directly(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    appointment = book(front_desk, patient, prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookedSlot.objects.create(
            appointment=appointment,
            clinician=prescriber.user,
            patient=make_patient(patient.organization, "MRN-9"),
            slot_at=at(10),
        )


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"duration_minutes": 7}, "appointment_duration_in_slots"),
        ({"duration_minutes": 300}, "appointment_duration_in_range"),
        ({"mode": "telehealth", "video_url": "http://x.example"}, "telehealth_has_https_link"),
        ({"mode": "in-person", "video_url": "https://x.example"}, "telehealth_has_https_link"),
        ({"status": "cancelled"}, "cancelled_appointment_has_reason"),
        ({"status": "pending"}, "appointment_status_known"),
    ],
)
def test_database_constraints_hold_without_the_service(
    patient: Patient, prescriber: Membership, fields: dict[str, object], constraint: str
) -> None:
    values: dict[str, object] = {
        "organization": patient.organization,
        "patient": patient,
        "clinician": prescriber.user,
        "kind": "follow-up",
        "mode": "in-person",
        "starts_at": at(10),
        "duration_minutes": 30,
        "booked_by": prescriber.user,
    }
    values.update(fields)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Appointment.objects.create(**values)
    assert constraint in str(caught.value) or "CHECK" in str(caught.value).upper()


def test_clinician_of_another_organization_cannot_be_booked_even_by_uuid(
    front_desk: Membership, patient: Patient, other_organization
) -> None:  # type: ignore[no-untyped-def]
    stranger = make_member(other_organization, "np.stranger", Membership.Role.NURSE)
    refused("clinician", book, front_desk, patient, stranger)
