"""API schemas for prescriptions, the medication history and safety findings (`ThingIn` /
`ThingOut`).

Amounts arrive as JSON numbers or decimal strings (`50`, `"0.5"`) and leave as decimal strings
without trailing zeros (`"50"`, `"0.5"`), so a client never meets a binary float dose. Output
schemas read only what the endpoint loaded; they never query the database.
"""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeAlias, get_args
from uuid import UUID

from ninja import Schema
from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from dosewise.api_problems import EDIT_CONFLICT, SAFETY_BLOCK
from dosewise.api_schemas import InSchema, IsoDate, PersonOut, Problem, QueryText, one_of
from dosewise.domain.sig import TIMINGS
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride

if TYPE_CHECKING:
    DoseUnit: TypeAlias = str
    Route: TypeAlias = str
    Timing: TypeAlias = str
    OutsideSource: TypeAlias = str
    ChangeReason: TypeAlias = str
    PrescriptionStatus: TypeAlias = str
else:
    DoseUnit = one_of(Prescription.DoseUnit)
    Route = one_of(Prescription.Route)
    Timing = Literal[TIMINGS]
    # "prescribed" is what `prescribe` writes; an outside medication is one of the others.
    OutsideSource = one_of(Prescription.Source, leave_out=(Prescription.Source.PRESCRIBED,))
    # The services write "new-treatment" and "renewal" themselves (prescribe, renew).
    ChangeReason = one_of(
        RegimenEvent.Reason,
        leave_out=(RegimenEvent.Reason.NEW_TREATMENT, RegimenEvent.Reason.RENEWAL),
    )
    PrescriptionStatus = one_of(Prescription.Status)

# Text inside a mapping or list: the length first (for pydantic's string wording), then the same
# NUL refusal as every other text field.
_NO_NUL = get_args(QueryText)[1:]  # QueryText's validators, without its `str`
FindingCode = Annotated[str, StringConstraints(min_length=1, max_length=64), *_NO_NUL]
OverrideReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), *_NO_NUL
]


# What the columns of derived amounts hold (RegimenEvent.daily_mg: 10 digits, 3 decimals;
# Prescription.quantity: 8 digits, 2 decimals). Larger values would fail on save (PostgreSQL) or
# on reading back (SQLite): storage bounds, far above any real order, not clinical limits.
MAX_DAILY_MG = Decimal("9999999.999")
MAX_QUANTITY = Decimal("999999.99")
MAX_DAYS_SUPPLY = 365


def _refuse(model: str, field: str, value: object, message: str) -> ValidationError:
    error = PydanticCustomError("does_not_fit", message)
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=error, loc=(field,), input=value)]
    )


def _check_daily_dose(order: Any, per_day: Decimal | None) -> None:
    if per_day is None:
        return  # the service names the missing frequency
    dose_mg = order.dose_amount * (1 if order.dose_unit == "mg" else order.strength_mg)
    if dose_mg * per_day > MAX_DAILY_MG:
        raise _refuse(
            type(order).__name__,
            "dose_amount",
            order.dose_amount,
            "This makes a daily dose too large to record; check the dose, strength and frequency.",
        )


def _decimal_text(value: Decimal | None) -> str | None:
    # Without trailing zeros, so "1" whether the instance was just saved from 1 or read back
    # from the database as 1.000 (and never "5E+1").
    return None if value is None else f"{value.normalize():f}"


# --- Input ------------------------------------------------------------------------------------


class _SafetyAnswers(InSchema):
    """The prescriber's answers to a `safety-block` problem, and the regimen version seen."""

    overrides: dict[FindingCode, OverrideReason] = Field(
        default_factory=dict,
        max_length=50,
        description="Finding code -> why you go ahead anyway. A `contraindicated` finding needs "
        "one; a reason also acknowledges a `major` finding. Stored and audited.",
    )
    acknowledged: list[FindingCode] = Field(
        default_factory=list,
        max_length=50,
        description="Codes of the `major` findings you acknowledge. Stored and audited.",
    )
    expected_regimen_version: int | None = Field(
        None,
        ge=0,
        description="The `regimen_version` you last read. If the regimen changed since, the "
        "request is refused with an `edit-conflict` problem and nothing is written.",
    )


class _OrderFields(InSchema):
    """What the prescriber enters; the sig, and the quantity or days' supply, are derived."""

    drug: str = Field(
        max_length=80,
        description="Generic name, brand name or RxCUI from the drug knowledge base (GET /drugs).",
    )
    form: str = Field(max_length=80, examples=["tablet"])
    strength_mg: Decimal = Field(
        gt=0, max_digits=9, decimal_places=3, description="mg per unit of the product."
    )
    dose_amount: Decimal = Field(
        gt=0,
        max_digits=7,
        decimal_places=3,
        description="How many `dose_unit`s per dose, e.g. 1 or 0.5.",
    )
    dose_unit: DoseUnit
    route: Route = Prescription.Route.ORAL.value
    times_per_day: Decimal | None = Field(
        None,
        gt=0,
        max_digits=4,
        decimal_places=1,
        description="Scheduled doses a day; required unless `is_prn`.",
    )
    timings: list[Timing] = Field(
        default_factory=list,
        max_length=len(TIMINGS),
        description="When in the day, one per scheduled dose (e.g. ['morning']).",
    )
    is_prn: bool = Field(False, description="As needed (PRN).")
    prn_max_per_day: Decimal | None = Field(
        None,
        gt=0,
        max_digits=4,
        decimal_places=1,
        description="As needed: the most doses in 24 hours; required when `is_prn`.",
    )
    prn_reason: str = Field("", max_length=80, examples=["anxiety"])
    start_on: IsoDate | None = Field(None, description="Defaults to today.")
    duration_days: int | None = Field(None, ge=1, le=3650)
    quantity: Decimal | None = Field(
        None,
        gt=0,
        max_digits=8,
        decimal_places=2,
        description="Units to dispense; computed from `days_supply` when omitted.",
    )
    days_supply: int | None = Field(
        None, ge=1, le=MAX_DAYS_SUPPLY, description="Computed from `quantity` when omitted."
    )
    refills: int = Field(0, ge=0, le=99)
    earliest_fill_on: IsoDate | None = Field(
        None, description="Schedule II series: the pharmacy may not fill before this date."
    )
    substitution_allowed: bool = True
    note_to_pharmacist: str = Field("", max_length=300)
    pdmp_checked_on: IsoDate | None = Field(
        None,
        description="Controlled substances: when you checked the state PDMP (the last 7 days).",
    )

    @field_validator("timings")
    @classmethod
    def _each_time_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("duplicate_timing", "Name each time of day once.")
        return value

    @model_validator(mode="after")
    def _fits_the_record(self) -> Self:
        per_day = self.prn_max_per_day if self.is_prn else self.times_per_day
        _check_daily_dose(self, per_day)
        if per_day is None:
            return self
        units_a_day = self.dose_amount * per_day
        if self.quantity is None and self.days_supply is not None:
            if units_a_day * self.days_supply > MAX_QUANTITY:
                raise _refuse(
                    type(self).__name__,
                    "days_supply",
                    self.days_supply,
                    "This makes a quantity too large to record; check the dose and days' supply.",
                )
        elif (
            self.quantity is not None
            and self.days_supply is None
            # The service floors the days: more than the limit from one day past it.
            and self.quantity / units_a_day >= MAX_DAYS_SUPPLY + 1
        ):
            raise _refuse(
                type(self).__name__,
                "quantity",
                str(self.quantity),
                f"This quantity lasts more than {MAX_DAYS_SUPPLY} days at this dose.",
            )
        return self


class _Order(_OrderFields):
    indication: UUID = Field(description="The patient's active diagnosis this order treats.")


class PrescriptionIn(_SafetyAnswers, _Order):
    """A new prescription, signed by the token's prescriber after the safety review."""


class PrescriptionChangeIn(_SafetyAnswers, _Order):
    """A new order that replaces a prescription from its `start_on`: a dose change (same drug)
    or a switch (another drug)."""

    reason: ChangeReason
    reason_text: str = Field("", max_length=300, description="Required when `reason` is other.")


class ReviewIn(_OrderFields):
    """An order to check without signing it."""

    indication: UUID | None = Field(
        None, description="Optional here: the review does not depend on it."
    )
    replacing: UUID | None = Field(
        None, description="A dose change: the patient's prescription the order replaces."
    )
    ending: UUID | None = Field(
        None,
        description="A switch: the patient's prescription that stops today (washouts apply).",
    )


class OutsideMedicationIn(InSchema):
    """A medication the patient takes from another prescriber, over the counter or as a
    supplement (medication reconciliation); it counts in every later safety check."""

    drug: str = Field(max_length=80, description="Generic name, brand name or RxCUI.")
    source: OutsideSource
    form: str = Field("", max_length=80, description="Defaults to the dose unit.")
    strength_mg: Decimal = Field(gt=0, max_digits=9, decimal_places=3)
    dose_amount: Decimal = Field(gt=0, max_digits=7, decimal_places=3)
    dose_unit: DoseUnit
    times_per_day: Decimal | None = Field(None, gt=0, max_digits=4, decimal_places=1)
    is_prn: bool = False
    prn_max_per_day: Decimal | None = Field(None, gt=0, max_digits=4, decimal_places=1)
    outside_prescriber: str = Field("", max_length=200)
    start_on: IsoDate | None = Field(None, description="Defaults to today.")
    expected_regimen_version: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _fits_the_record(self) -> Self:
        _check_daily_dose(self, self.prn_max_per_day if self.is_prn else self.times_per_day)
        return self


class StatusChangeIn(InSchema):
    """Hold or discontinue a prescription."""

    reason: ChangeReason
    reason_text: str = Field("", max_length=300, description="Required when `reason` is other.")
    effective_on: IsoDate | None = Field(None, description="Defaults to today.")
    expected_regimen_version: int | None = Field(None, ge=0)


class ResumeIn(_SafetyAnswers):
    """Resume a held prescription today, after a fresh safety review."""

    reason: ChangeReason
    reason_text: str = Field("", max_length=300, description="Required when `reason` is other.")


class RenewIn(_SafetyAnswers):
    """A new prescription at the same dose (a Schedule II series sets `earliest_fill_on`)."""

    start_on: IsoDate | None = Field(None, description="Defaults to today.")
    earliest_fill_on: IsoDate | None = None
    refills: int | None = Field(None, ge=0, le=99, description="Defaults to the current refills.")
    pdmp_checked_on: IsoDate | None = Field(
        None, description="Controlled substances: when you checked the state PDMP."
    )


class EnteredInErrorIn(InSchema):
    """Withdraw a prescription written by mistake."""

    reason: str = Field(max_length=300, description="Why this record is wrong; kept with it.")
    expected_regimen_version: int | None = Field(None, ge=0)


# --- Output -----------------------------------------------------------------------------------


class FindingOut(Schema):
    """A safety finding: what is wrong, why, what to do, on whose word."""

    code: str = Field(examples=["maoi-with-serotonergic"])
    severity: str = Field(description="contraindicated, major, moderate, minor or info.")
    drugs: list[str]
    message: str
    mechanism: str
    action: str
    source: str
    needs: Literal["reason", "acknowledgement"] | None = Field(
        description="What signing still needs: a reason in `overrides` (contraindicated), an "
        "entry in `acknowledged` (major), or null."
    )


class ReviewOut(Schema):
    findings: list[FindingOut] = Field(description="Most severe first.")


class SafetyBlockProblem(Problem):
    """409 `safety-block`: findings need an override reason or an acknowledgement; send the
    same request again with `overrides` / `acknowledged`. Nothing was written."""

    type: str = Field(examples=[SAFETY_BLOCK])
    title: str = Field(examples=["Safety review needed"])
    status: int = Field(examples=[409])
    detail: str = Field(
        examples=["Safety review needed before signing: maoi-with-serotonergic. Give a reason…"]
    )
    findings: list[FindingOut] = Field(
        description="Every finding of the review, most severe first."
    )


class EditConflictProblem(Problem):
    """409 `edit-conflict`: the medication list changed since the version the request expected;
    read it again and decide again. Nothing was written."""

    type: str = Field(examples=[EDIT_CONFLICT])
    title: str = Field(examples=["Edit conflict"])
    status: int = Field(examples=[409])
    detail: str = Field(
        examples=["The medication list changed since you opened it (version 3, now 4). …"]
    )
    regimen_version: int = Field(description="The regimen version now.")
    expected_regimen_version: int


class IndicationOut(Schema):
    uuid: UUID
    code: str
    description: str


class RegimenEventOut(Schema):
    """One entry of the append-only medication history."""

    uuid: UUID
    prescription: UUID
    drug: str
    kind: str
    effective_on: dt.date
    reason: str
    reason_text: str
    daily_mg: str = Field(description="The daily dose after the event, in mg (decimal string).")
    replaces: UUID | None = Field(description="The prescription this event ended, if any.")
    author: PersonOut
    created_at: dt.datetime

    @staticmethod
    def resolve_prescription(obj: RegimenEvent) -> UUID:
        return obj.prescription.uuid

    @staticmethod
    def resolve_drug(obj: RegimenEvent) -> str:
        return obj.prescription.drug

    @staticmethod
    def resolve_daily_mg(obj: RegimenEvent) -> str | None:
        return _decimal_text(obj.daily_mg)

    @staticmethod
    def resolve_replaces(obj: RegimenEvent) -> UUID | None:
        return obj.replaces.uuid if obj.replaces is not None else None


class SafetyOverrideOut(Schema):
    """A finding the prescriber went ahead despite, with the reason given."""

    code: str
    severity: str
    drugs: list[str]
    message: str
    reason: str = Field(description="The reason given, or 'Acknowledged'.")
    author: PersonOut
    created_at: dt.datetime


class PrescriptionOut(Schema):
    """A prescription (FHIR MedicationRequest) or an outside medication."""

    uuid: UUID
    patient: UUID
    source: str
    status: str
    drug: str
    form: str
    strength_mg: str = Field(description="Decimal string, e.g. '50' or '0.5'.")
    dose_amount: str = Field(description="Decimal string, e.g. '1' or '0.5'.")
    dose_unit: str
    route: str
    times_per_day: str | None
    timings: list[str]
    is_prn: bool
    prn_max_per_day: str | None
    prn_reason: str
    sig: str
    daily_mg: str = Field(description="mg a day (as needed: at the maximum use).")
    start_on: dt.date
    duration_days: int | None
    quantity: str | None
    days_supply: int | None
    refills: int
    earliest_fill_on: dt.date | None
    substitution_allowed: bool
    indication: IndicationOut | None
    note_to_pharmacist: str
    outside_prescriber: str
    dea_schedule: str = Field(description="DEA schedule ('2', '2N', '3', '3N', '4', '5') or ''.")
    pdmp_checked_on: dt.date | None
    pdmp_checked_by: PersonOut | None
    prescriber: PersonOut | None
    replaces: UUID | None
    entered_in_error_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_patient(obj: Prescription) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_strength_mg(obj: Prescription) -> str | None:
        return _decimal_text(obj.strength_mg)

    @staticmethod
    def resolve_dose_amount(obj: Prescription) -> str | None:
        return _decimal_text(obj.dose_amount)

    @staticmethod
    def resolve_times_per_day(obj: Prescription) -> str | None:
        return _decimal_text(obj.times_per_day)

    @staticmethod
    def resolve_prn_max_per_day(obj: Prescription) -> str | None:
        return _decimal_text(obj.prn_max_per_day)

    @staticmethod
    def resolve_daily_mg(obj: Prescription) -> str | None:
        return _decimal_text(obj.daily_mg)

    @staticmethod
    def resolve_quantity(obj: Prescription) -> str | None:
        return _decimal_text(obj.quantity)

    @staticmethod
    def resolve_replaces(obj: Prescription) -> UUID | None:
        return obj.replaces.uuid if obj.replaces is not None else None


class PrescriptionDetailOut(PrescriptionOut):
    """A prescription with its history and the safety findings overridden to sign it."""

    events: list[RegimenEventOut]
    overrides: list[SafetyOverrideOut]
    regimen_version: int = Field(
        description="The patient's regimen version now: send it as `expected_regimen_version`."
    )

    @staticmethod
    def resolve_events(obj: Prescription) -> list[RegimenEvent]:
        # The endpoint prefetches both (`_with_details`).
        return list(obj.events.all())

    @staticmethod
    def resolve_overrides(obj: Prescription) -> list[SafetyOverride]:
        return list(obj.overrides.all())


class PrescriptionListOut(Schema):
    regimen_version: int = Field(
        description="The patient's regimen version: send it as `expected_regimen_version`."
    )
    items: list[PrescriptionOut]


class RegimenHistoryOut(Schema):
    regimen_version: int = Field(
        description="The patient's regimen version: send it as `expected_regimen_version`."
    )
    items: list[RegimenEventOut] = Field(description="In order: effective date, then entry.")
