"""JSON API for adherence reported at follow-up and the antidepressant trial review.

Thin like the web views: parse, resolve through `dosewise.access`, call one service
(`dosewise.prescribing.adherence`), render. Clinical endpoints: front desk and clinic admins get
404; writing needs the patient's care team (403 otherwise); confirming or dismissing the
treatment-resistance suggestion is the prescriber's (422 for others).

No `from __future__ import annotations`: the schemas below are read by pydantic at run time.
"""

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Router, Schema, Status
from pydantic import Field

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.api_auth import member
from dosewise.api_schemas import InSchema, IsoDate, one_of
from dosewise.audit.services import record
from dosewise.domain import measurement
from dosewise.prescribing import adherence
from dosewise.prescribing.models import AdherenceRecord, Prescription, TrialSuggestionDecision

if TYPE_CHECKING:
    AdherenceStatus: TypeAlias = str
else:
    AdherenceStatus = one_of(AdherenceRecord.Status)

router = Router(tags=["measurement"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
PrescriptionId = Annotated[str, Path(description="The prescription's public id (UUID).")]


class AdherenceIn(InSchema):
    """What the patient reported at a follow-up about taking this medication."""

    status: AdherenceStatus = Field(
        description="FHIR R5 MedicationStatement.adherence: taking-as-directed, "
        "taking-not-as-directed (missing doses) or stopped."
    )
    on: IsoDate | None = Field(None, description="The follow-up date; today when left out.")
    note: str = Field("", max_length=adherence.NOTE_MAX)


class AdherenceOut(Schema):
    uuid: UUID
    prescription: UUID
    drug: str
    status: str
    on: dt.date
    note: str
    author: str


class TrialOut(Schema):
    """One antidepressant trial, its verdict and PHQ-9 outcome."""

    drug: str
    start: dt.date
    end: dt.date | None = Field(description="Null while the course continues.")
    highest_mg_per_day: float
    minimum_mg_per_day: float
    minimum_source: str
    minimum_verification: str
    required_weeks: int
    weeks_at_adequate_dose: float
    verdict: str = Field(description="adequate, below_minimum_dose, too_short, poor_adherence.")
    adequate: bool
    reason: str
    baseline_phq9: int | None
    outcome_phq9: int | None
    change_percent: float | None = Field(description="Negative: fewer symptoms.")
    not_improving: bool | None = Field(description="Null when it cannot be judged.")
    note: str


class DecisionOut(Schema):
    uuid: UUID
    decision: str
    note: str
    trials: list[dict[str, str]]
    author: str
    decided_at: dt.datetime


class SuggestionOut(Schema):
    text: str
    source: str
    failed_trials: list[dict[str, str]]
    decision: DecisionOut | None = Field(description="The decision on these trials, if made.")


class TrialReviewOut(Schema):
    on: dt.date
    trials: list[TrialOut]
    suggestion: SuggestionOut | None = Field(
        description="Possible treatment-resistant depression, for the prescriber to confirm "
        "or dismiss; never a diagnosis."
    )


class TrdDecisionIn(InSchema):
    decision: Literal["confirm", "dismiss"]
    note: str = Field("", max_length=2000, description="Required to dismiss: say why.")


def _adherence_out(entry: AdherenceRecord, prescription: Prescription) -> dict[str, Any]:
    return {
        "uuid": entry.uuid,
        "prescription": prescription.uuid,
        "drug": prescription.drug,
        "status": entry.status,
        "on": entry.reported_on,
        "note": entry.note,
        "author": str(entry.author),
    }


def _decision_out(made: TrialSuggestionDecision) -> dict[str, Any]:
    return {
        "uuid": made.uuid,
        "decision": made.decision,
        "note": made.note,
        "trials": made.trials,
        "author": str(made.author),
        "decided_at": made.decided_at,
    }


def _trial_out(outcome: measurement.TrialOutcome) -> dict[str, Any]:
    trial = outcome.trial
    return {
        "drug": trial.drug,
        "start": trial.start,
        "end": trial.end,
        "highest_mg_per_day": float(trial.highest_mg_per_day),
        "minimum_mg_per_day": float(trial.minimum_mg_per_day),
        "minimum_source": trial.minimum_source,
        "minimum_verification": trial.minimum_verification.value,
        "required_weeks": trial.required_weeks,
        "weeks_at_adequate_dose": float(trial.weeks_at_adequate_dose),
        "verdict": trial.verdict.value,
        "adequate": trial.adequate,
        "reason": trial.reason,
        "baseline_phq9": outcome.baseline.total if outcome.baseline else None,
        "outcome_phq9": outcome.outcome.total if outcome.outcome else None,
        "change_percent": None if outcome.change_percent is None else float(outcome.change_percent),
        "not_improving": outcome.not_improving,
        "note": outcome.note,
    }


@router.post("/prescriptions/{prescription_uuid}/adherence", response={201: AdherenceOut})
def record_adherence(
    request: HttpRequest, prescription_uuid: PrescriptionId, payload: AdherenceIn
) -> Status:
    """Record what the patient reported at a follow-up about taking this medication (care
    team: prescribers and nurses). Missing doses or a stop during an antidepressant trial makes
    it not adequate."""
    actor = member(request)
    prescription = get_patient_record(actor, Prescription, prescription_uuid, Need.CLINICAL_WRITE)
    entry = adherence.record_adherence(
        actor,
        prescription,
        status=payload.status,
        on=payload.on or timezone.localdate(),
        note=payload.note,
    )
    return Status(201, _adherence_out(entry, prescription))


@router.get("/patients/{patient_uuid}/antidepressant-trials", response=TrialReviewOut)
def get_antidepressant_trials(request: HttpRequest, patient_uuid: PatientId) -> dict[str, Any]:
    """Every antidepressant trial in the record with its verdict (adequate or why not) and
    PHQ-9 outcome, and the possible treatment-resistant depression suggestion when adequate
    trials of two antidepressants improved the PHQ-9 by less than 25%. The whole record counts
    as one episode for now."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    card = adherence.trial_card(patient, on=today)
    if card.review is None:
        raise ValidationError({"patient": [f"The trial review could not be made: {card.error}"]})
    suggestion = None
    if card.review.suggestion is not None:
        suggestion = {
            "text": card.review.suggestion.text,
            "source": card.review.suggestion.source,
            "failed_trials": adherence.suggestion_trials(card.review.suggestion),
            "decision": _decision_out(card.decision) if card.decision else None,
        }
    record(
        "antidepressant-trials.read",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(card.review.outcomes), "suggestion": suggestion is not None},
    )
    return {
        "on": today,
        "trials": [_trial_out(outcome) for outcome in card.review.outcomes],
        "suggestion": suggestion,
    }


@router.post("/patients/{patient_uuid}/trd-suggestion-decision", response={201: DecisionOut})
def decide_trd_suggestion(
    request: HttpRequest, patient_uuid: PatientId, payload: TrdDecisionIn
) -> Status:
    """Confirm or dismiss today's possible treatment-resistant depression suggestion
    (prescribers on the care team; a dismissal says why). 422 when there is none or it was
    already decided."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    made = adherence.decide_trd_suggestion(
        actor, patient, decision=payload.decision, note=payload.note
    )
    return Status(201, _decision_out(made))
