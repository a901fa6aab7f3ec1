"""The demo clinic's scheduling: hours, time off, appointments in every status, an overdue
follow-up left for the story patient DW-1001."""

from __future__ import annotations

import datetime as dt

import pytest

from dosewise.accounts.models import Membership
from dosewise.demo import seed
from dosewise.patients.models import Patient
from dosewise.scheduling.followups import follow_ups_for
from dosewise.scheduling.models import (
    Appointment,
    Availability,
    BookedSlot,
    TelehealthConsent,
    TimeOff,
)

TODAY = dt.date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def demo(db: None):  # type: ignore[no-untyped-def]
    organization, _ = seed(patients=12, today=TODAY)  # seed() calls seed_scheduling()
    return organization


def test_every_demo_clinician_has_weekday_hours_with_a_lunch_break(demo) -> None:  # type: ignore[no-untyped-def]
    clinicians = Membership.objects.filter(
        organization=demo, role__in=["prescriber", "nurse"]
    ).values_list("user_id", flat=True)
    assert len(clinicians) == 4
    for user_id in clinicians:
        rows = Availability.objects.filter(clinician_id=user_id)
        assert sorted({row.weekday for row in rows}) == [0, 1, 2, 3, 4]
        monday = sorted((r.start_time, r.end_time) for r in rows if r.weekday == 0)
        assert monday == [
            (dt.time(9, 0), dt.time(12, 30)),
            (dt.time(13, 30), dt.time(17, 0)),
        ]


def test_demo_appointments_cover_every_status_and_both_modes(demo) -> None:  # type: ignore[no-untyped-def]
    appointments = Appointment.objects.filter(organization=demo)
    assert appointments.count() == 15
    statuses = {
        status: appointments.filter(status=status).count() for status in Appointment.Status.values
    }
    assert statuses == {"booked": 9, "arrived": 0, "fulfilled": 4, "cancelled": 1, "noshow": 1}
    assert all(
        item.starts_at.date() < TODAY
        for item in appointments.filter(status__in=["fulfilled", "noshow"])
    )
    telehealth = appointments.filter(mode="telehealth")
    assert telehealth.count() == 5
    assert all(item.video_url.startswith("https://meet.example.invalid/") for item in telehealth)
    assert set(telehealth.values_list("patient_id", flat=True)) <= set(
        TelehealthConsent.objects.current().values_list("patient_id", flat=True)
    )
    # Slots held only by the active appointments.
    active = appointments.filter(status__in=Appointment.ACTIVE_STATUSES)
    assert BookedSlot.objects.count() == sum(item.duration_minutes // 5 for item in active)


def test_demo_has_one_day_of_time_off(demo) -> None:  # type: ignore[no-untyped-def]
    time_off = TimeOff.objects.get()
    assert time_off.clinician.username == "np.nguyen"
    assert time_off.reason == "Conference"
    assert (time_off.ends_at - time_off.starts_at) == dt.timedelta(days=1)


def test_demo_leaves_the_first_story_patient_with_an_overdue_follow_up(demo) -> None:  # type: ignore[no-untyped-def]
    patient = Patient.objects.get(organization=demo, mrn="DW-1001")
    assert not Appointment.objects.filter(patient=patient).exists()
    rows = follow_ups_for([patient.pk], today=TODAY)[patient.pk]
    assert [row.status for row in rows] == ["overdue"]
    everyone = follow_ups_for(
        list(Patient.objects.filter(organization=demo).values_list("pk", flat=True)), today=TODAY
    )
    statuses = {row.status for found in everyone.values() for row in found}
    assert {"overdue", "booked"} <= statuses
