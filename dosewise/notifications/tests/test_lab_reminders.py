"""Blood test and check-up reminders from the regimen's monitoring requirements
(`monitoring.labs_due`): one per patient per due date, naming no test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from dosewise.monitoring import labs_due
from dosewise.notifications import delivery, planning
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import NOW, consent
from dosewise.prescribing import services as prescribing

pytestmark = pytest.mark.django_db

TODAY = NOW.date()


@pytest.fixture
def on_lithium(patient, prescriber):  # type: ignore[no-untyped-def]
    """Lithium started 10 days ago: its first level and baseline tests are due or overdue."""
    prescribing.record_outside_medication(
        prescriber,
        patient,
        drug="lithium carbonate",
        dose_amount=Decimal(1),
        dose_unit="capsule",
        strength_mg=Decimal(300),
        times_per_day=Decimal(3),
        source="outside",
        form="capsule",
        start_on=TODAY - dt.timedelta(days=10),
    )
    return patient


def _open_dates(patient) -> list[dt.date]:  # type: ignore[no-untyped-def]
    rows = labs_due.requirements_for([patient.pk], today=TODAY)[patient.pk]
    return sorted({row.due_on for row in rows if row.is_open and row.due_on})


def test_one_reminder_per_due_date_whatever_the_number_of_tests(on_lithium) -> None:  # type: ignore[no-untyped-def]
    dates = _open_dates(on_lithium)
    assert dates  # lithium calls for tests now (brief section 4)

    assert planning.plan_lab_due_reminders(today=TODAY) == len(dates)
    assert planning.plan_lab_due_reminders(today=TODAY) == 0  # idempotent

    reminders = list(Reminder.objects.order_by("due_on"))
    assert [r.due_on for r in reminders] == dates
    assert {r.kind for r in reminders} == {Reminder.Kind.LAB_DUE}
    assert [r.dedupe_key for r in reminders] == [
        f"lab_due:{on_lithium.uuid}:{day.isoformat()}" for day in dates
    ]
    for reminder in reminders:
        assert reminder.subject == "A check-up is due"
        assert "lithium" not in reminder.body.lower()
        assert "level" not in reminder.body.lower()
        # An overdue date is reminded this morning; a later one on its own morning.
        assert reminder.send_after == dt.datetime.combine(
            max(reminder.due_on, TODAY), dt.time(9), tzinfo=NOW.tzinfo
        )


def test_lab_reminder_is_sent_once_and_covers_its_siblings(on_lithium, front_desk) -> None:  # type: ignore[no-untyped-def]
    on_lithium.email = "alex@example.org"
    on_lithium.save(update_fields=["email"])
    consent(on_lithium, front_desk)
    planning.plan_lab_due_reminders(today=TODAY)

    result = delivery.deliver_due("w", now=NOW)

    assert result.outcomes == {"sent": 1}
    assert len(mail.outbox) == 1
    statuses = sorted(Reminder.objects.values_list("status", "skip_reason"))
    assert statuses == [("sent", "")] + [
        ("skipped", "said by the reminder sent at 2030-06-04 15:00")
    ] * (len(statuses) - 1)
    assert mail.outbox[0].body.startswith(
        "Reminder from Riverside Psychiatry: you are due for a blood test or check-up measurement"
    )


def test_no_longer_due_is_skipped(on_lithium) -> None:  # type: ignore[no-untyped-def]
    planning.plan_lab_due_reminders(today=TODAY)
    reminder = Reminder.objects.order_by("due_on").first()
    reminder.due_on = TODAY - dt.timedelta(days=400)  # a date nothing is due on
    assert planning.lab_still_due(reminder, today=TODAY) == (
        "nothing due on that date any more (done or no longer required)"
    )


def test_patient_without_monitored_drugs_gets_no_lab_reminder(patient) -> None:  # type: ignore[no-untyped-def]
    assert planning.plan_lab_due_reminders(today=TODAY) == 0
