"""The withdrawal check-in at a taper step: the checklist's input rules and Dosewise's own
conservative "consider holding" rule (not a published cut-off; brief section 5.1/5.3 say to hold
when withdrawal symptoms appear, without a number)."""

import pytest

from dosewise.domain.withdrawal import CHECKLIST, CODES, ChecklistError, ratings_from, suggest

CALM = [0] * 9


def rated(**ratings: int) -> list[int]:
    """Checklist-ordered ratings: the named symptoms as given, the rest none."""
    return [ratings.get(code, 0) for code in CODES]


def test_checklist_has_the_briefs_symptoms_in_order() -> None:
    assert CODES == (
        "dizziness",
        "electric_sensations",
        "irritability_anxiety",
        "low_mood",
        "sleep",
        "nausea",
        "flu_like",
        "sweating",
        "tremor",
    )
    assert CHECKLIST[1].label == 'Electric sensations ("brain zaps")'


@pytest.mark.parametrize(
    ("previous", "current", "hold", "reason"),
    [
        # First check-in: only a severe symptom suggests holding.
        (None, CALM, False, ""),
        (None, rated(dizziness=2, nausea=2, sweating=2), False, ""),
        (None, rated(dizziness=3), True, "Severe: Dizziness or light-headedness."),
        # Total rise of 3 or more since the last check-in.
        (rated(dizziness=1), rated(dizziness=2, sleep=1), False, ""),
        (
            rated(dizziness=1),
            rated(dizziness=2, sleep=1, tremor=1),
            True,
            "Symptoms rose by 3 points in total since the last check-in.",
        ),
        # A symptom from none to moderate (rise of 2 alone is not enough by total).
        (
            CALM,
            rated(electric_sensations=2),
            True,
            'New moderate or worse: Electric sensations ("brain zaps").',
        ),
        # Mild to moderate is not "from none".
        (rated(low_mood=1), rated(low_mood=2), False, ""),
        # Improving: no hold even with moderate symptoms left.
        (rated(dizziness=2, nausea=2), rated(dizziness=2, nausea=1), False, ""),
        # Several reasons together.
        (
            CALM,
            rated(tremor=3),
            True,
            "Severe: Tremor or shakiness; symptoms rose by 3 points in total since the last "
            "check-in; new moderate or worse: Tremor or shakiness.",
        ),
    ],
)
def test_suggest_hold(
    previous: list[int] | None, current: list[int], hold: bool, reason: str
) -> None:
    suggestion = suggest(previous, current)
    assert (suggestion.hold, suggestion.reason) == (hold, reason)


@pytest.mark.parametrize(
    ("previous", "current", "field"),
    [
        (None, [0] * 8, "current"),
        ([0] * 10, CALM, "previous"),
        (None, rated(nausea=4), "nausea"),
        (None, [-1] + [0] * 8, "dizziness"),
    ],
)
def test_suggest_refuses_malformed_ratings(
    previous: list[int] | None, current: list[int], field: str
) -> None:
    with pytest.raises(ChecklistError) as caught:
        suggest(previous, current)
    assert caught.value.field == field


def test_ratings_from_answers_accepts_digits() -> None:
    answers: dict[str, object] = dict.fromkeys(CODES, "0")
    answers["sleep"] = "2"
    answers["tremor"] = 1
    assert ratings_from(answers) == [0, 0, 0, 0, 2, 0, 0, 0, 1]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"sleep": ""}, "sleep", "Rate insomnia or vivid dreams (0 none to 3 severe)."),
        ({"nausea": "4"}, "nausea", "Rate nausea as 0 none, 1 mild, 2 moderate or 3 severe."),
        ({"nausea": "bad"}, "nausea", "Rate nausea as 0 none, 1 mild, 2 moderate or 3 severe."),
        ({"nausea": True}, "nausea", "Rate nausea as 0 none, 1 mild, 2 moderate or 3 severe."),
        ({"headache": "1"}, "headache", "Not on the checklist: headache."),
    ],
)
def test_ratings_from_names_the_bad_field(
    change: dict[str, object], field: str, message: str
) -> None:
    answers: dict[str, object] = dict.fromkeys(CODES, "0")
    answers.update(change)
    with pytest.raises(ChecklistError) as caught:
        ratings_from(answers)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_missing_rating_names_the_symptom() -> None:
    answers: dict[str, object] = {code: "0" for code in CODES if code != "dizziness"}
    with pytest.raises(ChecklistError) as caught:
        ratings_from(answers)
    assert caught.value.field == "dizziness"
