"""API schemas of the measurement schedule. No `from __future__ import annotations`: ninja
reads the annotations at run time."""

import datetime as dt
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from dosewise.api_schemas import InSchema


class PlanItemIn(InSchema):
    """Measure `instrument` every `interval_days` days."""

    instrument: str = Field(max_length=32, description="The instrument (phq9, gad7, pcl5, ...).")
    interval_days: int = Field(description="Days between administrations, 7 to 365.")


class PlanItemOut(Schema):
    instrument: str
    instrument_name: str
    interval_days: int | None = Field(description="None: only at dose changes.")
    at_dose_change: bool = Field(description="Due again at each ADHD medication dose change.")
    reason: str
    last_administered_on: dt.date | None
    next_due_on: dt.date | None = Field(description="None: at the next dose change.")
    overdue_days: int
    is_due: bool
    due_reason: str


class MeasurementPlanOut(Schema):
    patient: UUID
    created_at: dt.datetime
    items: list[PlanItemOut]


class PatientRef(Schema):
    uuid: UUID
    name: str
    mrn: str


class DueOut(Schema):
    patient: PatientRef
    instrument: str
    instrument_name: str
    last_administered_on: dt.date | None
    due_on: dt.date
    overdue_days: int
    reason: str


class PanelRowOut(Schema):
    patient: PatientRef
    diagnosis_codes: list[str]
    instrument: str = Field(description="Empty for a patient with nothing measured or planned.")
    instrument_name: str
    latest_total: int | None
    latest_on: dt.date | None
    baseline_total: int | None
    baseline_on: dt.date | None
    change_points: int | None
    change_percent: Decimal | None
    status: str = Field(
        description="remission, response, partial_response, not_improving, deterioration, "
        "baseline_only, no_recent_measure; empty for an instrument without change rules."
    )
