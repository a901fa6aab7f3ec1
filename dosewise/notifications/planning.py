"""Planning: which reminders should exist. One small function per source, each safe to run
any number of times, by any number of workers at once.

Idempotency lives in the database: every reminder has a unique `dedupe_key` naming what it is
about, and rows are inserted with "insert or ignore" (`bulk_create(ignore_conflicts=True)`:
SQLite `INSERT OR IGNORE`, PostgreSQL `ON CONFLICT DO NOTHING`), so a second run, or a second
worker running at the same moment, adds nothing.

Planning decides *what* and *when*; whether and how the reminder may go out (consent, channel,
quiet hours) is decided when it is sent (`delivery.py`), from the preferences of that moment.
Each source also has a `still_due` check that delivery runs just before sending, so a visit
cancelled or a test done after planning is skipped, not sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from dosewise.monitoring import labs_due, plans
from dosewise.notifications import texts
from dosewise.notifications.models import Reminder
from dosewise.notifications.timing import morning_of
from dosewise.notifications.transitions import skip
from dosewise.patients.models import Patient
from dosewise.scheduling.models import Appointment

# Appointment reminders are planned this long before they are due to go out, so that a
# reminder exists (and shows on the Reminders page) a day ahead.
APPOINTMENT_PLANNING_AHEAD = dt.timedelta(days=1)
# Patients read per batch by the lab and questionnaire sources (their readers take a fixed
# number of queries per batch, whatever its size).
BATCH = 500
# How often the worker re-reads every patient's monitoring and measurement plan (the lab and
# questionnaire sources); appointments are planned every round.
DATED_SOURCES_EVERY = dt.timedelta(minutes=15)
# Statuses of the monitoring requirements that call for a reminder.
LAB_DUE_STATUSES = labs_due.OPEN_STATUSES


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _insert(rows: list[Reminder]) -> int:
    """Insert the rows whose key is new; a row another worker inserted meanwhile is ignored.
    Returns how many were new when looked at (a racing worker may have taken some)."""
    added = 0
    # In chunks: SQLite limits the parameters of one statement.
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        existing = set(
            Reminder.objects.filter(dedupe_key__in=[row.dedupe_key for row in chunk]).values_list(
                "dedupe_key", flat=True
            )
        )
        new = [row for row in chunk if row.dedupe_key not in existing]
        Reminder.objects.bulk_create(new, ignore_conflicts=True)
        added += len(new)
    return added


def _patient_batches() -> Iterator[dict[int, Patient]]:
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        yield Patient.objects.select_related("organization").in_bulk(chunk)


# --- Appointments -----------------------------------------------------------------------------


def appointment_key(appointment: Appointment) -> str:
    # The start is part of the key: a visit moved to another time is another reminder (and the
    # one for the old time is skipped by `skip_changed_appointments`).
    hours = settings.REMINDER_APPOINTMENT_HOURS
    start = appointment.starts_at.astimezone(dt.UTC)
    return f"appointment:{appointment.uuid}:{start:%Y%m%dT%H%MZ}:{hours}h"


def plan_appointment_reminders(*, now: dt.datetime) -> int:
    """A reminder REMINDER_APPOINTMENT_HOURS (24) before each booked visit, with the video link
    of a telehealth visit. A visit booked later than that is reminded at once."""
    lead = dt.timedelta(hours=settings.REMINDER_APPOINTMENT_HOURS)
    appointments = Appointment.objects.filter(
        status=Appointment.Status.BOOKED,
        starts_at__gt=now,
        starts_at__lte=now + lead + APPOINTMENT_PLANNING_AHEAD,
    ).select_related("organization")
    rows = []
    for appointment in appointments:
        text = texts.appointment(
            clinic=appointment.organization.name,
            starts_at=appointment.starts_at,
            tz=clinic_tz(),
            video_url=appointment.video_url
            if appointment.mode == Appointment.Mode.TELEHEALTH
            else "",
        )
        rows.append(
            Reminder(
                organization_id=appointment.organization_id,
                patient_id=appointment.patient_id,
                kind=Reminder.Kind.APPOINTMENT,
                subject=text.subject,
                body=text.body,
                source_ref=str(appointment.uuid),
                event_at=appointment.starts_at,
                send_after=appointment.starts_at - lead,
                dedupe_key=appointment_key(appointment),
            )
        )
    return _insert(rows)


def appointment_still_due(reminder: Reminder, *, now: dt.datetime) -> str:
    """Why the appointment no longer calls for this reminder ("" while it does)."""
    appointment = Appointment.objects.filter(uuid=reminder.source_ref).first()
    return _appointment_change(reminder, appointment, now=now)


def _appointment_change(
    reminder: Reminder, appointment: Appointment | None, *, now: dt.datetime
) -> str:
    if appointment is None:
        return "appointment not found"
    if appointment.status == Appointment.Status.CANCELLED:
        return "appointment cancelled"
    if appointment.status != Appointment.Status.BOOKED:
        return f"appointment is {appointment.get_status_display().lower()}"
    if appointment.starts_at != reminder.event_at:
        return "appointment moved to another time (a new reminder is planned)"
    if appointment.starts_at <= now:
        return "appointment time has passed"
    return ""


def skip_changed_appointments(*, now: dt.datetime) -> int:
    """Skip, at once, the pending reminders of visits cancelled or moved since planning, so the
    Reminders page never shows a reminder that will not go out as waiting."""
    pending = list(
        Reminder.objects.filter(
            kind=Reminder.Kind.APPOINTMENT, status=Reminder.Status.PENDING
        ).select_related("organization", "patient")
    )
    appointments = {
        str(appointment.uuid): appointment
        for appointment in Appointment.objects.filter(
            uuid__in=[reminder.source_ref for reminder in pending]
        )
    }
    skipped = 0
    for reminder in pending:
        reason = _appointment_change(reminder, appointments.get(reminder.source_ref), now=now)
        if reason and skip(reminder, reason=reason, now=now, only_if=Reminder.Status.PENDING):
            skipped += 1
    return skipped


# --- Blood tests and check-up measurements (monitoring requirements) ---------------------------


def plan_lab_due_reminders(*, today: dt.date) -> int:
    """One reminder per patient per due date of their monitoring requirements (due or
    overdue), on the morning of that date; the text names no test."""
    rows = []
    for patients in _patient_batches():
        requirements = labs_due.requirements_for(list(patients), today=today)
        for pid, found in requirements.items():
            patient = patients[pid]
            dates = sorted(
                {
                    row.due_on
                    for row in found
                    if row.status in LAB_DUE_STATUSES and row.due_on is not None
                }
            )
            for due_on in dates:
                text = texts.lab_due(clinic=patient.organization.name, due_on=due_on)
                rows.append(
                    Reminder(
                        organization_id=patient.organization_id,
                        patient_id=pid,
                        kind=Reminder.Kind.LAB_DUE,
                        subject=text.subject,
                        body=text.body,
                        due_on=due_on,
                        send_after=_morning(due_on, today=today),
                        dedupe_key=f"lab_due:{patient.uuid}:{due_on.isoformat()}",
                    )
                )
    return _insert(rows)


def lab_still_due(reminder: Reminder, *, today: dt.date) -> str:
    found = labs_due.requirements_for([reminder.patient_id], today=today).get(
        reminder.patient_id, []
    )
    if any(row.status in LAB_DUE_STATUSES and row.due_on == reminder.due_on for row in found):
        return ""
    return "nothing due on that date any more (done or no longer required)"


# --- Questionnaires (the measurement plan) ------------------------------------------------------


def questionnaire_cycle(instrument: str, last_on: dt.date | None) -> str:
    """Which round of an instrument is due: after its last administration, or the baseline.
    A never-administered instrument is due "today" every day (schedules.next_due), so the
    round, not the due date, names the reminder: one per round."""
    return f"{instrument}:{last_on.isoformat() if last_on else 'baseline'}"


def plan_questionnaire_reminders(*, today: dt.date) -> int:
    """One reminder per due round of each rating scale of the patient's measurement plan
    (read by `monitoring.plans.facts_for`, the reader of the due list); the text says "a
    short questionnaire", never the scale."""
    rows = []
    for patients in _patient_batches():
        for pid, facts in plans.facts_for(patients).items():
            patient = patients[pid]
            for due in facts.due(on=today):
                if due.due_on is None:
                    continue
                cycle = questionnaire_cycle(due.instrument, due.last_on)
                text = texts.questionnaire_due(clinic=patient.organization.name, due_on=due.due_on)
                rows.append(
                    Reminder(
                        organization_id=patient.organization_id,
                        patient_id=pid,
                        kind=Reminder.Kind.QUESTIONNAIRE_DUE,
                        subject=text.subject,
                        body=text.body,
                        source_ref=cycle,
                        due_on=due.due_on,
                        send_after=_morning(due.due_on, today=today),
                        dedupe_key=f"questionnaire_due:{patient.uuid}:{cycle}",
                    )
                )
    return _insert(rows)


def questionnaire_still_due(reminder: Reminder, *, today: dt.date) -> str:
    facts = plans.facts_for([reminder.patient_id])[reminder.patient_id]
    if any(
        questionnaire_cycle(due.instrument, due.last_on) == reminder.source_ref
        for due in facts.due(on=today)
    ):
        return ""
    return "questionnaire no longer due (filled in or taken off the plan)"


# --- All sources --------------------------------------------------------------------------------


def _morning(due_on: dt.date, *, today: dt.date) -> dt.datetime:
    # An overdue date is reminded this morning (or at once, if the morning has passed).
    return morning_of(max(due_on, today), hour=settings.REMINDER_SEND_HOUR, tz=clinic_tz())


def still_due(reminder: Reminder, *, now: dt.datetime) -> str:
    """Why the reminder's subject no longer calls for it ("" while it does)."""
    today = timezone.localdate(now)
    if reminder.kind == Reminder.Kind.APPOINTMENT:
        return appointment_still_due(reminder, now=now)
    if reminder.kind == Reminder.Kind.LAB_DUE:
        return lab_still_due(reminder, today=today)
    if reminder.kind == Reminder.Kind.QUESTIONNAIRE_DUE:
        return questionnaire_still_due(reminder, today=today)
    raise ValueError(f"unknown reminder kind {reminder.kind!r}")


def plan_all(*, now: dt.datetime | None = None, dated: bool = True) -> dict[str, int]:
    """Run every source once; returns how many reminders each added (and skipped).

    `dated=False` leaves out the lab and questionnaire sources: they change with the date (and
    new results), not by the minute, and read every patient's record, so the worker runs them
    every DATED_SOURCES_EVERY rather than every round."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "appointment": plan_appointment_reminders(now=now),
        "lab_due": plan_lab_due_reminders(today=today) if dated else 0,
        "questionnaire_due": plan_questionnaire_reminders(today=today) if dated else 0,
        "skipped_changed_appointments": skip_changed_appointments(now=now),
    }
