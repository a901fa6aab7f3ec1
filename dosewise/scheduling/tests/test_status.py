"""Appointment workflow (FHIR statuses) and rescheduling: what may follow what, and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.patients.models import Patient
from dosewise.scheduling import services
from dosewise.scheduling.models import Appointment, BookedSlot
from dosewise.scheduling.tests.conftest import MONDAY, at

pytestmark = pytest.mark.usefixtures("hours")

DURING = at(10, 10)  # while the 10:00 visit is on
AFTER = at(11)


@pytest.fixture
def visit(front_desk: Membership, patient: Patient, prescriber: Membership) -> Appointment:
    return services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=at(10),
        duration_minutes=30,
    )


def move(
    actor: Membership,
    appointment: Appointment,
    status: str,
    *,
    now: dt.datetime = DURING,
    reason: str = "",
) -> Appointment:
    return services.change_status(actor, appointment, status=status, reason=reason, now=now)


# (path of statuses, allowed?, why) — FHIR Appointment workflow as a clinic uses it.
PATHS = [
    (["arrived"], True, "the patient came"),
    (["arrived", "fulfilled"], True, "the visit took place"),
    (["noshow"], True, "the patient did not come"),
    (["cancelled"], True, "cancelled ahead"),
    (["fulfilled"], False, "fulfilled needs arrived first"),
    (["arrived", "noshow"], False, "a patient who arrived was not a no-show"),
    (["arrived", "cancelled"], False, "an attended visit is not cancelled afterwards"),
    (["noshow", "arrived"], False, "a no-show is final"),
    (["cancelled", "booked"], False, "a cancelled visit is rebooked, not revived"),
    (["arrived", "fulfilled", "arrived"], False, "fulfilled is final"),
    (["arrived", "arrived"], False, "arrived only once"),
]


@pytest.mark.parametrize(("path", "allowed", "why"), PATHS, ids=[p[2] for p in PATHS])
def test_status_transitions(
    front_desk: Membership, visit: Appointment, path: list[str], allowed: bool, why: str
) -> None:
    *before, last = path
    for status in before:
        visit = move(front_desk, visit, status, reason="Unwell")
    if allowed:
        assert move(front_desk, visit, last, reason="Unwell").status == last
    else:
        with pytest.raises(ValidationError) as caught:
            move(front_desk, visit, last, reason="Unwell")
        assert "status" in caught.value.message_dict, why
        assert Appointment.objects.get(pk=visit.pk).status == (before[-1] if before else "booked")


def test_status_change_is_audited_with_before_and_after(
    front_desk: Membership, nurse: Membership, visit: Appointment
) -> None:
    move(front_desk, visit, "arrived")
    move(nurse, visit, "fulfilled", now=AFTER)
    events = AuditEvent.objects.filter(action="appointment.status").order_by("id")
    assert [(e.actor, e.detail["from"], e.detail["to"]) for e in events] == [
        (front_desk.user, "booked", "arrived"),
        (nurse.user, "arrived", "fulfilled"),
    ]
    visit.refresh_from_db()
    assert (visit.status, visit.status_changed_by, visit.status_changed_at) == (
        "fulfilled",
        nurse.user,
        AFTER,
    )
    # An attended visit keeps its time.
    assert visit.slots.count() == 6


def test_arrived_is_not_for_a_later_day(front_desk: Membership, visit: Appointment) -> None:
    with pytest.raises(ValidationError) as caught:
        move(front_desk, visit, "arrived", now=at(10) - dt.timedelta(days=1))
    assert "later day" in caught.value.message_dict["status"][0]


def test_no_show_only_once_the_visit_has_started(
    front_desk: Membership, visit: Appointment
) -> None:
    with pytest.raises(ValidationError):
        move(front_desk, visit, "noshow", now=at(9, 55))
    assert move(front_desk, visit, "noshow", now=at(10, 15)).status == "noshow"
    assert not BookedSlot.objects.exists()


def test_cancelling_needs_a_reason_and_keeps_the_record(
    front_desk: Membership, visit: Appointment
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.cancel_appointment(front_desk, visit, reason="  ")
    assert "reason" in caught.value.message_dict
    cancelled = services.cancel_appointment(front_desk, visit, reason="Patient travelling")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Patient travelling")
    assert Appointment.objects.filter(pk=visit.pk).exists()
    event = AuditEvent.objects.get(action="appointment.cancel")
    assert event.detail == {"from": "booked", "to": "cancelled", "reason": "Patient travelling"}


def test_unknown_status_is_refused(front_desk: Membership, visit: Appointment) -> None:
    with pytest.raises(ValidationError) as caught:
        move(front_desk, visit, "pending")
    assert "status" in caught.value.message_dict


def test_reschedule_moves_the_slots_and_audits_both_times(
    front_desk: Membership, visit: Appointment
) -> None:
    # Overlapping its own old time is fine.
    moved = services.reschedule_appointment(
        front_desk, visit, starts_at=at(10, 15), duration_minutes=45
    )
    assert (moved.starts_at, moved.duration_minutes) == (at(10, 15), 45)
    assert [s.slot_at for s in moved.slots.order_by("slot_at")][0] == at(10, 15)
    assert moved.slots.count() == 9
    event = AuditEvent.objects.get(action="appointment.reschedule")
    assert event.detail["from"] == {"starts_at": at(10).isoformat(), "duration_minutes": 30}
    assert event.detail["starts_at"] == at(10, 15).isoformat()


@pytest.mark.parametrize(
    ("starts_at", "field"),
    [
        (at(12, 15), "starts_at"),  # lunch
        (at(10, 2), "starts_at"),
        (at(10, day=MONDAY - dt.timedelta(days=30)), "starts_at"),  # past
    ],
)
def test_reschedule_rechecks_everything(
    front_desk: Membership, visit: Appointment, starts_at: dt.datetime, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.reschedule_appointment(front_desk, visit, starts_at=starts_at)
    assert field in caught.value.message_dict
    visit.refresh_from_db()
    assert visit.starts_at == at(10)
    assert visit.slots.count() == 6


def test_reschedule_onto_another_booking_is_refused(
    front_desk: Membership, patient: Patient, prescriber: Membership, visit: Appointment
) -> None:
    other = services.book_appointment(
        front_desk,
        make_patient(patient.organization, "MRN-2"),
        clinician=prescriber.user,
        kind="intake",
        mode="in-person",
        starts_at=at(14),
        duration_minutes=60,
    )
    with pytest.raises(ValidationError) as caught:
        services.reschedule_appointment(front_desk, visit, starts_at=at(14, 30))
    assert "already has an appointment" in caught.value.message_dict["starts_at"][0]
    assert other.slots.count() == 12


def test_only_a_booked_appointment_moves(front_desk: Membership, visit: Appointment) -> None:
    services.cancel_appointment(front_desk, visit, reason="No longer needed")
    with pytest.raises(ValidationError) as caught:
        services.reschedule_appointment(front_desk, visit, starts_at=at(14))
    assert "status" in caught.value.message_dict
