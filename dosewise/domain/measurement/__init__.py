"""Measurement-based care analysis: how a patient's scores have changed, and whether the
antidepressants they took were adequate trials that did not help.

Plain values in, plain values out; dates are passed in. Three modules:

- `change`: score points, the sourced thresholds of each instrument, the episode baseline,
  change from baseline and the status a prescriber's panel shows (remission, response, ...).
- `trials`: antidepressant courses from the regimen history and whether each was an
  adequate trial;
- `resistance`: whether the patient improved on each adequate trial, and the "possible
  treatment-resistant depression" suggestion.

`docs/measurement.md` explains every rule and its source.
"""

from dosewise.domain.measurement.change import (
    INSTRUMENTS,
    NO_RECENT_MEASURE_DAYS,
    PARTIAL_RESPONSE_PERCENT,
    RESPONSE_PERCENT,
    Assessment,
    InstrumentRules,
    MeasureStatus,
    ScorePoint,
    Threshold,
    assess,
    episode_baseline,
    episode_scores,
)
from dosewise.domain.measurement.resistance import (
    TRD_MIN_FAILED_TRIALS,
    TreatmentResistanceSuggestion,
    TrialOutcome,
    TrialReview,
    review_antidepressant_trials,
    treatment_resistance,
    trial_outcomes,
)
from dosewise.domain.measurement.trials import (
    DEFAULT_TRIAL_WEEKS,
    Adherence,
    AdherenceRecord,
    DoseInterval,
    Trial,
    TrialVerdict,
    antidepressant_trials,
    dose_intervals,
)

__all__ = [
    "NO_RECENT_MEASURE_DAYS",
    "DEFAULT_TRIAL_WEEKS",
    "INSTRUMENTS",
    "PARTIAL_RESPONSE_PERCENT",
    "RESPONSE_PERCENT",
    "TRD_MIN_FAILED_TRIALS",
    "Adherence",
    "AdherenceRecord",
    "Assessment",
    "DoseInterval",
    "InstrumentRules",
    "MeasureStatus",
    "ScorePoint",
    "Threshold",
    "TreatmentResistanceSuggestion",
    "Trial",
    "TrialOutcome",
    "TrialReview",
    "TrialVerdict",
    "antidepressant_trials",
    "assess",
    "dose_intervals",
    "episode_baseline",
    "episode_scores",
    "review_antidepressant_trials",
    "treatment_resistance",
    "trial_outcomes",
]
