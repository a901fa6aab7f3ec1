"""Scoring tables: every band boundary of every instrument, the screens and the flags.

One row per clinical case; the last column names the source of the expected answer
(brief = ../shared/clinical/brief.md section 1; issue 5 = the measurement-based-care issue).
"""

from __future__ import annotations

import pytest

from dosewise.domain.scales import Score, ScoreInputError, UnknownInstrument, score


def S(
    instrument: str,
    total: int,
    band: str | None = None,
    positive: bool | None = None,
    flags: tuple[str, ...] = (),
) -> Score:
    return Score(instrument=instrument, total=total, band=band, positive=positive, flags=flags)


PHQ9 = [
    # answers (items 1-9)         expected                                       source
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], S("PHQ-9", 0, "minimal"), "Kroenke 2001, brief 1.2"),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], S("PHQ-9", 4, "minimal"), "Kroenke 2001, brief 1.2"),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], S("PHQ-9", 5, "mild"), "Kroenke 2001, brief 1.2"),
    ([1, 1, 1, 1, 1, 1, 1, 1, 0], S("PHQ-9", 8, "mild"), "Kroenke 2001, brief 1.2"),
    ([2, 2, 1, 1, 1, 1, 1, 0, 0], S("PHQ-9", 9, "mild"), "Kroenke 2001, brief 1.2"),
    ([2, 2, 2, 1, 1, 1, 1, 0, 0], S("PHQ-9", 10, "moderate"), "Kroenke 2001, brief 1.2"),
    ([2, 2, 2, 2, 2, 2, 2, 0, 0], S("PHQ-9", 14, "moderate"), "Kroenke 2001, brief 1.2"),
    ([3, 2, 2, 2, 2, 2, 2, 0, 0], S("PHQ-9", 15, "moderately severe"), "Kroenke 2001, brief 1.2"),
    ([3, 3, 3, 2, 2, 2, 2, 2, 0], S("PHQ-9", 19, "moderately severe"), "Kroenke 2001, brief 1.2"),
    ([3, 3, 3, 3, 2, 2, 2, 2, 0], S("PHQ-9", 20, "severe"), "Kroenke 2001, brief 1.2"),
    ([3, 3, 3, 3, 3, 3, 3, 3, 0], S("PHQ-9", 24, "severe"), "Kroenke 2001, brief 1.2"),
    (
        [3, 3, 3, 3, 3, 3, 3, 3, 3],
        S("PHQ-9", 27, "severe", flags=("suicide_risk",)),
        "Kroenke 2001; item 9 >= 1 is a hard rule, brief 1.2",
    ),
    # Item 9 flags whatever the total: the lowest possible total with a positive item 9.
    (
        [0, 0, 0, 0, 0, 0, 0, 0, 1],
        S("PHQ-9", 1, "minimal", flags=("suicide_risk",)),
        "brief 1.2: any score >= 1 on item 9, regardless of total",
    ),
    (
        [1, 1, 1, 1, 1, 1, 1, 1, 2],
        S("PHQ-9", 10, "moderate", flags=("suicide_risk",)),
        "issue 5 example total 10 'moderate'; item 9 flag",
    ),
]

GAD7 = [
    ([0, 0, 0, 0, 0, 0, 0], S("GAD-7", 0, "minimal"), "Spitzer 2006, brief 1.3"),
    ([1, 1, 1, 1, 0, 0, 0], S("GAD-7", 4, "minimal"), "Spitzer 2006, brief 1.3"),
    ([1, 1, 1, 1, 1, 0, 0], S("GAD-7", 5, "mild"), "Spitzer 2006, brief 1.3"),
    ([2, 2, 2, 1, 1, 1, 0], S("GAD-7", 9, "mild"), "Spitzer 2006, brief 1.3"),
    ([2, 2, 2, 1, 1, 1, 1], S("GAD-7", 10, "moderate"), "Spitzer 2006, brief 1.3"),
    ([2, 2, 2, 2, 2, 2, 2], S("GAD-7", 14, "moderate"), "Spitzer 2006, brief 1.3"),
    ([3, 2, 2, 2, 2, 2, 2], S("GAD-7", 15, "severe"), "Spitzer 2006, brief 1.3"),
    ([3, 3, 3, 3, 3, 3, 3], S("GAD-7", 21, "severe"), "Spitzer 2006, brief 1.3"),
]

TWO_ITEM_SCREENS = [
    ("phq2", [0, 0], S("PHQ-2", 0, positive=False), "Kroenke 2003, brief 1.2: >= 3"),
    ("phq2", [1, 1], S("PHQ-2", 2, positive=False), "Kroenke 2003, brief 1.2: >= 3"),
    ("phq2", [2, 1], S("PHQ-2", 3, positive=True), "Kroenke 2003, brief 1.2: >= 3"),
    ("phq2", [3, 3], S("PHQ-2", 6, positive=True), "Kroenke 2003, brief 1.2: >= 3"),
    ("gad2", [0, 0], S("GAD-2", 0, positive=False), "brief 1.3: >= 3 usual cut-off"),
    ("gad2", [2, 0], S("GAD-2", 2, positive=False), "brief 1.3: >= 3 usual cut-off"),
    ("gad2", [0, 3], S("GAD-2", 3, positive=True), "brief 1.3: >= 3 usual cut-off"),
    ("gad2", [3, 3], S("GAD-2", 6, positive=True), "brief 1.3: >= 3 usual cut-off"),
]

ASRS = [
    # Shaded boxes: items 1-3 from "Sometimes" (2), items 4-6 from "Often" (3); >= 4 of 6.
    ([0, 0, 0, 0, 0, 0], S("ASRS v1.1", 0, positive=False), "brief 1.4"),
    ([4, 4, 4, 4, 4, 4], S("ASRS v1.1", 6, positive=True), "brief 1.4"),
    ([2, 2, 2, 3, 0, 0], S("ASRS v1.1", 4, positive=True), "brief 1.4: 'Sometimes' counts on 1-3"),
    ([2, 2, 2, 2, 2, 2], S("ASRS v1.1", 3, positive=False), "brief 1.4: 'Sometimes' not on 4-6"),
    ([1, 1, 1, 3, 3, 3], S("ASRS v1.1", 3, positive=False), "brief 1.4: 'Rarely' never counts"),
    ([1, 2, 1, 3, 3, 3], S("ASRS v1.1", 4, positive=True), "brief 1.4"),
    ([2, 2, 2, 2, 2, 3], S("ASRS v1.1", 4, positive=True), "brief 1.4"),
    ([4, 4, 1, 4, 2, 2], S("ASRS v1.1", 3, positive=False), "brief 1.4: three shaded only"),
]

PCL5_CLUSTER_MET = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]  # total 12

PCL5 = [
    ([0] * 20, S("PCL-5", 0, positive=False), "brief 1.5"),
    ([1] * 12 + [2] * 8 + [], S("PCL-5", 28, positive=False), "brief 1.5: below the cut-off"),
    ([2] * 12 + [1] * 8, S("PCL-5", 32, positive=False), "brief 1.5: 32 < 33"),
    ([2] * 13 + [1] * 7, S("PCL-5", 33, positive=True), "brief 1.5: >= 33"),
    ([4] * 20, S("PCL-5", 80, positive=True, flags=("dsm5_criteria_met",)), "brief 1.5"),
    # The DSM-5 rule: items >= 2 count; >= 1 B (1-5), >= 1 C (6-7), >= 2 D (8-14), >= 2 E (15-20).
    (PCL5_CLUSTER_MET, S("PCL-5", 12, positive=False, flags=("dsm5_criteria_met",)), "brief 1.5"),
]


def _replace(answers: list[int], item: int, value: int) -> list[int]:
    changed = list(answers)
    changed[item - 1] = value
    return changed


PCL5_CLUSTER_MISSED = [
    # One endorsement short in each cluster, or an item at 1 ("A little bit") that does not count.
    (_replace(PCL5_CLUSTER_MET, 1, 1), "no B item >= 2"),
    (_replace(PCL5_CLUSTER_MET, 6, 1), "no C item >= 2"),
    (_replace(PCL5_CLUSTER_MET, 9, 1), "one D item >= 2"),
    (_replace(PCL5_CLUSTER_MET, 16, 1), "one E item >= 2"),
]

AIMS_DENTAL = [0, 0, 0, 0, 0]  # items 8-12: global ratings and dental status, not in the total

AIMS = [
    ([0] * 7 + AIMS_DENTAL, S("AIMS", 0, positive=False), "brief 1.8"),
    ([1] * 7 + AIMS_DENTAL, S("AIMS", 7, positive=False), "brief 1.8: minimal everywhere"),
    ([2, 0, 0, 0, 0, 0, 0] + AIMS_DENTAL, S("AIMS", 2, positive=False), "brief 1.8: one mild"),
    ([2, 0, 0, 2, 0, 0, 0] + AIMS_DENTAL, S("AIMS", 4, positive=True), "brief 1.8: mild in two"),
    ([0, 0, 0, 0, 0, 2, 2] + AIMS_DENTAL, S("AIMS", 4, positive=True), "brief 1.8: mild in two"),
    (
        [0, 0, 3, 0, 0, 0, 0] + AIMS_DENTAL,
        S("AIMS", 3, positive=True),
        "brief 1.8: moderate in one",
    ),
    ([0, 0, 0, 0, 0, 0, 4] + AIMS_DENTAL, S("AIMS", 4, positive=True), "brief 1.8: severe in one"),
    ([2, 1, 1, 1, 1, 1, 1] + AIMS_DENTAL, S("AIMS", 8, positive=False), "brief 1.8"),
    ([4] * 7 + [4, 4, 4, 1, 1], S("AIMS", 28, positive=True), "brief 1.8: total of items 1-7"),
    # Items 8-10 at their maximum add nothing to the total and do not make a positive.
    ([0] * 7 + [4, 4, 4, 1, 1], S("AIMS", 0, positive=False), "brief 1.8: items 8-12 unscored"),
]

ASQ = [
    ([0, 0, 0, 0, 0], S("ASQ", 0, positive=False), "NIMH: 'No' to 1-4, screening complete"),
    (
        [1, 0, 0, 0, 0],
        S("ASQ", 1, positive=True, flags=("suicide_risk",)),
        "NIMH: yes to any of 1-4 = positive; 'No' to 5 = non-acute",
    ),
    ([0, 1, 0, 0, 0], S("ASQ", 1, positive=True, flags=("suicide_risk",)), "NIMH / issue 5"),
    ([0, 0, 1, 0, 0], S("ASQ", 1, positive=True, flags=("suicide_risk",)), "NIMH / issue 5"),
    ([0, 0, 0, 1, 0], S("ASQ", 1, positive=True, flags=("suicide_risk",)), "NIMH / issue 5"),
    ([1, 1, 1, 1, 0], S("ASQ", 4, positive=True, flags=("suicide_risk",)), "NIMH / issue 5"),
    (
        [0, 1, 1, 0, 1],
        S("ASQ", 2, positive=True, flags=("suicide_risk", "acute_risk")),
        "NIMH: 'Yes' to 5 = acute positive screen; issue 5 acute_risk",
    ),
    # Question 5 is only asked after a yes, but a recorded yes is never dropped: issue 5 says
    # positive on any "yes".
    (
        [0, 0, 0, 0, 1],
        S("ASQ", 0, positive=True, flags=("suicide_risk", "acute_risk")),
        "issue 5: positive on any yes; acute when the acuity question is yes",
    ),
]


@pytest.mark.parametrize(("answers", "expected", "source"), PHQ9)
def test_phq9_bands_and_item_9(answers: list[int], expected: Score, source: str) -> None:
    assert score("phq9", answers) == expected


@pytest.mark.parametrize(("answers", "expected", "source"), GAD7)
def test_gad7_bands(answers: list[int], expected: Score, source: str) -> None:
    assert score("gad7", answers) == expected


@pytest.mark.parametrize(("instrument", "answers", "expected", "source"), TWO_ITEM_SCREENS)
def test_two_item_screens(
    instrument: str, answers: list[int], expected: Score, source: str
) -> None:
    assert score(instrument, answers) == expected


@pytest.mark.parametrize(("answers", "expected", "source"), ASRS)
def test_asrs_part_a_shaded_boxes(answers: list[int], expected: Score, source: str) -> None:
    assert score("asrs", answers) == expected


@pytest.mark.parametrize(("answers", "expected", "source"), PCL5)
def test_pcl5_total_cut_off_and_dsm5_rule(answers: list[int], expected: Score, source: str) -> None:
    assert sum(answers) == expected.total
    assert score("pcl5", answers) == expected


@pytest.mark.parametrize(("answers", "why"), PCL5_CLUSTER_MISSED)
def test_pcl5_dsm5_rule_needs_every_cluster(answers: list[int], why: str) -> None:
    assert score("pcl5", answers).flags == ()


@pytest.mark.parametrize(
    ("threshold", "total", "positive"),
    [(31, 30, False), (31, 31, True), (32, 31, False), (33, 32, False), (33, 33, True)],
)
def test_pcl5_cut_off_is_adjustable(threshold: int, total: int, positive: bool) -> None:
    """brief 1.5: provisional PTSD at 31-33 depending on the population."""
    answers = [4] * (total // 4) + [total % 4] + [0] * (19 - total // 4)
    result = score("pcl5", answers, threshold=threshold)
    assert (result.total, result.positive) == (total, positive)


@pytest.mark.parametrize(("answers", "expected", "source"), AIMS)
def test_aims_total_and_probable_td(answers: list[int], expected: Score, source: str) -> None:
    assert score("aims", answers) == expected


@pytest.mark.parametrize(("answers", "expected", "source"), ASQ)
def test_asq_screen_and_acuity(answers: list[int], expected: Score, source: str) -> None:
    assert score("asq", answers) == expected


def test_band_is_null_and_positive_null_as_issue_5_says() -> None:
    assert score("phq9", [1, 1, 1, 1, 1, 1, 2, 2, 0]).as_dict() == {
        "instrument": "PHQ-9",
        "total": 10,
        "band": "moderate",
        "positive": None,
        "flags": [],
    }
    assert list(score("pcl5", [0] * 20).as_dict()) == [
        "instrument",
        "total",
        "band",
        "positive",
        "flags",
    ]


@pytest.mark.parametrize(
    ("instrument", "answers", "message", "item"),
    [
        ("phq9", [1] * 8, "PHQ-9 needs 9 answers (items 1-9), got 8: item 9 (thoughts", 9),
        ("phq9", [], "PHQ-9 needs 9 answers (items 1-9), got 0: item 1 (anhedonia) is missing", 1),
        ("phq9", [1] * 10, "PHQ-9 takes 9 answers (items 1-9), got 10: there is no item 10", None),
        (
            "phq9",
            [0, 0, 0, 0, 0, 0, 0, 0, 4],
            "PHQ-9 item 9 (thoughts of death or self-harm): 4",
            9,
        ),
        ("phq9", [0, -1, 0, 0, 0, 0, 0, 0, 0], "PHQ-9 item 2 (depressed mood): -1 is not an", 2),
        ("phq9", [0, 0, None, 0, 0, 0, 0, 0, 0], "PHQ-9 item 3 (sleep) is not answered", 3),
        ("gad7", [0, 0, 0, 0, 0, 0, True], "GAD-7 item 7 (fear of something awful): True", 7),
        ("gad7", [0, 0, 0, 0, 1.5, 0, 0], "GAD-7 item 5 (restlessness): 1.5 is not a whole", 5),
        ("asrs", [0, 0, 0, 0, 0, 5], "ASRS v1.1 item 6 (feeling overly active, driven): 5", 6),
        ("asrs", [0] * 18, "ASRS v1.1 takes 6 answers (items 1-6), got 18", None),
        ("pcl5", [0] * 19, "PCL-5 needs 20 answers (items 1-20), got 19: item 20 (sleep)", 20),
        ("aims", [0] * 7, "AIMS needs 12 answers (items 1-12), got 7: item 8 (global", 8),
        ("aims", [0] * 10 + [2, 0], "AIMS item 11 (teeth or denture problems): 2 is not an", 11),
        ("asq", [0, 0, 0, 0], "ASQ needs 5 answers (items 1-5), got 4: item 5 (thoughts", 5),
        ("asq", [0, 0, 0, 0, 2], "give 0 (No) or 1 (Yes)", 5),
        ("phq2", [0, 0, 0], "PHQ-2 takes 2 answers (items 1-2), got 3", None),
    ],
)
def test_incomplete_or_out_of_range_answers_name_the_item(
    instrument: str, answers: list[int], message: str, item: int | None
) -> None:
    with pytest.raises(ScoreInputError) as caught:
        score(instrument, answers)
    assert message in str(caught.value)
    assert caught.value.item == item


def test_answers_must_be_a_list_not_text() -> None:
    with pytest.raises(ScoreInputError, match="answers must be a list of 9 numbers"):
        score("phq9", "000000000")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("instrument", "threshold", "message"),
    [
        ("phq9", 10, "PHQ-9 has no adjustable cut-off"),
        ("asq", 1, "ASQ has no adjustable cut-off"),
        ("pcl5", 0, "PCL-5 cut-off 0 must be within 1-80"),
        ("pcl5", 81, "PCL-5 cut-off 81 must be within 1-80"),
    ],
)
def test_threshold_only_where_adjustable_and_in_range(
    instrument: str, threshold: int, message: str
) -> None:
    count = {"phq9": 9, "asq": 5, "pcl5": 20}[instrument]
    with pytest.raises(ScoreInputError, match=message):
        score(instrument, [0] * count, threshold=threshold)


def test_unknown_instrument_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(UnknownInstrument) as caught:
        score("cssrs", [1])
    assert str(caught.value) == (
        "unknown instrument 'cssrs'; one of aims, asq, asrs, gad2, gad7, pcl5, phq2, phq9"
    )
