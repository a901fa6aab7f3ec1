"""Planning: which reminders exist, when they go out, and that planning twice (or by two
workers) adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import make_patient
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical
from dosewise.notifications import planning
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import NOW
from dosewise.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def test_appointment_reminder_goes_24_hours_before_with_the_video_link(
    patient, prescriber, book
) -> None:  # type: ignore[no-untyped-def]
    visit = book(patient, prescriber, NOW + dt.timedelta(hours=30), telehealth=True)

    assert planning.plan_appointment_reminders(now=NOW) == 1

    reminder = Reminder.objects.get()
    assert reminder.kind == Reminder.Kind.APPOINTMENT
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.send_after == visit.starts_at - dt.timedelta(hours=24)
    assert reminder.source_ref == str(visit.uuid)
    assert reminder.subject == "Appointment reminder"
    assert reminder.body.splitlines() == [
        "Reminder from Riverside Psychiatry: you have an appointment on Wednesday 5 June 2030 "
        "at 9:00 PM (EDT).",
        "This is a video visit. Join at the time of the appointment: "
        "https://video.example.org/room/abc123",
        "To change or cancel it, please contact the clinic.",
        "This message was sent automatically; replies are not read.",
    ]
    assert reminder.dedupe_key == f"appointment:{visit.uuid}:20300606T0100Z:24h"


def test_in_person_visit_has_no_link(patient, prescriber, book) -> None:  # type: ignore[no-untyped-def]
    book(patient, prescriber, NOW + dt.timedelta(hours=20))
    planning.plan_appointment_reminders(now=NOW)
    reminder = Reminder.objects.get()
    assert "video" not in reminder.body
    # Booked less than 24 hours ahead: due at once.
    assert reminder.send_after < NOW


def test_planning_twice_adds_nothing(patient, prescriber, book) -> None:  # type: ignore[no-untyped-def]
    book(patient, prescriber, NOW + dt.timedelta(hours=30))
    clinical.add_diagnosis(prescriber, patient, code="F33.1")

    first = planning.plan_all(now=NOW)
    second = planning.plan_all(now=NOW + dt.timedelta(minutes=1))

    assert first["appointment"] == 1
    assert first["questionnaire_due"] == 1
    assert second["appointment"] == second["questionnaire_due"] == 0
    assert Reminder.objects.count() == 2


def test_appointments_beyond_the_planning_window_or_not_booked_are_not_planned(
    patient, prescriber, book
) -> None:  # type: ignore[no-untyped-def]
    book(patient, prescriber, NOW + dt.timedelta(hours=24 + 24 + 1))  # planned tomorrow
    past = book(patient, prescriber, NOW - dt.timedelta(hours=2))
    Appointment.objects.filter(pk=past.pk).update(status=Appointment.Status.FULFILLED)
    other = make_patient(patient.organization, "MRN-0002")
    cancelled = book(other, prescriber, NOW + dt.timedelta(hours=30))
    Appointment.objects.filter(pk=cancelled.pk).update(
        status=Appointment.Status.CANCELLED, cancel_reason="Patient asked"
    )
    assert planning.plan_appointment_reminders(now=NOW) == 0


def test_cancelled_appointment_pending_reminder_is_skipped(patient, prescriber, book) -> None:  # type: ignore[no-untyped-def]
    visit = book(patient, prescriber, NOW + dt.timedelta(hours=30))
    planning.plan_all(now=NOW)
    Appointment.objects.filter(pk=visit.pk).update(
        status=Appointment.Status.CANCELLED, cancel_reason="Patient asked"
    )

    result = planning.plan_all(now=NOW + dt.timedelta(minutes=5))

    assert result["skipped_changed_appointments"] == 1
    reminder = Reminder.objects.get(kind=Reminder.Kind.APPOINTMENT)
    assert reminder.status == Reminder.Status.SKIPPED
    assert reminder.skip_reason == "appointment cancelled"


def test_moved_appointment_gets_a_new_reminder_and_the_old_one_is_skipped(
    patient, prescriber, book
) -> None:  # type: ignore[no-untyped-def]
    visit = book(patient, prescriber, NOW + dt.timedelta(hours=30))
    planning.plan_all(now=NOW)
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=visit.starts_at + dt.timedelta(hours=2)
    )

    planning.plan_all(now=NOW + dt.timedelta(minutes=5))

    old, new = Reminder.objects.filter(kind=Reminder.Kind.APPOINTMENT).order_by("id")
    assert (old.status, old.skip_reason) == (
        Reminder.Status.SKIPPED,
        "appointment moved to another time (a new reminder is planned)",
    )
    assert new.status == Reminder.Status.PENDING
    assert new.event_at == visit.starts_at + dt.timedelta(hours=2)
    assert "11:00 PM" in new.body


def test_questionnaire_reminder_once_per_round_not_once_a_day(patient, prescriber) -> None:  # type: ignore[no-untyped-def]
    """A never-measured scale is due "today" every day; it is still reminded once."""
    clinical.add_diagnosis(prescriber, patient, code="F33.1")  # calls for PHQ-9

    for day in range(5):
        planning.plan_questionnaire_reminders(today=NOW.date() + day * DAY)

    reminder = Reminder.objects.get()
    assert reminder.kind == Reminder.Kind.QUESTIONNAIRE_DUE
    assert reminder.source_ref == "phq9:baseline"
    assert reminder.due_on == NOW.date()
    assert reminder.subject == "A short questionnaire is due"
    # The morning of the due date, clinic time.
    assert reminder.send_after == dt.datetime.combine(NOW.date(), dt.time(9), tzinfo=NOW.tzinfo)


def test_questionnaire_filled_in_makes_the_next_round_a_new_reminder(patient, prescriber) -> None:  # type: ignore[no-untyped-def]
    # Assessments cannot be in the future: this test runs on the real calendar.
    filled_at = timezone.now() - DAY
    today = timezone.localdate(filled_at)
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    planning.plan_questionnaire_reminders(today=today)
    assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 0],
        answered_by="patient",
        mode="in-clinic",
        administered_at=filled_at,
    )
    baseline = Reminder.objects.get()
    assert planning.questionnaire_still_due(baseline, today=today) == (
        "questionnaire no longer due (filled in or taken off the plan)"
    )
    # Not due again until the interval has passed.
    assert planning.plan_questionnaire_reminders(today=today + DAY) == 0
    assert planning.plan_questionnaire_reminders(today=today + 60 * DAY) == 1
    assert Reminder.objects.latest("id").source_ref == f"phq9:{today.isoformat()}"


def test_patient_with_nothing_due_gets_nothing(patient) -> None:  # type: ignore[no-untyped-def]
    assert planning.plan_all(now=NOW) == {
        "appointment": 0,
        "lab_due": 0,
        "questionnaire_due": 0,
        "skipped_changed_appointments": 0,
    }
    assert not Reminder.objects.exists()


def test_appointments_only_rounds_leave_the_dated_sources_out(patient, prescriber, book) -> None:  # type: ignore[no-untyped-def]
    book(patient, prescriber, NOW + dt.timedelta(hours=30))
    clinical.add_diagnosis(prescriber, patient, code="F33.1")

    assert planning.plan_all(now=NOW, dated=False)["appointment"] == 1

    assert list(Reminder.objects.values_list("kind", flat=True)) == [Reminder.Kind.APPOINTMENT]
