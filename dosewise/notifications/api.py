"""JSON API of reminders: a patient's contact preferences (read, replace) and the
organization's reminders (list, retry). Thin like the pages (`views.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from dosewise.access import Need, get_patient
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText
from dosewise.notifications import services
from dosewise.notifications.models import ContactPreference, Reminder
from dosewise.notifications.schemas import ContactPreferenceIn, ContactPreferenceOut, ReminderOut
from dosewise.patients.models import Patient

router = Router(tags=["reminders"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
ReminderId = Annotated[str, Path(description="The reminder's public id (UUID).")]
STATUS_FILTER = Query(
    "", max_length=16, description="Only this status: pending, sending, sent, failed, skipped."
)


def _clock(value: Any) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _preference_out(patient: Patient, preference: ContactPreference | None) -> dict[str, Any]:
    return {
        "patient": patient.uuid,
        "recorded": preference is not None,
        "reminders_consent": bool(preference and preference.reminders_consent),
        "consent_recorded_at": preference.consent_recorded_at if preference else None,
        "consent_recorded_by": preference.consent_recorded_by if preference else None,
        "email_allowed": bool(preference and preference.email_allowed),
        "sms_allowed": bool(preference and preference.sms_allowed),
        "preferred_channel": preference.preferred_channel if preference else "email",
        "quiet_hours_start": _clock(preference.quiet_hours_start) if preference else None,
        "quiet_hours_end": _clock(preference.quiet_hours_end) if preference else None,
        "email_on_file": bool(patient.email.strip()),
        "phone_on_file": bool(patient.phone.strip()),
    }


def _reminder_out(reminder: Reminder) -> dict[str, Any]:
    patient = reminder.patient
    return {
        "uuid": reminder.uuid,
        "patient": {"uuid": patient.uuid, "name": patient.full_name, "mrn": patient.mrn},
        "kind": reminder.kind,
        "status": reminder.status,
        "skip_reason": reminder.skip_reason,
        "channel": reminder.channel,
        "recipient": reminder.recipient,
        "subject": reminder.subject,
        "body": reminder.body,
        "send_after": reminder.send_after,
        "next_attempt_at": reminder.next_attempt_at,
        "attempts": reminder.attempts,
        "last_error": reminder.last_error,
        "sent_at": reminder.sent_at,
        "created_at": reminder.created_at,
    }


@router.get("/patients/{patient_uuid}/contact-preferences", response=ContactPreferenceOut)
def get_contact_preferences(request: HttpRequest, patient_uuid: PatientId) -> dict[str, Any]:
    """Whether the patient agrees to reminders (who recorded it, when), the channels allowed,
    the preferred one and quiet hours. `recorded` is false until someone records them."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.EDIT_DEMOGRAPHICS)
    return _preference_out(patient, services.read_contact_preference(actor, patient))


@router.put("/patients/{patient_uuid}/contact-preferences", response=ContactPreferenceOut)
def put_contact_preferences(
    request: HttpRequest, patient_uuid: PatientId, payload: ContactPreferenceIn
) -> dict[str, Any]:
    """Record the patient's reminder consent and contact preferences (front desk, nurses,
    prescribers of the organization)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.EDIT_DEMOGRAPHICS)
    preference = services.set_contact_preference(actor, patient, **payload.model_dump())
    return _preference_out(patient, preference)


@router.get("/reminders", response=list[ReminderOut])
def list_reminders(request: HttpRequest, status: QueryText = STATUS_FILTER) -> list[dict[str, Any]]:
    """The organization's reminders: every failed one first, then the latest 200 others."""
    actor = member(request)
    return [_reminder_out(row) for row in services.reminder_list(actor, status=status)]


@router.post("/reminders/{reminder_uuid}/retry", response=ReminderOut)
def retry_reminder(request: HttpRequest, reminder_uuid: ReminderId) -> dict[str, Any]:
    """Send a failed or skipped reminder again on the worker's next round."""
    actor = member(request)
    reminder = services.get_reminder(actor, reminder_uuid)
    return _reminder_out(services.retry_reminder(actor, reminder))
