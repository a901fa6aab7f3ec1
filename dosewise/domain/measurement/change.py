"""How a patient's rating-scale totals changed since the start of the episode.

Answers the panel's question "how is this patient doing on this instrument?": the episode
baseline, the change from it in points and percent, reliable and clinically important change,
and one status word (remission, response, partial response, not improving, deterioration, no
recent measure).

Every threshold is data below with its source and the verification status the clinical brief
(`shared/clinical/brief.md` §1.2, §1.3, §1.5, §1.9) gives it; "unverified" marks a convention
the brief states without a checked source. Response and remission are measured against the
episode's first score, never the previous visit (brief §1.9, engine hints).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from dosewise.domain.knowledge.model import Verification

PHQ9 = "PHQ-9"
GAD7 = "GAD-7"
PCL5 = "PCL-5"


@dataclass(frozen=True)
class Threshold:
    """A sourced number a rule compares against (points of a total, or percent)."""

    value: int
    source: str
    verification: Verification
    note: str = ""


@dataclass(frozen=True)
class InstrumentRules:
    """What change means on one instrument. Higher totals are worse on every instrument here.

    `remission_below` is None where no remission cut-off is sourced (PCL-5), and
    `reliable_change` is None for an instrument without a sourced reliable-change threshold
    (an instrument a clinic adds later); the rules then say nothing rather than guess.
    """

    instrument: str
    max_total: int
    remission_below: Threshold | None
    minimal_important_change: Threshold
    reliable_change: Threshold | None
    measures_depression: bool


# Brief §1.9 and the instrument tables (§1.2 PHQ-9, §1.3 GAD-7, §1.5 PCL-5).
INSTRUMENTS: Mapping[str, InstrumentRules] = {
    PHQ9: InstrumentRules(
        instrument=PHQ9,
        max_total=27,
        remission_below=Threshold(
            5, "HEDIS DRR-E; CMS159 Depression Remission at 12 Months", Verification.VERIFIED
        ),
        minimal_important_change=Threshold(
            5,
            "Löwe B et al., Med Care 2004;42:1194-201 (5 points = 2 SEM)",
            Verification.VERIFIED,
        ),
        reliable_change=Threshold(
            6,
            "NHS Talking Therapies (IAPT) manual: a drop of 6 or more is reliable improvement; "
            "McMillan D, Gilbody S, Richards D, J Affect Disord 2010;127:122-9",
            Verification.VERIFIED,
            note="verified through a secondary source (brief §1.2)",
        ),
        measures_depression=True,
    ),
    GAD7: InstrumentRules(
        instrument=GAD7,
        max_total=21,
        remission_below=Threshold(
            5,
            "convention: the minimal band (0-4) of Spitzer RL et al., Arch Intern Med "
            "2006;166:1092-7; not a formal remission measure",
            Verification.UNVERIFIED,
        ),
        minimal_important_change=Threshold(
            4,
            "Toussaint A et al., J Affect Disord 2020;265:395-401",
            Verification.VERIFIED,
        ),
        reliable_change=Threshold(
            6,
            "Bischoff T et al., Psychol Community Health 2020;8:176-87: RCI 5.59 points "
            "(test-retest r = 0.87), rounded up to 6",
            Verification.VERIFIED,
            note="NHS Talking Therapies uses 4 points instead",
        ),
        measures_depression=False,
    ),
    PCL5: InstrumentRules(
        instrument=PCL5,
        max_total=80,
        remission_below=None,  # the brief sources no remission cut-off for the PCL-5
        minimal_important_change=Threshold(
            10,
            "National Center for PTSD PCL-5 guidance (as quoted by QxMD): 10 points is "
            "clinically meaningful change",
            Verification.VERIFIED,
            note="verified through a secondary source (brief §1.5)",
        ),
        reliable_change=Threshold(
            5,
            "National Center for PTSD PCL-5 guidance (as quoted by QxMD): 5 points is "
            "reliable change",
            Verification.VERIFIED,
            note="verified through a secondary source (brief §1.5)",
        ),
        measures_depression=False,
    ),
}

# Percent reduction from the episode baseline.
# A score older than this counts as "no recent measure" on panels and worklists (six weeks:
# longer than the 2-4 week acute-phase cadence, brief §4.9).
NO_RECENT_MEASURE_DAYS = 42

RESPONSE_PERCENT = Threshold(
    50, "HEDIS DRR-E; MN Community Measurement NQF #1884 (brief §1.9)", Verification.VERIFIED
)
PARTIAL_RESPONSE_PERCENT = Threshold(
    25,
    "convention: partial response 25-49%, non-response under 25% (brief §1.9)",
    Verification.UNVERIFIED,
)

_PERCENT_STEP = Decimal("0.1")


@dataclass(frozen=True)
class ScorePoint:
    """One administration's total on one instrument (instrument named as in `INSTRUMENTS`)."""

    instrument: str
    on: dt.date
    total: int


class MeasureStatus(Enum):
    """The one word the panel shows, decided in this order of precedence."""

    NO_RECENT_MEASURE = "no_recent_measure"
    BASELINE_ONLY = "baseline_only"  # only the episode's first score so far
    DETERIORATION = "deterioration"
    REMISSION = "remission"
    RESPONSE = "response"
    PARTIAL_RESPONSE = "partial_response"
    NOT_IMPROVING = "not_improving"


@dataclass(frozen=True)
class Assessment:
    """Change on one instrument from the episode baseline to the latest score, as of `on`.

    `change_points` is latest minus baseline (negative: fewer symptoms) and `change_percent` the
    same as a share of the baseline, to one decimal (None when the baseline is 0).
    The reliable-change flags are None where the instrument has no sourced threshold.
    """

    instrument: str
    on: dt.date
    baseline: ScorePoint
    latest: ScorePoint
    change_points: int
    change_percent: Decimal | None
    status: MeasureStatus
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    important_improvement: bool
    important_deterioration: bool
    days_since_latest: int


def rules_for(instrument: str, *, argument: str = "instrument") -> InstrumentRules:
    """The rules of a known instrument; an unknown name is an error, never a default."""
    rules = INSTRUMENTS.get(instrument)
    if rules is None:
        known = ", ".join(INSTRUMENTS)
        raise ValueError(f"{argument}: unknown instrument {instrument!r} (known: {known})")
    return rules


def checked_scores(
    scores: Iterable[ScorePoint], *, argument: str = "scores", allow_empty: bool = False
) -> list[ScorePoint]:
    """The scores of one instrument in date order (scores of one day keep the order given:
    pass them in order of administration). Refuses mixed instruments, unknown instruments and
    totals outside the instrument's range."""
    ordered = sorted(scores, key=lambda score: score.on)
    if not ordered:
        if allow_empty:
            return ordered
        raise ValueError(f"{argument}: no scores given")
    instruments = list(dict.fromkeys(score.instrument for score in ordered))
    for name in instruments:
        rules_for(name, argument=argument)
    if len(instruments) > 1:
        raise ValueError(
            f"{argument}: mixes {', '.join(instruments)}; assess one instrument at a time"
        )
    rules = INSTRUMENTS[instruments[0]]
    for score in ordered:
        if isinstance(score.total, bool) or not isinstance(score.total, int):
            raise ValueError(f"{argument}: {rules.instrument} total must be a whole number")
        if not 0 <= score.total <= rules.max_total:
            raise ValueError(
                f"{argument}: {rules.instrument} total {score.total} on "
                f"{score.on.isoformat()} is outside 0-{rules.max_total}"
            )
    return ordered


def episode_scores(
    scores: Iterable[ScorePoint], *, episode_start: dt.date | None = None
) -> list[ScorePoint]:
    """The scores of the current episode, oldest first.

    An episode starts at the patient's first score, or on `episode_start` when the clinician
    documented a remission or a new episode: scores before that date belong to an earlier
    episode and are not compared with.
    """
    ordered = checked_scores(scores)
    if episode_start is None:
        return ordered
    current = [score for score in ordered if score.on >= episode_start]
    if not current:
        raise ValueError(
            f"episode_start: no {ordered[0].instrument} score on or after "
            f"{episode_start.isoformat()}"
        )
    return current


def episode_baseline(
    scores: Iterable[ScorePoint], *, episode_start: dt.date | None = None
) -> ScorePoint:
    """The episode's index score (its first), which response and remission are measured from."""
    return episode_scores(scores, episode_start=episode_start)[0]


def improvement_at_least(baseline: int, latest: int, percent: int) -> bool:
    """Whether the total fell by at least `percent` % of `baseline` (exact integer arithmetic,
    so 10 of 20 is exactly 50 %). Never true for a baseline of 0."""
    return baseline > 0 and (baseline - latest) * 100 >= percent * baseline


def percent_change(baseline: int, latest: int) -> Decimal | None:
    """(latest - baseline) / baseline in percent, to one decimal; None for a baseline of 0."""
    if baseline == 0:
        return None
    return (Decimal((latest - baseline) * 100) / Decimal(baseline)).quantize(
        _PERCENT_STEP, rounding=ROUND_HALF_EVEN
    )


def assess(
    scores: Iterable[ScorePoint],
    *,
    on: dt.date,
    stale_after_days: int,
    episode_start: dt.date | None = None,
) -> Assessment:
    """How the patient is doing on one instrument as of `on`.

    Status, first match wins:
    1. no recent measure: the latest score is more than `stale_after_days` days before `on`
       (a score exactly `stale_after_days` old is still recent);
    2. baseline only: the episode has a single score;
    3. deterioration: the total rose by the reliable-change threshold or by the minimal
       important change, whichever is reached (brief §1.9: reliable change in the wrong
       direction; NHS Talking Therapies);
    4. remission: latest total below the instrument's remission cut-off (PHQ-9, GAD-7 < 5);
    5. response: at least 50 % reduction from the episode baseline (HEDIS DRR-E);
    6. partial response: 25-49 % reduction (convention, unverified);
    7. not improving: under 25 % reduction.
    Scores dated after `on` are refused: a status is never computed from the future.
    """
    if isinstance(stale_after_days, bool) or not isinstance(stale_after_days, int):
        raise ValueError("stale_after_days: must be a whole number of days")
    if stale_after_days < 1:
        raise ValueError(f"stale_after_days: must be at least 1, got {stale_after_days}")
    if episode_start is not None and episode_start > on:
        raise ValueError(f"episode_start: {episode_start.isoformat()} is after on={on.isoformat()}")
    current = episode_scores(scores, episode_start=episode_start)
    latest = current[-1]
    if latest.on > on:
        raise ValueError(
            f"scores: a {latest.instrument} score is dated {latest.on.isoformat()}, "
            f"after on={on.isoformat()}"
        )
    rules = INSTRUMENTS[latest.instrument]
    baseline = current[0]
    drop = baseline.total - latest.total
    mic = rules.minimal_important_change.value
    reliable = rules.reliable_change.value if rules.reliable_change else None
    reliable_improvement = None if reliable is None else drop >= reliable
    reliable_deterioration = None if reliable is None else -drop >= reliable
    important_improvement = drop >= mic
    important_deterioration = -drop >= mic
    days_since_latest = (on - latest.on).days

    if days_since_latest > stale_after_days:
        status = MeasureStatus.NO_RECENT_MEASURE
    elif len(current) == 1:
        status = MeasureStatus.BASELINE_ONLY
    elif reliable_deterioration or important_deterioration:
        status = MeasureStatus.DETERIORATION
    elif rules.remission_below is not None and latest.total < rules.remission_below.value:
        status = MeasureStatus.REMISSION
    elif improvement_at_least(baseline.total, latest.total, RESPONSE_PERCENT.value):
        status = MeasureStatus.RESPONSE
    elif improvement_at_least(baseline.total, latest.total, PARTIAL_RESPONSE_PERCENT.value):
        status = MeasureStatus.PARTIAL_RESPONSE
    else:
        status = MeasureStatus.NOT_IMPROVING

    return Assessment(
        instrument=rules.instrument,
        on=on,
        baseline=baseline,
        latest=latest,
        change_points=latest.total - baseline.total,
        change_percent=percent_change(baseline.total, latest.total),
        status=status,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=reliable_deterioration,
        important_improvement=important_improvement,
        important_deterioration=important_deterioration,
        days_since_latest=days_since_latest,
    )
