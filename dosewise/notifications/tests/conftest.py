"""Reminder tests: a fixed clock, an in-memory SMS outbox, and no clinic quiet hours unless a
test sets them (so no test depends on the hour it runs at)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from dosewise.accounts.models import Membership
from dosewise.notifications import sms
from dosewise.notifications.models import ContactPreference
from dosewise.patients.models import Patient
from dosewise.scheduling.models import Appointment

NEW_YORK = ZoneInfo("America/New_York")
# A Tuesday afternoon in the clinic's time zone.
NOW = dt.datetime(2030, 6, 4, 15, 0, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def _reminder_settings(settings: Any) -> Iterator[None]:
    settings.SMS_BACKEND = "dosewise.notifications.sms.LocmemSmsBackend"
    settings.REMINDER_QUIET_HOURS = None
    settings.TIME_ZONE = "America/New_York"
    sms.outbox.clear()
    mail.outbox = []
    yield
    sms.outbox.clear()


def consent(
    patient: Patient,
    by: Membership,
    *,
    agrees: bool = True,
    email: bool = True,
    sms_ok: bool = False,
    preferred: str = "email",
    quiet: tuple[dt.time, dt.time] | None = None,
) -> ContactPreference:
    """Setup: the patient's preferences as a front desk would record them."""
    return ContactPreference.objects.create(
        organization=patient.organization,
        patient=patient,
        reminders_consent=agrees,
        consent_recorded_at=NOW - dt.timedelta(days=30),
        consent_recorded_by=by.user,
        email_allowed=email,
        sms_allowed=sms_ok,
        preferred_channel=preferred,
        quiet_hours_start=quiet[0] if quiet else None,
        quiet_hours_end=quiet[1] if quiet else None,
        updated_by=by.user,
    )


@pytest.fixture
def book() -> Callable[..., Appointment]:
    """`book(patient, clinician, starts_at, telehealth=False)`: a booked appointment (setup)."""

    def make(
        patient: Patient,
        clinician: Membership,
        starts_at: dt.datetime,
        *,
        telehealth: bool = False,
    ) -> Appointment:
        return Appointment.objects.create(
            organization=patient.organization,
            patient=patient,
            clinician=clinician.user,
            kind=Appointment.Kind.FOLLOW_UP,
            mode=Appointment.Mode.TELEHEALTH if telehealth else Appointment.Mode.IN_PERSON,
            video_url="https://video.example.org/room/abc123" if telehealth else "",
            starts_at=starts_at,
            duration_minutes=30,
            booked_by=clinician.user,
        )

    return make
