"""API schemas of contact preferences and reminders. No `from __future__ import annotations`:
ninja reads the annotations at run time."""

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, TypeAlias
from uuid import UUID

from ninja import Schema
from pydantic import BeforeValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

from dosewise.api_schemas import InSchema, PersonOut, one_of
from dosewise.notifications.models import Channel, Reminder

if TYPE_CHECKING:
    ChannelValue: TypeAlias = str
    ReminderKind: TypeAlias = str
    ReminderStatus: TypeAlias = str
else:
    ChannelValue = one_of(Channel)
    ReminderKind = one_of(Reminder.Kind)
    ReminderStatus = one_of(Reminder.Status)

_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _hh_mm(value: object) -> object:
    # Pydantic would also take 3600 (seconds) or "21:00:00.5" as a time; a time of day arrives
    # written as a clock shows it.
    if value is None or (isinstance(value, str) and _HH_MM.fullmatch(value)):
        return value
    raise PydanticCustomError("time_format", "Write the time of day as HH:MM (24-hour clock).")


ClockTime = Annotated[dt.time | None, BeforeValidator(_hh_mm)]


class ContactPreferenceIn(InSchema):
    """The patient's whole reminder preferences (PUT replaces them)."""

    reminders_consent: StrictBool = Field(
        description="The patient agrees to appointment, blood test and questionnaire reminders. "
        "Changing it records you and now as who recorded the answer, and when."
    )
    email_allowed: StrictBool
    sms_allowed: StrictBool
    preferred_channel: ChannelValue = Field(
        description="email or sms; must be an allowed channel when any is allowed."
    )
    quiet_hours_start: ClockTime = Field(
        None, description="HH:MM, clinic time zone; with quiet_hours_end, or both null."
    )
    quiet_hours_end: ClockTime = Field(None, description="HH:MM; may be before the start.")


class ContactPreferenceOut(Schema):
    patient: UUID
    recorded: bool = Field(description="False: nothing recorded yet (no reminder is sent).")
    reminders_consent: bool
    consent_recorded_at: dt.datetime | None
    consent_recorded_by: PersonOut | None
    email_allowed: bool
    sms_allowed: bool
    preferred_channel: ChannelValue
    quiet_hours_start: str | None = Field(description="HH:MM, or null: the clinic's hours.")
    quiet_hours_end: str | None
    email_on_file: bool
    phone_on_file: bool


class ReminderPatientRef(Schema):
    uuid: UUID
    name: str
    mrn: str


class ReminderOut(Schema):
    uuid: UUID
    patient: ReminderPatientRef
    kind: ReminderKind
    status: ReminderStatus
    skip_reason: str = Field(description="Why a skipped reminder was not sent.")
    channel: str = Field(description="email or sms once chosen at sending; else empty.")
    recipient: str
    subject: str
    body: str
    send_after: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: int
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime
