"""Measurement analysis on synthetic histories: change from the episode baseline, adequate
antidepressant trials, and the possible treatment-resistant depression suggestion.

Each table row names the rule (and its source) that gives the expected answer; the sources are
listed in `docs/measurement.md`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Verification
from dosewise.domain.measurement import (
    INSTRUMENTS,
    Adherence,
    AdherenceRecord,
    DoseInterval,
    MeasureStatus,
    ScorePoint,
    TrialVerdict,
    antidepressant_trials,
    assess,
    dose_intervals,
    episode_baseline,
    review_antidepressant_trials,
    treatment_resistance,
    trial_outcomes,
)
from dosewise.domain.regimen import Event, EventKind

KB = default_knowledge()
START = dt.date(2025, 1, 6)  # day 0 of every synthetic history


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def week(n: int) -> dt.date:
    return day(7 * n)


def scores(instrument: str, *points: tuple[int, int]) -> list[ScorePoint]:
    """(day, total) pairs."""
    return [ScorePoint(instrument, day(n), total) for n, total in points]


def phq9(*points: tuple[int, int]) -> list[ScorePoint]:
    return scores("PHQ-9", *points)


def dose(drug: str, mg: int, start: dt.date, end: dt.date | None) -> DoseInterval:
    return DoseInterval(drug, start, end, Decimal(mg))


def adherence(drug: str, on: dt.date, status: Adherence) -> AdherenceRecord:
    return AdherenceRecord(drug, on, status)


# --- Thresholds are data with sources ---------------------------------------------------------


def test_every_threshold_names_its_source_and_status() -> None:
    for rules in INSTRUMENTS.values():
        thresholds = [rules.minimal_important_change, rules.reliable_change, rules.remission_below]
        for threshold in thresholds:
            if threshold is not None:
                assert threshold.source
                assert isinstance(threshold.verification, Verification)
    assert {
        name: (
            rules.remission_below.value if rules.remission_below else None,
            rules.minimal_important_change.value,
            rules.reliable_change.value if rules.reliable_change else None,
        )
        for name, rules in INSTRUMENTS.items()
    } == {"PHQ-9": (5, 5, 6), "GAD-7": (5, 4, 6), "PCL-5": (None, 10, 5)}
    # The GAD-7 remission cut-off is a convention the brief marks R (unverified).
    gad7_remission = INSTRUMENTS["GAD-7"].remission_below
    assert gad7_remission is not None
    assert gad7_remission.verification is Verification.UNVERIFIED


# --- Status from the episode baseline ---------------------------------------------------------


@dataclass(frozen=True)
class StatusCase:
    name: str
    source: str
    instrument: str
    points: tuple[tuple[int, int], ...]  # (day, total)
    status: MeasureStatus
    change_points: int
    change_percent: Decimal | None
    on_day: int = 100
    stale_after_days: int = 90


S = MeasureStatus
STATUS_CASES = [
    StatusCase("phq9 4 is remission", "HEDIS DRR-E, CMS159: PHQ-9 < 5", "PHQ-9", ((0, 20), (56, 4)), S.REMISSION, -16, Decimal("-80.0")),
    StatusCase("phq9 5 is not remission but a 75% drop is response", "HEDIS DRR-E: >= 50%", "PHQ-9", ((0, 20), (56, 5)), S.RESPONSE, -15, Decimal("-75.0")),
    StatusCase("phq9 exactly 50% is response", "HEDIS DRR-E: >= 50%", "PHQ-9", ((0, 20), (56, 10)), S.RESPONSE, -10, Decimal("-50.0")),
    StatusCase("phq9 48.1% (just under 50) is partial", "convention: 25-49% partial", "PHQ-9", ((0, 27), (56, 14)), S.PARTIAL_RESPONSE, -13, Decimal("-48.1")),
    StatusCase("pcl5 48.75% is partial", "convention: 25-49% partial", "PCL-5", ((0, 80), (56, 41)), S.PARTIAL_RESPONSE, -39, Decimal("-48.8")),
    StatusCase("phq9 exactly 25% is partial", "convention: 25-49% partial", "PHQ-9", ((0, 20), (56, 15)), S.PARTIAL_RESPONSE, -5, Decimal("-25.0")),
    StatusCase("phq9 24% is not improving, though a reliable 6-point drop", "convention: < 25%", "PHQ-9", ((0, 25), (56, 19)), S.NOT_IMPROVING, -6, Decimal("-24.0")),
    StatusCase("pcl5 24% is not improving", "convention: < 25%", "PCL-5", ((0, 50), (56, 38)), S.NOT_IMPROVING, -12, Decimal("-24.0")),
    StatusCase("phq9 unchanged is not improving", "convention: < 25%", "PHQ-9", ((0, 14), (56, 14)), S.NOT_IMPROVING, 0, Decimal("0.0")),
    StatusCase("gad7 4 is remission", "convention (unverified): GAD-7 < 5", "GAD-7", ((0, 15), (56, 4)), S.REMISSION, -11, Decimal("-73.3")),
    StatusCase("pcl5 has no remission cut-off: 40 to 2 is response", "no sourced PCL-5 remission; HEDIS >= 50%", "PCL-5", ((0, 40), (56, 2)), S.RESPONSE, -38, Decimal("-95.0")),
    StatusCase("phq9 rise of 5 is deterioration (MIC)", "Löwe 2004: MIC 5", "PHQ-9", ((0, 10), (56, 15)), S.DETERIORATION, 5, Decimal("50.0")),
    StatusCase("phq9 rise of 4 is not improving", "Löwe 2004: MIC 5", "PHQ-9", ((0, 10), (56, 14)), S.NOT_IMPROVING, 4, Decimal("40.0")),
    StatusCase("gad7 rise of 4 is deterioration (MIC)", "Toussaint 2020: MIC 4", "GAD-7", ((0, 8), (56, 12)), S.DETERIORATION, 4, Decimal("50.0")),
    StatusCase("gad7 rise of 3 is not improving", "Toussaint 2020: MIC 4", "GAD-7", ((0, 8), (56, 11)), S.NOT_IMPROVING, 3, Decimal("37.5")),
    StatusCase("pcl5 rise of 5 is deterioration (reliable), below the MIC of 10", "NCPTSD: reliable 5", "PCL-5", ((0, 40), (56, 45)), S.DETERIORATION, 5, Decimal("12.5")),
    StatusCase("gad7 0 to 4: deterioration outranks remission", "precedence: deterioration first", "GAD-7", ((0, 0), (56, 4)), S.DETERIORATION, 4, None),
    StatusCase("phq9 baseline 0: no percent", "percent of 0 is undefined", "PHQ-9", ((0, 0), (56, 3)), S.REMISSION, 3, None),
    StatusCase("compared with the episode baseline, not the previous visit", "brief §1.9 engine hints", "PHQ-9", ((0, 20), (28, 8), (56, 10)), S.RESPONSE, -10, Decimal("-50.0")),
    StatusCase("one score is the baseline only", "no change to measure yet", "PHQ-9", ((0, 20),), S.BASELINE_ONLY, 0, Decimal("0.0"), on_day=14),
    StatusCase("latest score exactly stale_after_days old is recent", "stale: older than the days given", "PHQ-9", ((0, 20), (56, 4)), S.REMISSION, -16, Decimal("-80.0"), on_day=84, stale_after_days=28),
    StatusCase("latest score one day older is no recent measure", "stale: older than the days given", "PHQ-9", ((0, 20), (56, 4)), S.NO_RECENT_MEASURE, -16, Decimal("-80.0"), on_day=85, stale_after_days=28),
    StatusCase("no recent measure outranks deterioration", "precedence: stale first", "PHQ-9", ((0, 10), (56, 20)), S.NO_RECENT_MEASURE, 10, Decimal("100.0"), on_day=200),
]  # fmt: skip


@pytest.mark.parametrize("case", STATUS_CASES, ids=lambda case: case.name)
def test_status_from_the_episode_baseline(case: StatusCase) -> None:
    result = assess(
        scores(case.instrument, *case.points),
        on=day(case.on_day),
        stale_after_days=case.stale_after_days,
    )
    assert (result.status, result.change_points, result.change_percent) == (
        case.status,
        case.change_points,
        case.change_percent,
    ), case.source
    assert result.baseline == ScorePoint(case.instrument, day(case.points[0][0]), case.points[0][1])
    assert result.days_since_latest == case.on_day - case.points[-1][0]


@pytest.mark.parametrize(
    ("instrument", "baseline", "latest", "flags"),
    [
        # (reliable improvement, reliable deterioration, important improvement, important det.)
        ("PHQ-9", 20, 14, (True, False, True, False)),  # 6 = reliable (NHS TT), >= 5 MIC
        ("PHQ-9", 20, 15, (False, False, True, False)),  # 5 = MIC (Löwe 2004), not reliable
        ("PHQ-9", 10, 16, (False, True, False, True)),
        ("GAD-7", 12, 7, (False, False, True, False)),  # 5 < RCI 6 (Bischoff 2020), >= MIC 4
        ("GAD-7", 12, 6, (True, False, True, False)),
        ("PCL-5", 50, 45, (True, False, False, False)),  # reliable 5, MIC 10 (NCPTSD)
        ("PCL-5", 50, 40, (True, False, True, False)),
    ],
)
def test_reliable_and_important_change(
    instrument: str, baseline: int, latest: int, flags: tuple[bool, bool, bool, bool]
) -> None:
    result = assess(
        scores(instrument, (0, baseline), (28, latest)), on=day(28), stale_after_days=28
    )
    assert (
        result.reliable_improvement,
        result.reliable_deterioration,
        result.important_improvement,
        result.important_deterioration,
    ) == flags


def test_a_documented_new_episode_moves_the_baseline() -> None:
    history = phq9((0, 20), (60, 3), (150, 18), (180, 10))
    assert episode_baseline(history) == ScorePoint("PHQ-9", day(0), 20)
    assert episode_baseline(history, episode_start=day(150)) == ScorePoint("PHQ-9", day(150), 18)
    whole = assess(history, on=day(180), stale_after_days=28)
    relapse = assess(history, on=day(180), stale_after_days=28, episode_start=day(150))
    assert (whole.status, whole.change_percent) == (S.RESPONSE, Decimal("-50.0"))
    assert (relapse.status, relapse.change_percent) == (S.PARTIAL_RESPONSE, Decimal("-44.4"))


def test_scores_given_out_of_order_are_sorted_by_date() -> None:
    history = list(reversed(phq9((0, 20), (28, 15), (56, 9))))
    result = assess(history, on=day(56), stale_after_days=28)
    assert (result.baseline.total, result.latest.total, result.status) == (20, 9, S.RESPONSE)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"scores": []}, "scores"),
        ({"scores": scores("MADRS", (0, 30))}, "scores: unknown instrument 'MADRS'"),
        ({"scores": phq9((0, 20)) + scores("GAD-7", (7, 10))}, "scores: mixes PHQ-9, GAD-7"),
        ({"scores": phq9((0, 28))}, "scores: PHQ-9 total 28"),
        ({"scores": phq9((0, -1))}, "scores: PHQ-9 total -1"),
        ({"scores": phq9((0, 20), (200, 10))}, "scores: a PHQ-9 score is dated"),
        ({"stale_after_days": 0}, "stale_after_days"),
        ({"episode_start": day(30)}, "episode_start: no PHQ-9 score"),
        ({"episode_start": day(101)}, "episode_start: .* is after on"),
    ],
)
def test_bad_measurement_input_is_refused_naming_the_argument(
    kwargs: dict[str, object], argument: str
) -> None:
    arguments: dict[str, object] = {
        "scores": phq9((0, 20), (14, 15)),
        "on": day(100),
        "stale_after_days": 90,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        assess(**arguments)  # type: ignore[arg-type]


# --- Adequate trials --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialCase:
    name: str
    source: str
    doses: tuple[DoseInterval, ...]
    # (drug, start, end, adequate_from, days at adequate dose, verdict) per trial
    expected: tuple[tuple[str, dt.date, dt.date | None, dt.date | None, int, TrialVerdict], ...]
    records: tuple[AdherenceRecord, ...] = ()
    on: dt.date = week(20)
    required_weeks: int = 6
    episode_start: dt.date | None = None


V = TrialVerdict
MISSING, STOPPED, TAKING = Adherence.MISSING_DOSES, Adherence.STOPPED, Adherence.TAKING
RULE = "brief §4.9: >= 6 weeks at or above the minimum therapeutic dose with adherence"
TRIAL_CASES = [
    TrialCase("exactly 6 weeks exactly at the minimum is adequate", RULE + "; sertraline minimum 50 mg (label-zoloft)",
              (dose("sertraline", 50, week(0), week(6)),),
              (("sertraline", week(0), week(6), week(0), 42, V.ADEQUATE),)),
    TrialCase("41 days is too short", RULE,
              (dose("sertraline", 50, week(0), day(41)),),
              (("sertraline", week(0), day(41), week(0), 41, V.TOO_SHORT),)),
    TrialCase("below the minimum all along", RULE,
              (dose("sertraline", 25, week(0), week(10)),),
              (("sertraline", week(0), week(10), None, 0, V.BELOW_MINIMUM_DOSE),)),
    TrialCase("below the minimum, then raised: counted from the raise", RULE,
              (dose("sertraline", 25, week(0), week(2)), dose("sertraline", 50, week(2), week(8))),
              (("sertraline", week(0), week(8), week(2), 42, V.ADEQUATE),)),
    TrialCase("below the minimum, then raised for 5 weeks only", RULE,
              (dose("sertraline", 25, week(0), week(2)), dose("sertraline", 50, week(2), week(7))),
              (("sertraline", week(0), week(7), week(2), 35, V.TOO_SHORT),)),
    TrialCase("dose changes above the minimum continue the clock", RULE,
              (dose("sertraline", 50, week(0), week(3)), dose("sertraline", 100, week(3), week(6))),
              (("sertraline", week(0), week(6), week(0), 42, V.ADEQUATE),)),
    TrialCase("dropping below the minimum breaks the stretch", RULE,
              (dose("sertraline", 100, week(0), week(4)), dose("sertraline", 25, week(4), week(5)),
               dose("sertraline", 100, week(5), week(9))),
              (("sertraline", week(0), week(9), week(0), 28, V.TOO_SHORT),)),
    TrialCase("switching drugs restarts the trial clock", RULE,
              (dose("sertraline", 50, week(0), week(4)), dose("escitalopram", 10, week(4), week(8))),
              (("sertraline", week(0), week(4), week(0), 28, V.TOO_SHORT),
               ("escitalopram", week(4), week(8), week(4), 28, V.TOO_SHORT))),
    TrialCase("a hold ends the course; the resumption starts a new one", RULE,
              (dose("sertraline", 50, week(0), week(4)), dose("sertraline", 50, week(5), week(9))),
              (("sertraline", week(0), week(4), week(0), 28, V.TOO_SHORT),
               ("sertraline", week(5), week(9), week(5), 28, V.TOO_SHORT))),
    TrialCase("two prescriptions of one drug at once add up", RULE,
              (dose("sertraline", 25, week(0), week(6)), dose("sertraline", 25, week(0), week(6))),
              (("sertraline", week(0), week(6), week(0), 42, V.ADEQUATE),)),
    TrialCase("brand names resolve through the knowledge base", RULE,
              (dose("Zoloft", 50, week(0), week(6)),),
              (("sertraline", week(0), week(6), week(0), 42, V.ADEQUATE),)),
    TrialCase("missing doses during the stretch: not adequate", RULE + "; poor = missing doses or stopped",
              (dose("sertraline", 50, week(0), week(8)),),
              (("sertraline", week(0), week(8), week(0), 56, V.POOR_ADHERENCE),),
              records=(adherence("sertraline", week(4), MISSING),)),
    TrialCase("stopped reported on the last day of the stretch: not adequate", RULE + "; poor = missing doses or stopped",
              (dose("sertraline", 50, week(0), week(8)),),
              (("sertraline", week(0), week(8), week(0), 56, V.POOR_ADHERENCE),),
              records=(adherence("sertraline", week(8), STOPPED),)),
    TrialCase("missing doses reported about another drug do not count", RULE,
              (dose("sertraline", 50, week(0), week(8)),),
              (("sertraline", week(0), week(8), week(0), 56, V.ADEQUATE),),
              records=(adherence("lithium", week(4), MISSING),)),
    TrialCase("missing doses while below the minimum do not count", RULE,
              (dose("sertraline", 25, week(0), week(2)), dose("sertraline", 50, week(2), week(8))),
              (("sertraline", week(0), week(8), week(2), 42, V.ADEQUATE),),
              records=(adherence("sertraline", week(1), MISSING), adherence("sertraline", week(5), TAKING))),
    TrialCase("an ongoing course at exactly 6 weeks is adequate", RULE,
              (dose("sertraline", 50, week(0), None),),
              (("sertraline", week(0), None, week(0), 42, V.ADEQUATE),), on=week(6)),
    TrialCase("an ongoing course at 5 weeks is too short so far", RULE,
              (dose("sertraline", 50, week(0), None),),
              (("sertraline", week(0), None, week(0), 35, V.TOO_SHORT),), on=week(5)),
    TrialCase("a course ending after the day assessed is ongoing", RULE,
              (dose("sertraline", 50, week(0), week(30)),),
              (("sertraline", week(0), None, week(0), 70, V.ADEQUATE),), on=week(10)),
    TrialCase("a course not yet started is not a trial", RULE,
              (dose("sertraline", 50, week(21), None),), (), on=week(20)),
    TrialCase("lithium and aripiprazole are not antidepressant trials", "knowledge tag ANTIDEPRESSANT",
              (dose("lithium", 900, week(0), week(10)), dose("aripiprazole", 5, week(0), week(10))), ()),
    TrialCase("4 weeks is adequate when the clinic sets 4", "APA 2010: 4-8 weeks",
              (dose("sertraline", 50, week(0), week(4)),),
              (("sertraline", week(0), week(4), week(0), 28, V.ADEQUATE),), required_weeks=4),
    TrialCase("6 weeks is too short when the clinic sets 8", "APA 2010: 4-8 weeks",
              (dose("sertraline", 50, week(0), week(6)),),
              (("sertraline", week(0), week(6), week(0), 42, V.TOO_SHORT),), required_weeks=8),
    TrialCase("weeks before the episode start belong to the earlier episode", "brief §6: in the current episode",
              (dose("sertraline", 50, week(0), week(8)),),
              (("sertraline", week(4), week(8), week(4), 28, V.TOO_SHORT),), episode_start=week(4)),
]  # fmt: skip


@pytest.mark.parametrize("case", TRIAL_CASES, ids=lambda case: case.name)
def test_adequate_trials(case: TrialCase) -> None:
    trials = antidepressant_trials(
        case.doses,
        case.records,
        KB,
        on=case.on,
        episode_start=case.episode_start,
        required_weeks=case.required_weeks,
    )
    found = tuple(
        (trial.drug, trial.start, trial.end, trial.adequate_from, trial.days_at_adequate_dose, trial.verdict)
        for trial in trials
    )  # fmt: skip
    assert found == case.expected, case.source


def test_trial_reasons_are_words_a_clinician_reads() -> None:
    def reason(doses: list[DoseInterval], records: list[AdherenceRecord], on: dt.date) -> str:
        (trial,) = antidepressant_trials(doses, records, KB, on=on)
        return trial.reason

    assert (
        reason([dose("sertraline", 50, week(0), week(6))], [], week(10))
        == "6 weeks at or above 50 mg/day with no poor adherence recorded"
    )
    assert (
        reason([dose("sertraline", 50, week(0), day(41))], [], week(10))
        == "5 weeks 6 days at or above 50 mg/day; an adequate trial needs 6 weeks"
    )
    assert (
        reason([dose("sertraline", 50, week(0), None)], [], week(5))
        == "5 weeks so far at or above 50 mg/day; an adequate trial needs 6 weeks"
    )
    assert (
        reason([dose("sertraline", 25, week(0), week(10))], [], week(10))
        == "dose never reached the minimum therapeutic 50 mg/day (highest 25 mg/day)"
    )
    assert (
        reason(
            [dose("sertraline", 50, week(0), week(8))],
            [adherence("Zoloft", week(4), MISSING)],
            week(10),
        )
        == f"adherence recorded as poor (missing doses on {week(4).isoformat()})"
    )


def test_trial_carries_the_minimum_dose_and_how_well_it_is_sourced() -> None:
    (sertraline,) = antidepressant_trials(
        [dose("sertraline", 50, week(0), day(41))], [], KB, on=week(10)
    )
    (fluoxetine,) = antidepressant_trials(
        [dose("fluoxetine", 20, week(0), week(6))], [], KB, on=week(10)
    )
    assert (sertraline.minimum_mg_per_day, sertraline.minimum_verification) == (
        Decimal(50),
        Verification.VERIFIED,
    )
    assert sertraline.weeks_at_adequate_dose == Decimal("5.8")  # 41 days: never rounded up to 6
    assert sertraline.adequate_on is None
    assert (fluoxetine.minimum_mg_per_day, fluoxetine.minimum_verification) == (
        Decimal(20),
        Verification.UNVERIFIED,
    )
    assert fluoxetine.adequate_on == week(6)
    assert fluoxetine.weeks_at_adequate_dose == Decimal("6.0")


def test_dose_intervals_come_from_the_regimen_events() -> None:
    events = [
        Event(1, EventKind.STARTED, 1, week(0)),
        Event(2, EventKind.DOSE_CHANGED, 2, week(2), replaces=1),
        Event(3, EventKind.SWITCHED, 3, week(10), replaces=2),
    ]
    doses = {
        1: ("sertraline", Decimal(25)),
        2: ("sertraline", Decimal(50)),
        3: ("escitalopram", Decimal(10)),
    }
    history = dose_intervals(events, doses)
    assert history == [
        DoseInterval("sertraline", week(0), week(2), Decimal(25)),
        DoseInterval("sertraline", week(2), week(10), Decimal(50)),
        DoseInterval("escitalopram", week(10), None, Decimal(10)),
    ]
    trials = antidepressant_trials(history, [], KB, on=week(14))
    assert [(trial.drug, trial.adequate_from, trial.verdict) for trial in trials] == [
        ("sertraline", week(2), V.ADEQUATE),
        ("escitalopram", week(10), V.TOO_SHORT),
    ]
    with pytest.raises(ValueError, match="doses: no drug and daily dose for prescription 3"):
        dose_intervals(events, {1: doses[1], 2: doses[2]})


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"required_weeks": 3}, "required_weeks"),
        ({"required_weeks": 9}, "required_weeks"),
        ({"required_weeks": True}, "required_weeks"),
        ({"required_weeks": 6.0}, "required_weeks"),
        ({"dose_history": [dose("sertralin", 50, week(0), None)]}, "dose_history: unknown drug"),
        ({"dose_history": [dose("sertraline", 0, week(0), None)]}, "dose_history: sertraline"),
        ({"dose_history": [dose("sertraline", 50, week(2), week(2))]}, "dose_history"),
        ({"adherence": [adherence("nodrug", week(1), MISSING)]}, "adherence: unknown drug"),
        ({"episode_start": week(30)}, "episode_start"),
    ],
)
def test_bad_trial_input_is_refused_naming_the_argument(
    kwargs: dict[str, object], argument: str
) -> None:
    arguments: dict[str, object] = {
        "dose_history": [dose("sertraline", 50, week(0), None)],
        "adherence": [],
        "knowledge": KB,
        "on": week(20),
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        antidepressant_trials(**arguments)  # type: ignore[arg-type]


# --- Not improving on an adequate trial -------------------------------------------------------


@dataclass(frozen=True)
class OutcomeCase:
    name: str
    source: str
    points: tuple[tuple[int, int], ...]  # PHQ-9 (day, total)
    not_improving: bool | None
    note: str
    doses: tuple[DoseInterval, ...] = field(
        default=(dose("sertraline", 50, week(0), week(8)),)  # adequate from week 6
    )


NOT_IMPROVING = "brief §1.9: non-response < 25% after an adequate trial (convention)"
OUTCOME_CASES = [
    OutcomeCase("20% improvement is not improving", NOT_IMPROVING, ((0, 20), (42, 16)), True, "improved by less than 25%"),
    OutcomeCase("24% improvement is not improving", NOT_IMPROVING, ((0, 25), (42, 19)), True, "improved by less than 25%"),
    OutcomeCase("exactly 25% improvement is enough", NOT_IMPROVING, ((0, 20), (42, 15)), False, "improved by 25% or more"),
    OutcomeCase("worse than baseline is not improving", NOT_IMPROVING, ((0, 12), (42, 18)), True, "improved by less than 25%"),
    OutcomeCase("the latest score in the window counts", NOT_IMPROVING, ((0, 20), (42, 10), (49, 17)), True, "improved by less than 25%"),
    OutcomeCase("a score on the day the drug stopped counts", "scored on the old regimen", ((0, 20), (56, 18)), True, "improved by less than 25%"),
    OutcomeCase("the baseline is the last score on or before the start", NOT_IMPROVING, ((-14, 27), (0, 20), (42, 16)), True, "improved by less than 25%"),
    OutcomeCase("remission is never not improving", "HEDIS: PHQ-9 < 5 is remission", ((0, 4), (42, 4)), False, "in remission"),
    OutcomeCase("a score before the trial became adequate does not count", NOT_IMPROVING, ((0, 20), (41, 19)), None, "no score since the trial became adequate"),
    OutcomeCase("a score after the stretch ended does not count", NOT_IMPROVING, ((0, 20), (57, 19)), None, "no score since the trial became adequate"),
    OutcomeCase("no score at the start: cannot be judged", NOT_IMPROVING, ((1, 20), (42, 19)), None, "no score on or before the trial start"),
    OutcomeCase("a trial that was not adequate is not judged", NOT_IMPROVING, ((0, 20), (35, 19)), None, "not an adequate trial",
                doses=(dose("sertraline", 50, week(0), week(5)),)),
]  # fmt: skip


@pytest.mark.parametrize("case", OUTCOME_CASES, ids=lambda case: case.name)
def test_not_improving_on_an_adequate_trial(case: OutcomeCase) -> None:
    trials = antidepressant_trials(case.doses, [], KB, on=week(20))
    (outcome,) = trial_outcomes(trials, phq9(*case.points), on=week(20))
    assert (outcome.not_improving, outcome.note) == (case.not_improving, case.note), case.source


def test_trial_outcomes_take_depression_scores_only() -> None:
    trials = antidepressant_trials([dose("sertraline", 50, week(0), week(8))], [], KB, on=week(20))
    with pytest.raises(ValueError, match="scores: GAD-7 does not measure depression"):
        trial_outcomes(trials, scores("GAD-7", (0, 15)), on=week(20))
    with pytest.raises(ValueError, match="scores: a score is dated"):
        trial_outcomes(trials, phq9((0, 20), (200, 15)), on=week(20))
    (unmeasured,) = trial_outcomes(trials, [], on=week(20))
    assert unmeasured.not_improving is None


# --- Possible treatment-resistant depression ---------------------------------------------------

SERTRALINE_THEN_ESCITALOPRAM = (
    dose("sertraline", 100, week(0), week(8)),
    dose("escitalopram", 10, week(8), week(16)),
)


def test_two_failed_adequate_trials_suggest_possible_trd() -> None:
    """FDA/EMA definition (brief §6): >= 2 antidepressants at adequate dose and duration."""
    review = review_antidepressant_trials(
        SERTRALINE_THEN_ESCITALOPRAM,
        [],
        phq9((0, 20), (56, 18), (112, 17)),  # the week-8 score ends one trial and starts the next
        KB,
        on=week(16),
    )
    assert [outcome.trial.drug for outcome in review.failed] == ["sertraline", "escitalopram"]
    assert [(o.baseline, o.outcome) for o in review.failed] == [
        (ScorePoint("PHQ-9", week(0), 20), ScorePoint("PHQ-9", week(8), 18)),
        (ScorePoint("PHQ-9", week(8), 18), ScorePoint("PHQ-9", week(16), 17)),
    ]
    suggestion = review.suggestion
    assert suggestion is not None
    assert suggestion.failed_trials == review.failed
    assert suggestion.text == (
        "Possible treatment-resistant depression: the PHQ-9 improved by less than 25% during "
        "adequate trials of 2 antidepressants in this episode (sertraline from 2025-01-06, "
        "escitalopram from 2025-03-03). A suggestion for the clinician to confirm or dismiss, "
        "not a diagnosis. Rule out pseudo-resistance first: adherence, dose and duration, "
        "interactions and metabolism, and the diagnosis."
    )
    assert "FDA/EMA" in suggestion.source


@dataclass(frozen=True)
class ResistanceCase:
    name: str
    doses: tuple[DoseInterval, ...]
    points: tuple[tuple[int, int], ...]
    failed: tuple[str, ...]
    records: tuple[AdherenceRecord, ...] = ()
    episode_start: dt.date | None = None


RESISTANCE_CASES = [
    ResistanceCase("one failed trial: no suggestion", (dose("sertraline", 100, week(0), week(8)),),
                   ((0, 20), (56, 18)), ("sertraline",)),
    ResistanceCase("the second drug helped: no suggestion", SERTRALINE_THEN_ESCITALOPRAM,
                   ((0, 20), (56, 18), (112, 9)), ("sertraline",)),
    ResistanceCase("the second trial was too short: no suggestion",
                   (dose("sertraline", 100, week(0), week(8)), dose("escitalopram", 10, week(8), week(13))),
                   ((0, 20), (56, 18), (91, 18)), ("sertraline",)),
    ResistanceCase("poor adherence on the second: no suggestion", SERTRALINE_THEN_ESCITALOPRAM,
                   ((0, 20), (56, 18), (112, 17)), ("sertraline",),
                   records=(adherence("escitalopram", week(12), MISSING),)),
    ResistanceCase("the same drug twice is one antidepressant: no suggestion",
                   (dose("sertraline", 100, week(0), week(8)), dose("sertraline", 100, week(10), week(18))),
                   ((0, 20), (56, 18), (70, 19), (126, 18)), ("sertraline", "sertraline")),
    ResistanceCase("a failed trial of an earlier episode does not count", SERTRALINE_THEN_ESCITALOPRAM,
                   ((0, 20), (56, 18), (112, 17)), ("escitalopram",), episode_start=week(7)),
]  # fmt: skip


@pytest.mark.parametrize("case", RESISTANCE_CASES, ids=lambda case: case.name)
def test_fewer_than_two_failed_antidepressants_suggest_nothing(case: ResistanceCase) -> None:
    review = review_antidepressant_trials(
        case.doses,
        case.records,
        phq9(*case.points),
        KB,
        on=week(20),
        episode_start=case.episode_start,
    )
    assert tuple(outcome.trial.drug for outcome in review.failed) == case.failed
    assert review.suggestion is None
    assert treatment_resistance(review.outcomes) is None
