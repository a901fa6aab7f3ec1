"""Write path and readers for contact preferences and the staff's view of reminders.

Contact preferences are demographics-level (like the phone number they go with): front desk,
nurses and prescribers of the patient's organization record them, whether or not they are on
the care team. The Reminders page is for the same roles and the clinic admin. Every write and
every read of patient data is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from dosewise.access import Need, check_patient_access
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.notifications.models import Channel, ContactPreference, Reminder
from dosewise.patients.models import Patient

PREFERENCE_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE, Membership.Role.STAFF)
REMINDER_ROLES = (*PREFERENCE_ROLES, Membership.Role.ADMIN)
PREFERENCE_FIELDS = (
    "reminders_consent",
    "email_allowed",
    "sms_allowed",
    "preferred_channel",
    "quiet_hours_start",
    "quiet_hours_end",
)
# The Reminders page lists every failed reminder, then this many of the rest.
RECENT_LIMIT = 200


def require_role(actor: Membership, roles: tuple[str, ...], *, what: str) -> None:
    """PermissionDenied (audited) unless the member has one of `roles`."""
    if actor.role not in roles:
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            detail={"what": what, "why": f"role {actor.role}"},
        )
        raise PermissionDenied("Your role does not allow this.")


# --- Contact preferences ----------------------------------------------------------------------


def read_contact_preference(actor: Membership, patient: Patient) -> ContactPreference | None:
    """The patient's preferences (None: never recorded); the read is audited. `patient` comes
    from `access.get_patient(..., Need.DEMOGRAPHICS)`."""
    preference = (
        ContactPreference.objects.select_related("consent_recorded_by", "updated_by")
        .filter(patient=patient)
        .first()
    )
    record(
        "contact-preference.read",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=patient,
    )
    return preference


def _validate(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("reminders_consent", "email_allowed", "sms_allowed"):
        if not isinstance(values[name], bool):
            errors[name] = ["Give true or false."]
    channel = values["preferred_channel"]
    if channel not in Channel.values:
        errors["preferred_channel"] = [f"Choose one of {', '.join(Channel.values)}."]
    if errors:
        raise ValidationError(errors)
    allowed = {Channel.EMAIL: values["email_allowed"], Channel.SMS: values["sms_allowed"]}
    if values["reminders_consent"] and not any(allowed.values()):
        errors["reminders_consent"] = [
            "Allow email or text messages: a patient who agrees to reminders needs a channel."
        ]
    elif any(allowed.values()) and not allowed[Channel(channel)]:
        errors["preferred_channel"] = [
            f"{Channel(channel).label} is not allowed for this patient; allow it or prefer "
            "the other channel."
        ]
    start, end = values["quiet_hours_start"], values["quiet_hours_end"]
    for name, value in (("quiet_hours_start", start), ("quiet_hours_end", end)):
        if value is not None and not isinstance(value, dt.time):
            errors[name] = ["Give a time of day, HH:MM."]
    if not errors.get("quiet_hours_start") and not errors.get("quiet_hours_end"):
        if (start is None) != (end is None):
            errors["quiet_hours_end" if end is None else "quiet_hours_start"] = [
                "Give both the start and the end of the quiet hours, or neither."
            ]
        elif start is not None and start == end:
            errors["quiet_hours_end"] = ["Quiet hours must end at another time than they start."]
    if errors:
        raise ValidationError(errors)


def set_contact_preference(
    actor: Membership,
    patient: Patient,
    *,
    reminders_consent: bool,
    email_allowed: bool,
    sms_allowed: bool,
    preferred_channel: str,
    quiet_hours_start: dt.time | None = None,
    quiet_hours_end: dt.time | None = None,
) -> ContactPreference:
    """Record whether the patient agrees to reminders and how to reach them. A change of the
    consent answer records who recorded it and when; the audit event names what changed."""
    check_patient_access(actor, patient, Need.EDIT_DEMOGRAPHICS)
    require_role(actor, PREFERENCE_ROLES, what="contact-preference")
    values: dict[str, Any] = {
        "reminders_consent": reminders_consent,
        "email_allowed": email_allowed,
        "sms_allowed": sms_allowed,
        "preferred_channel": preferred_channel,
        "quiet_hours_start": quiet_hours_start,
        "quiet_hours_end": quiet_hours_end,
    }
    _validate(values)
    return _save_preference(actor, patient, values)


@transaction.atomic
def _save_preference(
    actor: Membership, patient: Patient, values: dict[str, Any]
) -> ContactPreference:
    now = timezone.now()
    preference = ContactPreference.objects.select_for_update().filter(patient=patient).first()
    created = preference is None
    if preference is None:
        preference = ContactPreference(
            organization=patient.organization, patient=patient, updated_by=actor.user
        )
    changed = [name for name in PREFERENCE_FIELDS if getattr(preference, name) != values[name]]
    consent_answered = created or "reminders_consent" in changed
    if not changed and not created:
        return preference
    for name in changed:
        setattr(preference, name, values[name])
    if consent_answered:
        preference.consent_recorded_at = now
        preference.consent_recorded_by = actor.user
    preference.updated_by = actor.user
    if created:
        preference.save()
    else:
        extra = ["consent_recorded_at", "consent_recorded_by"] if consent_answered else []
        preference.save(update_fields=[*changed, *extra, "updated_by", "updated_at"])
    record(
        "contact-preference.create" if created else "contact-preference.update",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=patient,
        detail={
            "fields": sorted(changed),
            "reminders_consent": preference.reminders_consent,
            "email_allowed": preference.email_allowed,
            "sms_allowed": preference.sms_allowed,
            "preferred_channel": preference.preferred_channel,
        },
    )
    return preference


# --- Reminders: the staff's list and retry -----------------------------------------------------


def _organization_reminders(actor: Membership) -> QuerySet[Reminder]:
    return Reminder.objects.filter(organization_id=actor.organization_id)


def reminder_list(
    actor: Membership, *, status: str = "", limit: int = RECENT_LIMIT
) -> list[Reminder]:
    """The organization's reminders for the Reminders page: every failed one first (oldest
    problem first), then the most recent others (latest send time first). Audited."""
    require_role(actor, REMINDER_ROLES, what="reminders")
    if status and status not in Reminder.Status.values:
        raise ValidationError(
            {"status": [f"Choose one of {', '.join(Reminder.Status.values)}, or none."]}
        )
    rows = _organization_reminders(actor).select_related("patient")
    if status:
        rows = rows.filter(status=status)
    failed = list(
        rows.filter(status=Reminder.Status.FAILED).order_by("updated_at", "id")
        if status in ("", Reminder.Status.FAILED)
        else []
    )
    others = list(
        rows.exclude(status=Reminder.Status.FAILED).order_by("-send_after", "-id")[:limit]
    )
    found = failed + others
    record(
        "reminder.list",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(found), "status": status},
    )
    return found


def patient_reminders(patient: Patient, *, limit: int = 20) -> list[Reminder]:
    """The patient's latest reminders (shown with their contact preferences, whose read is
    the audited event)."""
    return list(Reminder.objects.filter(patient=patient).order_by("-send_after", "-id")[:limit])


def get_reminder(actor: Membership, reminder_uuid: object) -> Reminder:
    """A reminder of the member's organization; anything else is a 404 (audited)."""
    require_role(actor, REMINDER_ROLES, what="reminders")
    try:
        found = (
            _organization_reminders(actor)
            .select_related("patient", "organization")
            .filter(uuid=str(reminder_uuid))
            .first()
        )
    except ValidationError:  # not a UUID at all
        found = None
    if found is None:
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            detail={"what": "reminder", "id": str(reminder_uuid)},
        )
        raise Http404("No such record.")
    return found


def retry_reminder(actor: Membership, reminder: Reminder) -> Reminder:
    """Send a failed (or skipped) reminder again: back to pending, attempts from zero, due
    now. Skipped for a reason that still holds (no consent, visit cancelled), it is skipped
    again at once, with the reason. `reminder` comes from `get_reminder`."""
    require_role(actor, REMINDER_ROLES, what="reminders")
    if reminder.organization_id != actor.organization_id:
        raise Http404("No such record.")
    return _retry(actor, reminder)


@transaction.atomic
def _retry(actor: Membership, reminder: Reminder) -> Reminder:
    now = timezone.now()
    changed = Reminder.objects.filter(
        pk=reminder.pk, status__in=[Reminder.Status.FAILED, Reminder.Status.SKIPPED]
    ).update(
        status=Reminder.Status.PENDING,
        attempts=0,
        skip_reason="",
        next_attempt_at=now,
        claimed_by="",
        claimed_until=None,
        updated_at=now,
    )
    if not changed:
        current = Reminder.objects.values_list("status", flat=True).get(pk=reminder.pk)
        raise ValidationError(
            {
                "status": [
                    f"Only a failed or skipped reminder can be retried; this one is {current}."
                ]
            }
        )
    record(
        "reminder.retry",
        actor=actor.user,
        organization=actor.organization,
        patient=reminder.patient,
        target=reminder,
        detail={"kind": reminder.kind, "was": reminder.status},
    )
    reminder.refresh_from_db()
    return reminder
