"""Delivery: exactly one send per reminder even with two workers, retries with back-off, then
`failed`; consent, channels and quiet hours respected at the moment of sending."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from conftest import make_patient
from dosewise.audit.models import AuditEvent
from dosewise.notifications import delivery, planning, sms, transitions
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import NOW, consent
from dosewise.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


class FailingEmailBackend(BaseEmailBackend):
    """The SMTP server refuses everything (a boundary fake)."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FailingSmsBackend(sms.BaseSmsBackend):
    def send(self, to: str, body: str) -> None:
        raise sms.SmsError("provider answered 503")


@pytest.fixture
def due_visit(patient, prescriber, book):  # type: ignore[no-untyped-def]
    """A visit tomorrow whose reminder is due now, for a patient who agreed to email."""
    patient.email = "alex@example.org"
    patient.phone = "+1 212 555 0100"
    patient.save(update_fields=["email", "phone"])
    visit = book(patient, prescriber, NOW + dt.timedelta(hours=23))
    planning.plan_appointment_reminders(now=NOW)
    return visit


def test_sends_a_due_reminder_by_email_once(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    consent(patient, front_desk)

    result = delivery.deliver_due("worker-a", now=NOW)
    again = delivery.deliver_due("worker-a", now=NOW + MINUTE)

    assert result.outcomes == {"sent": 1}
    assert again.outcomes == {}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alex@example.org"]
    assert message.subject == "Appointment reminder"
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.channel, reminder.recipient, reminder.attempts) == (
        Reminder.Status.SENT,
        "email",
        "alex@example.org",
        1,
    )
    assert reminder.sent_at == NOW
    assert (reminder.claimed_by, reminder.claimed_until) == ("", None)
    event = AuditEvent.objects.get(action="reminder.sent")
    assert (event.patient, event.actor, event.actor_label) == (patient, None, "worker worker-a")


def test_two_workers_claiming_the_same_reminder_send_it_once(
    due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    """Interleaved as two workers would be: both see the reminder due, both try to claim it."""
    consent(patient, front_desk)

    claimed_a = transitions.claim("worker-a", now=NOW)
    claimed_b = transitions.claim("worker-b", now=NOW)

    assert claimed_a is not None
    assert claimed_b is None
    assert delivery.deliver(claimed_a, "worker-a", now=NOW) == "sent"
    assert delivery.deliver_due("worker-b", now=NOW).outcomes == {}
    assert len(mail.outbox) == 1


def test_a_worker_that_lost_its_claim_does_not_send(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    """Worker A stalls past its claim; B takes the reminder over and sends it; A, waking up,
    finds the claim gone and sends nothing."""
    consent(patient, front_desk)
    stalled = transitions.claim("worker-a", now=NOW)
    later = NOW + dt.timedelta(minutes=6)  # REMINDER_CLAIM_SECONDS is 5 minutes

    assert delivery.deliver_due("worker-b", now=later).outcomes == {"sent": 1}
    assert stalled is not None
    assert delivery.deliver(stalled, "worker-a", now=later) == ""
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().attempts == 2


def test_a_crashed_claim_expires_and_is_retried(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    consent(patient, front_desk)
    assert transitions.claim("worker-crashed", now=NOW) is not None

    assert delivery.deliver_due("worker-b", now=NOW + MINUTE).outcomes == {}  # still held
    assert delivery.deliver_due(
        "worker-b", now=NOW + dt.timedelta(minutes=5, seconds=1)
    ).outcomes == {"sent": 1}
    assert len(mail.outbox) == 1


def test_failures_are_retried_with_back_off_then_marked_failed(
    settings, due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "dosewise.notifications.tests.test_delivery.FailingEmailBackend"
    settings.REMINDER_MAX_ATTEMPTS = 3
    settings.REMINDER_RETRY_SECONDS = 60
    consent(patient, front_desk)

    assert delivery.deliver_due("w", now=NOW).outcomes == {"pending": 1}
    reminder = Reminder.objects.get()
    assert reminder.attempts == 1
    assert reminder.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert reminder.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # Not before its retry time.
    assert delivery.deliver_due("w", now=NOW + dt.timedelta(seconds=59)).outcomes == {}
    second = NOW + dt.timedelta(seconds=60)
    assert delivery.deliver_due("w", now=second).outcomes == {"pending": 1}
    assert Reminder.objects.get().next_attempt_at == second + dt.timedelta(seconds=120)
    third = second + dt.timedelta(seconds=120)
    assert delivery.deliver_due("w", now=third).outcomes == {"failed": 1}

    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.next_attempt_at) == (
        Reminder.Status.FAILED,
        3,
        None,
    )
    assert delivery.deliver_due("w", now=third + dt.timedelta(days=1)).outcomes == {}
    assert list(
        AuditEvent.objects.filter(action__startswith="reminder.").values_list("action", flat=True)
    ) == ["reminder.send-error", "reminder.send-error", "reminder.failed"]


def test_sms_failure_is_retried_like_email(settings, due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "dosewise.notifications.tests.test_delivery.FailingSmsBackend"
    consent(patient, front_desk, email=False, sms_ok=True, preferred="sms")
    assert delivery.deliver_due("w", now=NOW).outcomes == {"pending": 1}
    assert Reminder.objects.get().last_error == "SmsError: provider answered 503"


def test_a_worker_that_died_on_the_last_attempt_leaves_it_failed(
    settings, due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    settings.REMINDER_MAX_ATTEMPTS = 1
    consent(patient, front_desk)
    assert transitions.claim("worker-died", now=NOW) is not None

    later = NOW + dt.timedelta(minutes=6)
    assert delivery.deliver_due("w", now=later).outcomes == {"failed": 1}
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.last_error == "The worker stopped while sending; not tried again."
    assert mail.outbox == []


def test_no_consent_recorded_skips_with_the_reason(due_visit) -> None:  # type: ignore[no-untyped-def]
    assert delivery.deliver_due("w", now=NOW).outcomes == {"skipped": 1}
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.skip_reason) == (
        Reminder.Status.SKIPPED,
        "no reminder consent recorded",
    )
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="reminder.skipped", patient=reminder.patient).exists()


@pytest.mark.parametrize(
    ("preference", "reason"),
    [
        ({"agrees": False}, "patient declined reminders"),
        (
            {"email": False, "sms_ok": False},
            "no channel allowed (email and text messages both off)",
        ),
    ],
)
def test_consent_and_channels_are_respected(
    due_visit, patient, front_desk, preference, reason
) -> None:  # type: ignore[no-untyped-def]
    consent(patient, front_desk, **preference)
    assert delivery.deliver_due("w", now=NOW).outcomes == {"skipped": 1}
    assert Reminder.objects.get().skip_reason == reason
    assert mail.outbox == []
    assert sms.outbox == []


def test_consent_withdrawn_after_planning_is_respected(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    preference = consent(patient, front_desk)
    preference.reminders_consent = False
    preference.save(update_fields=["reminders_consent"])
    delivery.deliver_due("w", now=NOW)
    assert Reminder.objects.get().skip_reason == "patient declined reminders"
    assert mail.outbox == []


def test_missing_address_falls_back_to_the_other_allowed_channel(
    due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    patient.email = ""
    patient.save(update_fields=["email"])
    consent(patient, front_desk, email=True, sms_ok=True, preferred="email")

    assert delivery.deliver_due("w", now=NOW).outcomes == {"sent": 1}

    assert mail.outbox == []
    assert [(m.to, m.body.splitlines()[0]) for m in sms.outbox] == [
        (
            "+1 212 555 0100",
            "Reminder from Riverside Psychiatry: you have an appointment on Wednesday 5 June "
            "2030 at 2:00 PM (EDT).",
        )
    ]
    assert Reminder.objects.get().channel == "sms"


def test_no_address_for_the_only_allowed_channel_is_skipped(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    patient.phone = ""
    patient.save(update_fields=["phone"])
    consent(patient, front_desk, email=False, sms_ok=True, preferred="sms")
    delivery.deliver_due("w", now=NOW)
    assert Reminder.objects.get().skip_reason == "no phone number on file"


def test_cancelled_between_planning_and_sending_is_skipped_not_sent(
    due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    consent(patient, front_desk)
    Appointment.objects.filter(pk=due_visit.pk).update(
        status=Appointment.Status.CANCELLED, cancel_reason="Clinician ill"
    )
    assert delivery.deliver_due("w", now=NOW).outcomes == {"skipped": 1}
    assert Reminder.objects.get().skip_reason == "appointment cancelled"
    assert mail.outbox == []


def test_quiet_hours_postpone_without_using_an_attempt(due_visit, patient, front_desk) -> None:  # type: ignore[no-untyped-def]
    consent(patient, front_desk, quiet=(dt.time(14), dt.time(16, 30)))

    assert delivery.deliver_due("w", now=NOW).outcomes == {"postponed": 1}
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.PENDING, 0)
    end = NOW.replace(hour=16, minute=30)
    assert reminder.next_attempt_at == end
    assert delivery.deliver_due("w", now=end - MINUTE).outcomes == {}
    assert delivery.deliver_due("w", now=end).outcomes == {"sent": 1}


def test_clinic_quiet_hours_apply_when_the_patient_set_none(
    settings, due_visit, patient, front_desk
) -> None:  # type: ignore[no-untyped-def]
    settings.REMINDER_QUIET_HOURS = (dt.time(13), dt.time(17))
    consent(patient, front_desk)
    assert delivery.deliver_due("w", now=NOW).outcomes == {"postponed": 1}
    assert Reminder.objects.get().next_attempt_at == NOW.replace(hour=17)


def test_two_questionnaires_due_together_make_one_message(patient, prescriber, front_desk) -> None:  # type: ignore[no-untyped-def]
    from dosewise.clinical import services as clinical

    patient.email = "alex@example.org"
    patient.save(update_fields=["email"])
    consent(patient, front_desk)
    clinical.add_diagnosis(prescriber, patient, code="F33.1")  # PHQ-9
    clinical.add_diagnosis(prescriber, patient, code="F41.1")  # GAD-7
    planning.plan_questionnaire_reminders(today=NOW.date())
    assert Reminder.objects.count() == 2

    assert delivery.deliver_due("w", now=NOW).outcomes == {"sent": 1}

    assert len(mail.outbox) == 1
    skipped = Reminder.objects.get(status=Reminder.Status.SKIPPED)
    assert skipped.skip_reason == "said by the reminder sent at 2030-06-04 15:00"


def test_other_patients_reminders_are_untouched(
    due_visit, patient, prescriber, front_desk, book
) -> None:  # type: ignore[no-untyped-def]
    other = make_patient(patient.organization, "MRN-0002", email="sam@example.org")
    consent(other, front_desk)
    consent(patient, front_desk)
    book(other, prescriber, NOW + dt.timedelta(hours=23, minutes=30))
    planning.plan_appointment_reminders(now=NOW)
    assert delivery.deliver_due("w", now=NOW).outcomes == {"sent": 2}
    assert sorted(m.to[0] for m in mail.outbox) == ["alex@example.org", "sam@example.org"]
