"""Write path of scheduling: book, reschedule and change the status of appointments; record
telehealth consent; edit clinicians' hours and time off; create and revoke calendar feeds.

Each function takes the acting `Membership` first, validates, writes and records its audit
event in one transaction. Scheduling is demographics-level (front desk, nurses, prescribers and
clinic admins may book), so patient access is `Need.DEMOGRAPHICS`. Bad input is a
`ValidationError` keyed by field; nothing is written then.

Double booking is refused twice: first by a query (a clear message naming who is busy), then
by the database, because each active appointment owns one `BookedSlot` row per 5-minute slot,
unique per clinician and per patient. Two requests that pass the query at the same moment
cannot both commit: the second one's slots violate the constraint, and that IntegrityError
becomes the same field error on `starts_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from dosewise.access import Need, check_patient_access, write_service
from dosewise.accounts.models import Membership, User
from dosewise.audit.services import record
from dosewise.patients.models import Patient
from dosewise.scheduling.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    SLOT_MINUTES,
    Appointment,
    Availability,
    BookedSlot,
    CalendarFeed,
    TelehealthConsent,
    TimeOff,
)

SCHEDULING_ROLES = (
    Membership.Role.PRESCRIBER,
    Membership.Role.NURSE,
    Membership.Role.STAFF,
    Membership.Role.ADMIN,
)
CLINICIAN_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)

# FHIR Appointment workflow as a clinic uses it: a booked visit is attended (arrived, then
# fulfilled), cancelled, or missed (no-show). A patient who arrived was not a no-show, and a
# finished state is final: a mistake is corrected by booking again, never by rewriting history.
TRANSITIONS: dict[str, frozenset[str]] = {
    Appointment.Status.BOOKED: frozenset(
        {Appointment.Status.ARRIVED, Appointment.Status.CANCELLED, Appointment.Status.NOSHOW}
    ),
    Appointment.Status.ARRIVED: frozenset({Appointment.Status.FULFILLED}),
    Appointment.Status.FULFILLED: frozenset(),
    Appointment.Status.CANCELLED: frozenset(),
    Appointment.Status.NOSHOW: frozenset(),
}

_HTTPS_URL = URLValidator(schemes=["https"])


# --- who ---------------------------------------------------------------------------------


def require_scheduler(actor: Membership) -> None:
    """Every active member of a clinic role may use the calendar; anyone else gets a 404."""
    if not actor.is_active or actor.role not in SCHEDULING_ROLES:
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            detail={"what": "scheduling", "why": f"role {actor.role}"},
        )
        raise Http404("No such record.")


def clinicians(organization_id: int) -> list[Membership]:
    """The active prescribers and nurses of an organization: the people who can be booked."""
    return list(
        Membership.objects.filter(
            organization_id=organization_id,
            is_active=True,
            user__is_active=True,
            role__in=CLINICIAN_ROLES,
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "id")
    )


def clinician_membership(organization_id: int, user_uuid: object) -> Membership | None:
    """The active prescriber or nurse membership of the user with this public id, or None."""
    try:
        return (
            Membership.objects.select_related("user")
            .filter(
                organization_id=organization_id,
                user__uuid=str(user_uuid),
                is_active=True,
                user__is_active=True,
                role__in=CLINICIAN_ROLES,
            )
            .first()
        )
    except ValidationError:  # not a UUID
        return None


def may_edit_hours(actor: Membership, clinician: User) -> bool:
    """A clinician edits their own hours and time off; a clinic admin edits anyone's."""
    return actor.is_active and (
        actor.role == Membership.Role.ADMIN
        or (actor.user_id == clinician.pk and actor.role in CLINICIAN_ROLES)
    )


def _require_hours_editor(actor: Membership, clinician: User) -> None:
    if not may_edit_hours(actor, clinician):
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            detail={"what": "clinician-hours", "id": str(clinician.uuid)},
        )
        raise PermissionDenied("Only the clinician or a clinic admin may change these hours.")


def _check_clinician(actor: Membership, clinician: User | None) -> User:
    if clinician is None or not any(
        member.user_id == clinician.pk for member in clinicians(actor.organization_id)
    ):
        raise ValidationError(
            {"clinician": ["Choose an active prescriber or nurse of this organization."]}
        )
    return clinician


# --- checks of one booking ---------------------------------------------------------------


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _check_time(starts_at: object, duration_minutes: object, *, now: dt.datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(starts_at, dt.datetime):
        errors["starts_at"] = ["Give the start as a date and time."]
    elif timezone.is_naive(starts_at):
        errors["starts_at"] = ["Give the start with its time zone offset (e.g. -05:00)."]
    else:
        local = _local(starts_at)
        if local.minute % SLOT_MINUTES or local.second or local.microsecond:
            errors["starts_at"] = [f"Start on a {SLOT_MINUTES}-minute mark (e.g. 9:00, 9:05)."]
        elif starts_at < now:
            errors["starts_at"] = ["This time has passed; choose a time from now on."]
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int):
        errors["duration_minutes"] = ["Give the duration in whole minutes."]
    elif not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [
            f"The duration is {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes."
        ]
    elif duration_minutes % SLOT_MINUTES:
        errors["duration_minutes"] = [f"The duration is a multiple of {SLOT_MINUTES} minutes."]
    if errors:
        raise ValidationError(errors)


def _check_kind_and_mode(kind: str, mode: str, video_url: str) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in Appointment.Kind.values:
        errors["kind"] = [f"Choose one of {', '.join(Appointment.Kind.values)}."]
    if mode not in Appointment.Mode.values:
        errors["mode"] = [f"Choose one of {', '.join(Appointment.Mode.values)}."]
    elif mode == Appointment.Mode.TELEHEALTH:
        if not video_url:
            errors["video_url"] = ["A telehealth visit needs its video link."]
        else:
            try:
                _HTTPS_URL(video_url)
            except ValidationError:
                errors["video_url"] = ["Give the video link as an https:// address."]
    elif video_url:
        errors["video_url"] = ["Only a telehealth visit has a video link."]
    if errors:
        raise ValidationError(errors)


def current_consent(patient: Patient) -> TelehealthConsent | None:
    return patient.telehealth_consents.current().first()  # type: ignore[attr-defined, no-any-return]


def _check_consent(patient: Patient, mode: str, starts_at: dt.datetime) -> None:
    if mode != Appointment.Mode.TELEHEALTH:
        return
    consent = current_consent(patient)
    if consent is None or consent.given_on > _local(starts_at).date():
        raise ValidationError(
            {"mode": ["The patient has no current telehealth consent; record it first."]}
        )


def merged_hours(rows: Iterable[Availability]) -> list[tuple[dt.time, dt.time]]:
    """One weekday's availability rows as disjoint spans (adjacent or overlapping rows join)."""
    spans: list[tuple[dt.time, dt.time]] = []
    for row in sorted(rows, key=lambda row: row.start_time):
        if spans and row.start_time <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], row.end_time))
        else:
            spans.append((row.start_time, row.end_time))
    return spans


def _check_hours(clinician: User, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    start, end = _local(starts_at), _local(ends_at)
    rows = Availability.objects.filter(clinician=clinician, weekday=start.weekday())
    fits = end.date() == start.date() and any(
        span_start <= start.time() and end.time() <= span_end
        for span_start, span_end in merged_hours(rows)
    )
    if not fits:
        raise ValidationError(
            {"starts_at": [f"{clinician} is not available then; choose a time in their hours."]}
        )
    time_off = TimeOff.objects.filter(
        clinician=clinician, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).first()
    if time_off is not None:
        raise ValidationError(
            {
                "starts_at": [
                    f"{clinician} is away from {_local(time_off.starts_at):%Y-%m-%d %H:%M} "
                    f"to {_local(time_off.ends_at):%Y-%m-%d %H:%M}."
                ]
            }
        )


def slots(starts_at: dt.datetime, duration_minutes: int) -> list[dt.datetime]:
    """The 5-minute slots an appointment covers (its start is on a 5-minute mark)."""
    return [
        starts_at + dt.timedelta(minutes=offset)
        for offset in range(0, duration_minutes, SLOT_MINUTES)
    ]


def _check_free(
    clinician: User,
    patient: Patient,
    starts_at: dt.datetime,
    duration_minutes: int,
    *,
    ignore: Appointment | None = None,
) -> None:
    """Refuse an overlap with a clear message. The database constraint is the real guard."""
    taken = BookedSlot.objects.filter(slot_at__in=slots(starts_at, duration_minutes))
    if ignore is not None:
        taken = taken.exclude(appointment=ignore)
    if taken.filter(clinician=clinician).exists():
        raise ValidationError(
            {"starts_at": [f"{clinician} already has an appointment at this time."]}
        )
    if taken.filter(patient=patient).exists():
        raise ValidationError(
            {"starts_at": ["The patient already has an appointment at this time."]}
        )


def _hold_slots(appointment: Appointment) -> None:
    """Write the appointment's slot rows; a concurrent booking that got there first makes the
    unique constraint fail, which is reported exactly like the query's refusal."""
    rows = [
        BookedSlot(
            appointment=appointment,
            clinician_id=appointment.clinician_id,
            patient_id=appointment.patient_id,
            slot_at=slot_at,
        )
        for slot_at in slots(appointment.starts_at, appointment.duration_minutes)
    ]
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            BookedSlot.objects.bulk_create(rows)
    except IntegrityError:
        raise ValidationError(
            {
                "starts_at": [
                    "This time was just booked by someone else (the clinician or the patient "
                    "already has an appointment then); choose another time."
                ]
            }
        ) from None


def _release_slots(appointment: Appointment) -> None:
    # Slot rows are an index of the active appointments, not clinical history: the appointment
    # itself keeps its time and status.
    BookedSlot.objects.filter(appointment=appointment).delete()


def _detail(appointment: Appointment) -> dict[str, Any]:
    return {
        "kind": appointment.kind,
        "mode": appointment.mode,
        "starts_at": _local(appointment.starts_at).isoformat(),
        "duration_minutes": appointment.duration_minutes,
        "clinician": str(appointment.clinician.uuid),
        "status": appointment.status,
    }


# --- appointments ------------------------------------------------------------------------


@write_service(Need.DEMOGRAPHICS)
def book_appointment(
    actor: Membership,
    patient: Patient,
    *,
    clinician: User | None,
    kind: str,
    mode: str,
    starts_at: dt.datetime,
    duration_minutes: int,
    video_url: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Book `patient` with `clinician`. Refused (field errors) when the clinician is not an
    active prescriber or nurse here, the time has passed, is outside their hours or in their
    time off, overlaps another active appointment of either, or a telehealth visit lacks its
    https link or the patient's current consent. `now` is the clock (the demo seed passes one)."""
    now = now or timezone.now()
    video_url = (video_url or "").strip()
    clinician = _check_clinician(actor, clinician)
    _check_kind_and_mode(kind, mode, video_url)
    _check_time(starts_at, duration_minutes, now=now)
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    _check_consent(patient, mode, starts_at)
    _check_hours(clinician, starts_at, ends_at)
    _check_free(clinician, patient, starts_at, duration_minutes)
    appointment = Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        clinician=clinician,
        kind=kind,
        mode=mode,
        video_url=video_url,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        booked_by=actor.user,
    )
    _hold_slots(appointment)
    record(
        "appointment.book",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=appointment,
        detail=_detail(appointment),
    )
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("patient", "clinician", "organization")
        .get(pk=appointment.pk)
    )


@write_service(Need.DEMOGRAPHICS)
def reschedule_appointment(
    actor: Membership,
    appointment: Appointment,
    *,
    starts_at: dt.datetime,
    duration_minutes: int | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booked appointment to another time (and length), re-checking everything a new
    booking is checked for; the old and new times are audited."""
    now = now or timezone.now()
    locked = _locked(appointment)
    if locked.status != Appointment.Status.BOOKED:
        raise ValidationError(
            {"status": [f"Only a booked appointment can be moved; this one is {locked.status}."]}
        )
    duration = locked.duration_minutes if duration_minutes is None else duration_minutes
    _check_time(starts_at, duration, now=now)
    ends_at = starts_at + dt.timedelta(minutes=duration)
    _check_consent(locked.patient, locked.mode, starts_at)
    _check_hours(locked.clinician, starts_at, ends_at)
    _check_free(locked.clinician, locked.patient, starts_at, duration, ignore=locked)
    before = {
        "starts_at": _local(locked.starts_at).isoformat(),
        "duration_minutes": locked.duration_minutes,
    }
    _release_slots(locked)
    locked.starts_at = starts_at
    locked.duration_minutes = duration
    locked.save(update_fields=["starts_at", "duration_minutes", "updated_at"])
    _hold_slots(locked)
    record(
        "appointment.reschedule",
        actor=actor.user,
        organization=actor.organization,
        patient=locked.patient,
        target=locked,
        detail={"from": before, **_detail(locked)},
    )
    return locked


@write_service(Need.DEMOGRAPHICS)
def change_status(
    actor: Membership,
    appointment: Appointment,
    *,
    status: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """Mark an appointment arrived, fulfilled, no-show or cancelled (with a reason), along the
    FHIR workflow (`TRANSITIONS`). Arrived and fulfilled are for the day of the visit or later,
    no-show for after its start; cancelled and no-show free the time."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    locked = _locked(appointment)
    if status not in Appointment.Status.values:
        raise ValidationError(
            {"status": [f"Choose one of {', '.join(Appointment.Status.values)}."]}
        )
    if status not in TRANSITIONS[locked.status]:
        raise ValidationError(
            {
                "status": [
                    f"A {locked.get_status_display().lower()} appointment cannot become "
                    f"{Appointment.Status(status).label.lower()}."
                ]
            }
        )
    if status in (Appointment.Status.ARRIVED, Appointment.Status.FULFILLED) and (
        _local(locked.starts_at).date() > _local(now).date()
    ):
        raise ValidationError({"status": ["The visit is on a later day; it has not happened."]})
    if status == Appointment.Status.NOSHOW and locked.starts_at > now:
        raise ValidationError({"status": ["The visit has not started yet."]})
    if status == Appointment.Status.CANCELLED and not reason:
        raise ValidationError({"reason": ["Say why the appointment is cancelled."]})
    previous = locked.status
    locked.status = status
    locked.status_changed_at = now
    locked.status_changed_by = actor.user
    fields = ["status", "status_changed_at", "status_changed_by", "updated_at"]
    if status == Appointment.Status.CANCELLED:
        locked.cancel_reason = reason
        fields.append("cancel_reason")
    locked.save(update_fields=fields)
    if status in (Appointment.Status.CANCELLED, Appointment.Status.NOSHOW):
        _release_slots(locked)
    record(
        "appointment.cancel" if status == Appointment.Status.CANCELLED else "appointment.status",
        actor=actor.user,
        organization=actor.organization,
        patient=locked.patient,
        target=locked,
        detail={"from": previous, "to": status, **({"reason": reason} if reason else {})},
    )
    return locked


def cancel_appointment(
    actor: Membership, appointment: Appointment, *, reason: str, now: dt.datetime | None = None
) -> Appointment:
    """Cancel a booked appointment with a reason (appointments are never deleted)."""
    return change_status(
        actor, appointment, status=Appointment.Status.CANCELLED, reason=reason, now=now
    )


# --- telehealth consent ------------------------------------------------------------------


@write_service(Need.DEMOGRAPHICS)
def record_telehealth_consent(
    actor: Membership, patient: Patient, *, given_on: dt.date, today: dt.date | None = None
) -> TelehealthConsent:
    """Record that the patient consented to telehealth visits on `given_on` (not in the
    future); it stays current until withdrawn."""
    today = today or timezone.localdate()
    if not isinstance(given_on, dt.date) or isinstance(given_on, dt.datetime):
        raise ValidationError({"given_on": ["Give the date as YYYY-MM-DD."]})
    if given_on > today:
        raise ValidationError({"given_on": ["Consent cannot be given in the future."]})
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if current_consent(locked) is not None:
        raise ValidationError({"given_on": ["The patient already has a current consent."]})
    consent = TelehealthConsent.objects.create(
        organization=patient.organization,
        patient=patient,
        given_on=given_on,
        recorded_by=actor.user,
    )
    record(
        "telehealth-consent.record",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=consent,
        detail={"given_on": given_on.isoformat()},
    )
    return consent


@write_service(Need.DEMOGRAPHICS)
def withdraw_telehealth_consent(actor: Membership, patient: Patient) -> TelehealthConsent:
    """Mark the patient's current telehealth consent withdrawn (the record stays). Booked
    telehealth visits are kept: the front desk is told to rebook them in person."""
    consent = patient.telehealth_consents.select_for_update().current().first()  # type: ignore[attr-defined]
    if consent is None:
        raise ValidationError({"consent": ["The patient has no current telehealth consent."]})
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor.user
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    record(
        "telehealth-consent.withdraw",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=consent,
    )
    return consent  # type: ignore[no-any-return]


# --- clinicians' hours -------------------------------------------------------------------


def add_availability(
    actor: Membership, clinician: User, *, weekday: int, start_time: dt.time, end_time: dt.time
) -> Availability:
    """Add weekly bookable hours for `clinician` (themself or, for an admin, anyone)."""
    _require_hours_editor(actor, clinician)
    with transaction.atomic():
        return _add_availability(
            actor, clinician, weekday=weekday, start_time=start_time, end_time=end_time
        )


def _add_availability(
    actor: Membership, clinician: User, *, weekday: int, start_time: dt.time, end_time: dt.time
) -> Availability:
    _check_clinician(actor, clinician)
    errors: dict[str, list[str]] = {}
    if weekday not in Availability.Weekday.values:
        errors["weekday"] = ["Choose a day of the week (0 = Monday ... 6 = Sunday)."]
    for field, value in (("start_time", start_time), ("end_time", end_time)):
        if not isinstance(value, dt.time):
            errors[field] = ["Give the time as HH:MM."]
        elif value.minute % SLOT_MINUTES or value.second or value.microsecond:
            errors[field] = [f"Use a {SLOT_MINUTES}-minute mark (e.g. 9:00, 12:30)."]
    if not errors and end_time <= start_time:
        errors["end_time"] = ["The end is after the start."]
    if errors:
        raise ValidationError(errors)
    row = Availability.objects.create(
        organization=actor.organization,
        clinician=clinician,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        created_by=actor.user,
    )
    record(
        "availability.add",
        actor=actor.user,
        organization=actor.organization,
        target=row,
        detail={
            "clinician": str(clinician.uuid),
            "weekday": weekday,
            "start": start_time.isoformat("minutes"),
            "end": end_time.isoformat("minutes"),
        },
    )
    return row


def remove_availability(actor: Membership, row: Availability) -> None:
    """Remove a span of weekly hours. Appointments already booked in it are kept."""
    _require_hours_editor(actor, row.clinician)
    with transaction.atomic():
        _remove_availability(actor, row)


def _remove_availability(actor: Membership, row: Availability) -> None:
    record(
        "availability.remove",
        actor=actor.user,
        organization=actor.organization,
        target=row,
        detail={
            "clinician": str(row.clinician.uuid),
            "weekday": row.weekday,
            "start": row.start_time.isoformat("minutes"),
            "end": row.end_time.isoformat("minutes"),
        },
    )
    # Working hours are a setting, not clinical history: the audit event keeps what they were.
    row.delete()


def add_time_off(
    actor: Membership,
    clinician: User,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> TimeOff:
    """Block a period of `clinician`'s calendar. Refused while active appointments fall in it
    (move or cancel them first, so no patient is silently left without a clinician)."""
    _require_hours_editor(actor, clinician)
    with transaction.atomic():
        return _add_time_off(actor, clinician, starts_at=starts_at, ends_at=ends_at, reason=reason)


def _add_time_off(
    actor: Membership,
    clinician: User,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
) -> TimeOff:
    _check_clinician(actor, clinician)
    errors: dict[str, list[str]] = {}
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime):
            errors[field] = ["Give a date and time."]
        elif timezone.is_naive(value):
            errors[field] = ["Give the time with its time zone offset."]
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = ["The end is after the start."]
    if errors:
        raise ValidationError(errors)
    clashes = Appointment.objects.active().filter(
        clinician=clinician,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - dt.timedelta(minutes=MAX_DURATION_MINUTES),
    )
    count = sum(1 for item in clashes if item.ends_at > starts_at)
    if count:
        raise ValidationError(
            {
                "starts_at": [
                    f"{count} active appointment(s) of {clinician} fall in this period; "
                    "move or cancel them first."
                ]
            }
        )
    time_off = TimeOff.objects.create(
        organization=actor.organization,
        clinician=clinician,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip(),
        created_by=actor.user,
    )
    record(
        "time-off.add",
        actor=actor.user,
        organization=actor.organization,
        target=time_off,
        detail={
            "clinician": str(clinician.uuid),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return time_off


def remove_time_off(actor: Membership, time_off: TimeOff) -> None:
    """Remove a period of time off (the clinician is bookable again then)."""
    _require_hours_editor(actor, time_off.clinician)
    with transaction.atomic():
        _remove_time_off(actor, time_off)


def _remove_time_off(actor: Membership, time_off: TimeOff) -> None:
    record(
        "time-off.remove",
        actor=actor.user,
        organization=actor.organization,
        target=time_off,
        detail={
            "clinician": str(time_off.clinician.uuid),
            "starts_at": time_off.starts_at.isoformat(),
            "ends_at": time_off.ends_at.isoformat(),
        },
    )
    time_off.delete()


# --- calendar feeds ----------------------------------------------------------------------


@transaction.atomic
def create_clinician_feed(actor: Membership) -> tuple[CalendarFeed, str]:
    """A private feed of the acting clinician's own schedule; returns the feed and the raw
    token (shown once; only its SHA-256 is stored)."""
    if not actor.is_active or actor.role not in CLINICIAN_ROLES:
        raise PermissionDenied("Only prescribers and nurses have a schedule feed.")
    raw, prefix, key_hash = CalendarFeed.generate()
    feed = CalendarFeed.objects.create(
        organization=actor.organization,
        kind=CalendarFeed.Kind.CLINICIAN,
        clinician=actor.user,
        prefix=prefix,
        key_hash=key_hash,
        created_by=actor.user,
    )
    record(
        "calendar-feed.create",
        actor=actor.user,
        organization=actor.organization,
        target=feed,
        detail={"kind": feed.kind},
    )
    return feed, raw


@write_service(Need.DEMOGRAPHICS)
def create_patient_feed(actor: Membership, patient: Patient) -> tuple[CalendarFeed, str]:
    """A private feed of the patient's appointments, for the patient to subscribe to; returns
    the feed and the raw token (shown once)."""
    raw, prefix, key_hash = CalendarFeed.generate()
    feed = CalendarFeed.objects.create(
        organization=patient.organization,
        kind=CalendarFeed.Kind.PATIENT,
        patient=patient,
        prefix=prefix,
        key_hash=key_hash,
        created_by=actor.user,
    )
    record(
        "calendar-feed.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=feed,
        detail={"kind": feed.kind},
    )
    return feed, raw


def may_revoke_feed(actor: Membership, feed: CalendarFeed) -> bool:
    if not actor.is_active or feed.organization_id != actor.organization_id:
        return False
    if feed.kind == CalendarFeed.Kind.CLINICIAN:
        return feed.clinician_id == actor.user_id or actor.role == Membership.Role.ADMIN
    return actor.role in SCHEDULING_ROLES


def revoke_calendar_feed(actor: Membership, feed: CalendarFeed) -> CalendarFeed:
    """Revoke a feed: its URL answers 404 from now on."""
    if feed.patient_id is not None:
        check_patient_access(actor, feed.patient, Need.DEMOGRAPHICS)  # type: ignore[arg-type]
    if not may_revoke_feed(actor, feed):
        raise PermissionDenied("You may not revoke this feed.")
    with transaction.atomic():
        return _revoke_calendar_feed(actor, feed)


def _revoke_calendar_feed(actor: Membership, feed: CalendarFeed) -> CalendarFeed:
    locked = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if locked.revoked_at is not None:
        raise ValidationError({"feed": ["This feed is already revoked."]})
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor.user
    locked.save(update_fields=["revoked_at", "revoked_by"])
    record(
        "calendar-feed.revoke",
        actor=actor.user,
        organization=actor.organization,
        patient=locked.patient,
        target=locked,
        detail={"kind": locked.kind},
    )
    return locked
