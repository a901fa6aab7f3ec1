"""Antidepressant trials of the current episode, each with a verdict: was it adequate?

Answers the first half of "is this patient not improving on an adequate trial?"
(`resistance` answers the second). Rules (brief §4.9 and §6; `docs/measurement.md`):
- A trial is one unbroken course of one antidepressant (knowledge-base tag ANTIDEPRESSANT).
  Dose changes and renewals continue the course; a stop, a hold or a switch to another drug
  ends it, so switching restarts the trial clock. Two prescriptions of one drug at once add up.
- It is adequate when the total daily dose stayed at or above the drug's minimum therapeutic
  dose (knowledge base) for at least `required_weeks` weeks without a break (default 6,
  configurable 4-8: APA 2010, unverified) and no poor adherence was recorded in that stretch.
- Poor adherence: a follow-up record of "missing doses" or "stopped" for the drug dated from
  the first day at the minimum dose to the last day of the stretch, both included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import Enum

from dosewise.domain.knowledge.loader import Knowledge, UnknownDrug
from dosewise.domain.knowledge.model import Dosing, Drug, Tag, Verification
from dosewise.domain.measurement.change import Threshold
from dosewise.domain.regimen import Event, intervals

DEFAULT_TRIAL_WEEKS = 6
TRIAL_WEEKS = Threshold(
    DEFAULT_TRIAL_WEEKS,
    "APA MDD guideline 2010 (Gelenberg et al.): 4-8 weeks at a therapeutic dose with "
    "adherence; brief §4.9 and §6 (adequate duration commonly 4-6 weeks, 6-8 in some "
    "definitions)",
    Verification.UNVERIFIED,
)
ALLOWED_TRIAL_WEEKS = range(4, 9)
_WEEK_STEP = Decimal("0.1")


class Adherence(Enum):
    """Adherence recorded at a follow-up, as FHIR R5 MedicationStatement.adherence codes."""

    TAKING = "taking-as-directed"
    MISSING_DOSES = "taking-not-as-directed"
    STOPPED = "stopped"


POOR_ADHERENCE = frozenset({Adherence.MISSING_DOSES, Adherence.STOPPED})
_ADHERENCE_WORDS = {Adherence.MISSING_DOSES: "missing doses", Adherence.STOPPED: "stopped"}


@dataclass(frozen=True)
class DoseInterval:
    """A drug taken at `daily_mg` from `start` (included) to `end` (excluded; None = still)."""

    drug: str
    start: dt.date
    end: dt.date | None
    daily_mg: Decimal


@dataclass(frozen=True)
class AdherenceRecord:
    """What the patient reported about one drug at the follow-up on `on`."""

    drug: str
    on: dt.date
    status: Adherence


class TrialVerdict(Enum):
    ADEQUATE = "adequate"
    BELOW_MINIMUM_DOSE = "below_minimum_dose"
    TOO_SHORT = "too_short"
    POOR_ADHERENCE = "poor_adherence"


@dataclass(frozen=True)
class Trial:
    """One course of one antidepressant in the current episode.

    `start`/`end` bound the course (`end` excluded; None while it continues on the day
    assessed). `adequate_from`/`adequate_until` bound the stretch at or above the minimum
    dose that the verdict is about (the first adequate one, else the longest); `adequate_until`
    is None while that stretch continues.
    """

    drug: str
    start: dt.date
    end: dt.date | None
    highest_mg_per_day: Decimal
    minimum_mg_per_day: Decimal
    minimum_source: str
    minimum_verification: Verification
    required_weeks: int
    adequate_from: dt.date | None
    adequate_until: dt.date | None
    days_at_adequate_dose: int
    verdict: TrialVerdict
    reason: str

    @property
    def adequate(self) -> bool:
        return self.verdict is TrialVerdict.ADEQUATE

    @property
    def weeks_at_adequate_dose(self) -> Decimal:
        """Whole and tenth weeks, rounded down (41 days is 5.8, never 6.0)."""
        return (Decimal(self.days_at_adequate_dose) / 7).quantize(_WEEK_STEP, rounding=ROUND_DOWN)

    @property
    def adequate_on(self) -> dt.date | None:
        """The day the trial had lasted long enough at the minimum dose (adequate trials only)."""
        if not self.adequate or self.adequate_from is None:
            return None
        return self.adequate_from + dt.timedelta(weeks=self.required_weeks)


# --- Inputs -------------------------------------------------------------------------------


def dose_intervals(
    events: Iterable[Event], doses: Mapping[int, tuple[str, Decimal]]
) -> list[DoseInterval]:
    """The dose intervals of a regimen history: `regimen.intervals` of the events, each with
    the drug and daily dose of its prescription (`doses`: prescription id -> (drug, daily mg)).
    Leave entered-in-error prescriptions out of `events`."""
    result = []
    for interval in intervals(events):
        if interval.prescription not in doses:
            raise ValueError(
                f"doses: no drug and daily dose for prescription {interval.prescription}"
            )
        drug, daily_mg = doses[interval.prescription]
        result.append(DoseInterval(drug, interval.start, interval.end, daily_mg))
    return result


def _check_weeks(required_weeks: int) -> int:
    if (
        isinstance(required_weeks, bool)
        or not isinstance(required_weeks, int)
        or required_weeks not in ALLOWED_TRIAL_WEEKS
    ):
        raise ValueError(
            "required_weeks: an adequate trial lasts 4 to 8 weeks (APA 2010); "
            f"got {required_weeks!r}"
        )
    return required_weeks


def _find(knowledge: Knowledge, name: str, argument: str) -> Drug:
    try:
        return knowledge.find(name)
    except UnknownDrug as error:
        raise ValueError(f"{argument}: {error}") from error


# --- Trials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    start: dt.date
    end: dt.date  # excluded
    daily_mg: Decimal  # total of the drug's prescriptions over the segment


@dataclass(frozen=True)
class _Clipped:
    start: dt.date
    end: dt.date
    daily_mg: Decimal
    continues: bool  # still taken after the day assessed


def _segments(pieces: list[_Clipped]) -> list[_Segment]:
    """The drug's total daily dose as steps (two prescriptions of one drug at once add up)."""
    bounds = sorted({piece.start for piece in pieces} | {piece.end for piece in pieces})
    result: list[_Segment] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        total = sum(
            (piece.daily_mg for piece in pieces if piece.start <= start < piece.end), Decimal(0)
        )
        if total > 0:
            result.append(_Segment(start, end, total))
    return result


def _runs(segments: list[_Segment]) -> list[list[_Segment]]:
    """Segments grouped into unbroken runs (each starts the day the previous one ended)."""
    runs: list[list[_Segment]] = []
    for segment in segments:
        if runs and runs[-1][-1].end == segment.start:
            runs[-1].append(segment)
        else:
            runs.append([segment])
    return runs


def _poor_adherence(
    records: list[AdherenceRecord], start: dt.date, last_day: dt.date
) -> AdherenceRecord | None:
    return next(
        (
            record
            for record in records
            if record.status in POOR_ADHERENCE and start <= record.on <= last_day
        ),
        None,
    )


def _days(days: int) -> str:
    weeks, rest = divmod(days, 7)
    parts = [f"{weeks} week{'s' if weeks != 1 else ''}"] if weeks else []
    if rest or not weeks:
        parts.append(f"{rest} day{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f} mg/day"


@dataclass(frozen=True)
class _Stretch:
    """An unbroken run of days at or above the minimum therapeutic dose."""

    start: dt.date
    end: dt.date  # excluded
    poor_adherence: AdherenceRecord | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _trial(
    drug: Drug,
    dosing: Dosing,
    course: list[_Segment],
    records: list[AdherenceRecord],
    *,
    on: dt.date,
    continues: bool,
    required_weeks: int,
) -> Trial:
    minimum = dosing.min_therapeutic_mg_per_day
    required_days = required_weeks * 7
    ongoing = continues and course[-1].end == on
    stretches = [
        # Adherence reported on the stretch's last day (the visit that changed the dose, or
        # the day assessed) still describes it.
        _Stretch(run[0].start, run[-1].end, _poor_adherence(records, run[0].start, run[-1].end))
        for run in _runs([segment for segment in course if segment.daily_mg >= minimum])
    ]
    long_enough = [stretch for stretch in stretches if stretch.days >= required_days]
    adequate = [stretch for stretch in long_enough if stretch.poor_adherence is None]
    chosen: _Stretch | None
    if adequate:
        chosen, verdict = adequate[0], TrialVerdict.ADEQUATE
    elif long_enough:
        chosen, verdict = long_enough[0], TrialVerdict.POOR_ADHERENCE
    elif stretches:
        longest = max(stretch.days for stretch in stretches)
        chosen = next(stretch for stretch in stretches if stretch.days == longest)
        verdict = TrialVerdict.TOO_SHORT
    else:
        chosen, verdict = None, TrialVerdict.BELOW_MINIMUM_DOSE

    highest = max(segment.daily_mg for segment in course)
    counted = 0 if chosen is None else chosen.days
    continuing = chosen is not None and ongoing and chosen.end == on
    at_minimum = f"at or above {_mg(minimum)}"
    if chosen is None:
        reason = (
            f"dose never reached the minimum therapeutic {_mg(minimum)} (highest {_mg(highest)})"
        )
    elif chosen.poor_adherence is not None and verdict is TrialVerdict.POOR_ADHERENCE:
        record = chosen.poor_adherence
        reason = (
            f"adherence recorded as poor ({_ADHERENCE_WORDS[record.status]} on "
            f"{record.on.isoformat()})"
        )
    elif verdict is TrialVerdict.TOO_SHORT:
        so_far = " so far" if continuing else ""
        reason = (
            f"{_days(counted)}{so_far} {at_minimum}; an adequate trial needs {required_weeks} weeks"
        )
    else:
        reason = f"{_days(counted)} {at_minimum} with no poor adherence recorded"
    return Trial(
        drug=drug.name,
        start=course[0].start,
        end=None if ongoing else course[-1].end,
        highest_mg_per_day=highest,
        minimum_mg_per_day=minimum,
        minimum_source=dosing.source,
        minimum_verification=dosing.verification,
        required_weeks=required_weeks,
        adequate_from=None if chosen is None else chosen.start,
        adequate_until=None if chosen is None or continuing else chosen.end,
        days_at_adequate_dose=counted,
        verdict=verdict,
        reason=reason,
    )


def antidepressant_trials(
    dose_history: Iterable[DoseInterval],
    adherence: Iterable[AdherenceRecord],
    knowledge: Knowledge,
    *,
    on: dt.date,
    episode_start: dt.date | None = None,
    required_weeks: int = DEFAULT_TRIAL_WEEKS,
) -> list[Trial]:
    """Every antidepressant course of the current episode up to `on`, oldest first, each with
    its verdict. Days before `episode_start` belong to an earlier episode, so a course that
    began before it is counted from `episode_start`. Drugs without the ANTIDEPRESSANT tag
    (lithium, antipsychotic augmentation) are not trials here."""
    weeks = _check_weeks(required_weeks)
    if episode_start is not None and episode_start > on:
        raise ValueError(f"episode_start: {episode_start.isoformat()} is after on={on.isoformat()}")
    pieces: dict[str, list[_Clipped]] = {}
    drugs: dict[str, Drug] = {}
    dosings: dict[str, Dosing] = {}
    for interval in dose_history:
        if not interval.daily_mg > 0:
            raise ValueError(
                f"dose_history: {interval.drug} from {interval.start.isoformat()} has a daily "
                f"dose of {interval.daily_mg}"
            )
        if interval.end is not None and interval.end <= interval.start:
            raise ValueError(
                f"dose_history: {interval.drug} ends {interval.end.isoformat()}, not after its "
                f"start {interval.start.isoformat()}"
            )
        drug = _find(knowledge, interval.drug, "dose_history")
        if not drug.has(Tag.ANTIDEPRESSANT):
            continue
        if drug.dosing is None:
            raise ValueError(f"dose_history: no minimum therapeutic dose known for {drug.name}")
        dosings[drug.name] = drug.dosing
        start = interval.start if episode_start is None else max(interval.start, episode_start)
        end = on if interval.end is None else min(interval.end, on)
        if end <= start:
            continue
        continues = interval.end is None or interval.end > on
        drugs[drug.name] = drug
        pieces.setdefault(drug.name, []).append(_Clipped(start, end, interval.daily_mg, continues))

    records: dict[str, list[AdherenceRecord]] = {}
    for record in adherence:
        if not isinstance(record.status, Adherence):
            raise ValueError(f"adherence: unknown status {record.status!r}")
        name = _find(knowledge, record.drug, "adherence").name
        records.setdefault(name, []).append(record)

    trials = []
    for name, drug_pieces in pieces.items():
        continues = any(piece.continues and piece.end == on for piece in drug_pieces)
        for course in _runs(_segments(drug_pieces)):
            trials.append(
                _trial(
                    drugs[name],
                    dosings[name],
                    course,
                    sorted(records.get(name, []), key=lambda record: record.on),
                    on=on,
                    continues=continues,
                    required_weeks=weeks,
                )
            )
    return sorted(trials, key=lambda trial: (trial.start, trial.drug))
