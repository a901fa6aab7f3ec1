"""API schemas for rating-scale administrations, their trend and the safety alerts they raise.

Output schemas read only what the endpoint loaded; they never query the database. No
`from __future__ import annotations`: pydantic reads the annotations at run time.
"""

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, TypeAlias
from uuid import UUID

from ninja import Schema
from pydantic import AwareDatetime, BeforeValidator, Field, StrictInt
from pydantic_core import PydanticCustomError

from dosewise.api_schemas import InSchema, PersonOut, one_of
from dosewise.clinical.models import Assessment, SafetyAlert

if TYPE_CHECKING:
    AnsweredBy: TypeAlias = str
    AssessmentMode: TypeAlias = str
else:
    AnsweredBy = one_of(Assessment.AnsweredBy)
    AssessmentMode = one_of(Assessment.Mode)

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _iso_datetime_with_offset(value: object) -> object:
    # Pydantic would take 1700000000 or a time without offset; the moment of an administration
    # is written out with its offset, so it is never read in the wrong time zone.
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    if isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError(
        "datetime_format",
        "Write the time as YYYY-MM-DDTHH:MM with its UTC offset, e.g. 2026-05-04T09:30+02:00.",
    )


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_with_offset)]


class AssessmentIn(InSchema):
    """One administration of a rating scale, answers as the item values in order."""

    instrument: str = Field(
        max_length=32, description="Instrument id: phq9, phq2, gad7, gad2, asrs, pcl5, aims, asq."
    )
    answers: list[StrictInt] = Field(
        max_length=100,
        description="The scored items' values in order (yes/no as 1/0), e.g. 9 for the PHQ-9.",
    )
    answered_by: AnsweredBy
    mode: AssessmentMode
    encounter: UUID | None = Field(
        None, description="The encounter (of this patient) where the scale was given."
    )
    administered_at: IsoDateTime | None = Field(
        None, description="When it was answered, with UTC offset; now when left out."
    )


class AlertRefOut(Schema):
    """The safety alert an administration raised."""

    uuid: UUID
    kind: str


class AssessmentOut(Schema):
    uuid: UUID
    patient: UUID
    encounter: UUID | None
    instrument: str
    instrument_name: str
    answers: list[int]
    total: int
    band: str | None = Field(description="Severity band; null where the instrument has none.")
    positive: bool | None = Field(description="Screen result; null where not a screener.")
    flags: list[str]
    answered_by: str
    mode: str
    administered_at: dt.datetime
    status: str
    entered_in_error_reason: str
    recorded_by: PersonOut | None
    alert: AlertRefOut | None = Field(
        description="The urgent alert this administration raised (suicide_risk, acute_risk)."
    )

    @staticmethod
    def resolve_patient(obj: Assessment) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_encounter(obj: Assessment) -> UUID | None:
        return obj.encounter.uuid if obj.encounter is not None else None

    @staticmethod
    def resolve_band(obj: Assessment) -> str | None:
        return obj.band or None

    @staticmethod
    def resolve_alert(obj: Assessment) -> SafetyAlert | None:
        # The endpoint prefetches `alerts`; an administration raises at most one.
        alerts = list(obj.alerts.all())
        return alerts[0] if alerts else None


class SafetyAssessmentIn(InSchema):
    """The clinician's safety assessment that answers an alert."""

    safety_assessment: str = Field(
        max_length=10000, description="Risk, plan, and who was told; kept with the alert."
    )


class SafetyAlertOut(Schema):
    """An urgent alert and what raised it: an administration (`assessment`), a lab result
    (`observation`) or a side-effect report (`side_effect`); the other two are null."""

    uuid: UUID
    patient: UUID
    kind: str
    reason: str
    assessment: UUID | None
    observation: UUID | None
    side_effect: UUID | None
    instrument_name: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: PersonOut | None
    safety_assessment: str

    @staticmethod
    def resolve_patient(obj: SafetyAlert) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_assessment(obj: SafetyAlert) -> UUID | None:
        return obj.assessment.uuid if obj.assessment else None

    @staticmethod
    def resolve_observation(obj: SafetyAlert) -> UUID | None:
        return obj.observation.uuid if obj.observation else None

    @staticmethod
    def resolve_side_effect(obj: SafetyAlert) -> UUID | None:
        return obj.side_effect.uuid if obj.side_effect else None

    @staticmethod
    def resolve_instrument_name(obj: SafetyAlert) -> str | None:
        return obj.assessment.instrument_name if obj.assessment else None


class TrendPointOut(Schema):
    """One administration on the trend, dated in the clinic's time zone."""

    date: dt.date
    total: int
    band: str | None


class ScoreOut(Schema):
    date: dt.date
    total: int


class AnalysisOut(Schema):
    """`dosewise.domain.measurement.assess` over the episode (see docs/measurement.md)."""

    baseline: ScoreOut
    latest: ScoreOut
    change_points: int = Field(description="Latest minus baseline; negative is fewer symptoms.")
    change_percent: float | None = Field(
        description="Change as a percent of the baseline, one decimal; null for a baseline of 0."
    )
    status: str = Field(
        description="no_recent_measure, baseline_only, deterioration, remission, response, "
        "partial_response or not_improving."
    )
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    important_improvement: bool
    important_deterioration: bool
    days_since_latest: int


class MeasurementOut(Schema):
    """An instrument's scores over time and how the patient is doing on it."""

    instrument: str
    instrument_name: str
    on: dt.date = Field(description="The date the analysis is as of (today).")
    stale_after_days: int
    episode_start: dt.date | None = Field(
        description="Start of the episode compared against; null: all scores are one episode."
    )
    points: list[TrendPointOut]
    analysis: AnalysisOut | None = Field(
        description="Null when there is no score yet, or the instrument has no change rules "
        "(only the PHQ-9, GAD-7 and PCL-5 have them)."
    )
