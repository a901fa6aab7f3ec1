"""API schemas of scheduling. No `from __future__ import annotations`: ninja reads the
annotations at run time. Appointments carry no diagnosis or drug: front desk reads them."""

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from dosewise.api_schemas import InSchema, PersonOut, one_of
from dosewise.scheduling.models import Appointment


class PatientRef(Schema):
    uuid: UUID
    name: str
    mrn: str


class AppointmentIn(InSchema):
    """Book an appointment."""

    clinician: UUID = Field(description="The clinician's user id (an active prescriber or nurse).")
    kind: one_of(Appointment.Kind) = Field(description="intake, follow-up or medication-check.")  # type: ignore[valid-type]
    mode: one_of(Appointment.Mode) = Field(description="in-person or telehealth.")  # type: ignore[valid-type]
    starts_at: dt.datetime = Field(
        description="Start with its time-zone offset (2026-03-02T09:30:00-05:00), on a 5-minute "
        "mark, not in the past, inside the clinician's hours."
    )
    duration_minutes: int = Field(description="5 to 240, a multiple of 5.")
    video_url: str = Field(
        "", max_length=500, description="Telehealth only (required then): an https:// link."
    )


class RescheduleIn(InSchema):
    """Move a booked appointment; every booking check runs again."""

    starts_at: dt.datetime = Field(description="The new start, with its time-zone offset.")
    duration_minutes: int | None = Field(None, description="A new length; unchanged if omitted.")


class StatusIn(InSchema):
    """Move an appointment along its workflow."""

    status: one_of(Appointment.Status, leave_out=("booked",)) = Field(  # type: ignore[valid-type]
        description="arrived, fulfilled, noshow or cancelled (booked -> arrived -> fulfilled; "
        "booked -> cancelled or noshow)."
    )
    reason: str = Field("", max_length=300, description="Required to cancel.")


class CancelIn(InSchema):
    reason: str = Field(max_length=300, description="Why the appointment is cancelled.")


class AppointmentOut(Schema):
    uuid: UUID
    patient: PatientRef
    clinician: PersonOut
    kind: str
    mode: str
    video_url: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int
    status: str
    cancel_reason: str
    booked_by: PersonOut
    booked_at: dt.datetime

    @staticmethod
    def resolve_patient(obj: Any) -> dict[str, Any]:
        return {"uuid": obj.patient.uuid, "name": obj.patient.full_name, "mrn": obj.patient.mrn}


class ClinicianOut(Schema):
    uuid: UUID
    name: str
    role: str


class AvailabilityOut(Schema):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday.")
    start_time: dt.time
    end_time: dt.time


class TimeOffOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class ClinicianHoursOut(Schema):
    clinician: ClinicianOut
    time_zone: str = Field(description="The clinic's time zone, in which the hours are given.")
    weekly_hours: list[AvailabilityOut]
    time_off: list[TimeOffOut] = Field(description="Time off that has not ended.")


class FollowUpOut(Schema):
    due_by: dt.date
    status: str = Field(description="booked, due or overdue.")
    overdue_days: int
    reason: str
    rule_id: str
    source: str = Field(description="Source id (docs/clinical-sources.md).")
    citation: str
    verification: str
    booked_on: dt.date | None
