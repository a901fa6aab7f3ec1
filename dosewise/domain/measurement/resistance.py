"""Whether the patient improved on each adequate antidepressant trial, and the suggestion of
possible treatment-resistant depression when two or more different antidepressants failed.

Not improving: under 25 % reduction of the PHQ-9 from the last score of the episode on or
before the trial start to the latest score from the day the trial became adequate to the end
of its stretch at the minimum dose (a score on the day the drug was changed or stopped counts:
it was taken on the old regimen). A latest score in remission is never "not improving".

The suggestion lists the trials for the clinician to confirm or dismiss; it is never a
diagnosis (brief §6: FDA/EMA definition, at least 2 antidepressants at adequate dose and
duration in the current episode; rule out pseudo-resistance first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import Verification
from dosewise.domain.measurement.change import (
    INSTRUMENTS,
    PARTIAL_RESPONSE_PERCENT,
    ScorePoint,
    Threshold,
    checked_scores,
    improvement_at_least,
    percent_change,
)
from dosewise.domain.measurement.trials import (
    DEFAULT_TRIAL_WEEKS,
    AdherenceRecord,
    DoseInterval,
    Trial,
    antidepressant_trials,
)

TRD_MIN_FAILED_TRIALS = Threshold(
    2,
    "FDA/EMA definition used for esketamine: inadequate response to at least 2 "
    "antidepressants at adequate dose and duration in the current episode (brief §6)",
    Verification.VERIFIED,
)


@dataclass(frozen=True)
class TrialOutcome:
    """The PHQ-9 change over one trial; `not_improving` is None when it cannot be judged
    (trial not adequate, no baseline, no score since it became adequate, baseline 0)."""

    trial: Trial
    baseline: ScorePoint | None
    outcome: ScorePoint | None
    change_percent: Decimal | None  # negative: fewer symptoms
    not_improving: bool | None
    note: str


@dataclass(frozen=True)
class TreatmentResistanceSuggestion:
    """Shown to the clinician with the trials listed, to confirm or dismiss. Not a diagnosis."""

    failed_trials: tuple[TrialOutcome, ...]
    text: str
    source: str


@dataclass(frozen=True)
class TrialReview:
    outcomes: tuple[TrialOutcome, ...]  # every antidepressant trial of the episode, by start
    failed: tuple[TrialOutcome, ...]  # adequate trials with under 25 % improvement
    suggestion: TreatmentResistanceSuggestion | None


def trial_outcomes(
    trials: Iterable[Trial],
    scores: Iterable[ScorePoint],
    *,
    on: dt.date,
    episode_start: dt.date | None = None,
) -> list[TrialOutcome]:
    """The PHQ-9 change over each trial: from the last episode score on or before the trial
    start to the latest score from the day it became adequate to the end of the stretch at
    the minimum dose (`on` while it continues). Only depression instruments are accepted."""
    measured = checked_scores(scores, allow_empty=True)
    if measured:
        rules = INSTRUMENTS[measured[0].instrument]
        if not rules.measures_depression:
            raise ValueError(
                f"scores: {rules.instrument} does not measure depression; pass PHQ-9 scores"
            )
        if measured[-1].on > on:
            raise ValueError(
                f"scores: a score is dated {measured[-1].on.isoformat()}, after on={on.isoformat()}"
            )
    if episode_start is not None:
        measured = [score for score in measured if score.on >= episode_start]
    return [_outcome(trial, measured, on=on) for trial in trials]


def _outcome(trial: Trial, measured: list[ScorePoint], *, on: dt.date) -> TrialOutcome:
    adequate_on = trial.adequate_on
    if adequate_on is None:
        return TrialOutcome(trial, None, None, None, None, "not an adequate trial")
    before = [score for score in measured if score.on <= trial.start]
    baseline = before[-1] if before else None
    last_day = trial.adequate_until or on
    during = [score for score in measured if adequate_on <= score.on <= last_day]
    outcome = during[-1] if during else None
    if baseline is None:
        return TrialOutcome(
            trial, None, outcome, None, None, "no score on or before the trial start"
        )
    if outcome is None:
        return TrialOutcome(
            trial, baseline, None, None, None, "no score since the trial became adequate"
        )
    if baseline.total == 0:
        return TrialOutcome(trial, baseline, outcome, None, None, "baseline score was 0")
    change = percent_change(baseline.total, outcome.total)
    remission = INSTRUMENTS[outcome.instrument].remission_below
    if remission is not None and outcome.total < remission.value:
        return TrialOutcome(trial, baseline, outcome, change, False, "in remission")
    improved = improvement_at_least(baseline.total, outcome.total, PARTIAL_RESPONSE_PERCENT.value)
    note = "improved by 25% or more" if improved else "improved by less than 25%"
    return TrialOutcome(trial, baseline, outcome, change, not improved, note)


def treatment_resistance(
    outcomes: Iterable[TrialOutcome],
) -> TreatmentResistanceSuggestion | None:
    """A suggestion of possible treatment-resistant depression when adequate trials of at least
    two different antidepressants in this episode brought under 25 % improvement (a second
    course of the same drug is not a second antidepressant)."""
    failed = tuple(outcome for outcome in outcomes if outcome.not_improving)
    drugs = list(dict.fromkeys(outcome.trial.drug for outcome in failed))
    if len(drugs) < TRD_MIN_FAILED_TRIALS.value:
        return None
    listed = ", ".join(
        f"{outcome.trial.drug} from {outcome.trial.start.isoformat()}" for outcome in failed
    )
    text = (
        f"Possible treatment-resistant depression: the PHQ-9 improved by less than 25% during "
        f"adequate trials of {len(drugs)} antidepressants in this episode ({listed}). "
        "A suggestion for the clinician to confirm or dismiss, not a diagnosis. Rule out "
        "pseudo-resistance first: adherence, dose and duration, interactions and metabolism, "
        "and the diagnosis."
    )
    return TreatmentResistanceSuggestion(failed, text, TRD_MIN_FAILED_TRIALS.source)


def review_antidepressant_trials(
    dose_history: Iterable[DoseInterval],
    adherence: Iterable[AdherenceRecord],
    scores: Iterable[ScorePoint],
    knowledge: Knowledge,
    *,
    on: dt.date,
    episode_start: dt.date | None = None,
    required_weeks: int = DEFAULT_TRIAL_WEEKS,
) -> TrialReview:
    """Trials, their outcomes, the failed ones and the suggestion, in one call for the chart."""
    trials = antidepressant_trials(
        dose_history,
        adherence,
        knowledge,
        on=on,
        episode_start=episode_start,
        required_weeks=required_weeks,
    )
    outcomes = tuple(trial_outcomes(trials, scores, on=on, episode_start=episode_start))
    failed = tuple(outcome for outcome in outcomes if outcome.not_improving)
    return TrialReview(outcomes, failed, treatment_resistance(outcomes))
