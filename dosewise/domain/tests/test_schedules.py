"""The measurement schedule: default plans from diagnoses and medications, and due dates."""

from __future__ import annotations

import datetime as dt

import pytest

from dosewise.domain.knowledge.model import Verification
from dosewise.domain.schedules import (
    AIMS,
    ASRS,
    DEFAULT_RULES,
    GAD7,
    PCL5,
    PHQ9,
    Due,
    Medication,
    PlanItem,
    check_interval,
    default_plan,
    due_items,
    next_due,
    schedule,
)

D = dt.date
ON = D(2026, 3, 1)
QUETIAPINE = Medication("quetiapine", "antipsychotic")
METHYLPHENIDATE = Medication("methylphenidate", "stimulant")
SERTRALINE = Medication("sertraline", "antidepressant")

# (codes, medications, expected (instrument, interval, at dose change), source of the answer)
DEFAULTS = [
    (["F32.1"], [], [(PHQ9, 28, False)], "brief §1.2/§4.9: PHQ-9 every 2-4 weeks, acute phase"),
    (["F33.1"], [], [(PHQ9, 28, False)], "brief §1.2/§4.9: recurrent depression"),
    (["F34.1"], [], [(PHQ9, 28, False)], "brief §1.2/§4.9: dysthymia (F34.1)"),
    (["F34.0"], [], [], "F34.0 (cyclothymia) is not a depression code of the rule"),
    (["f41.1"], [], [(GAD7, 28, False)], "brief §1.3: GAD-7 same cadence as PHQ-9"),
    (["F41.0"], [], [(GAD7, 28, False)], "brief §1.3: panic disorder"),
    (["F40.10"], [], [(GAD7, 28, False)], "brief §1.3: phobic anxiety (F40.x)"),
    (["F41.9"], [], [], "F41.9 is outside the anxiety prefixes of issue 5"),
    (["F43.10"], [], [(PCL5, 30, False)], "brief §1.5: PCL-5 monthly at minimum"),
    (["F43.12"], [], [(PCL5, 30, False)], "brief §1.5: chronic PTSD"),
    (["F43.2"], [], [], "adjustment disorder is not PTSD"),
    (["F90.0"], [], [(ASRS, None, True)], "brief §1.4/§4.7: ASRS at dose changes"),
    ([], [QUETIAPINE], [(AIMS, 182, False)], "brief §1.8: APA 2020 AIMS every 6 months"),
    ([], [SERTRALINE, METHYLPHENIDATE], [], "no diagnosis and no antipsychotic: no default"),
    (
        ["F90.2", "F33.1", "F43.10", "F41.1"],
        [QUETIAPINE],
        [
            (PHQ9, 28, False),
            (GAD7, 28, False),
            (PCL5, 30, False),
            (ASRS, None, True),
            (AIMS, 182, False),
        ],
        "every rule of issue 5, one item per instrument, in rule order",
    ),
    (["F32.1", "F33.0"], [], [(PHQ9, 28, False)], "two depression codes: one PHQ-9 item"),
]


@pytest.mark.parametrize(("codes", "medications", "expected", "source"), DEFAULTS)
def test_default_plan(
    codes: list[str],
    medications: list[Medication],
    expected: list[tuple[str, int | None, bool]],
    source: str,
) -> None:
    plan = default_plan(codes, medications)
    assert [(i.instrument, i.interval_days, i.at_dose_change) for i in plan] == expected, source


def test_every_default_rule_names_its_source_in_the_brief() -> None:
    for rule in DEFAULT_RULES:
        assert "brief §" in rule.source
        assert rule.reason
    assert {rule.instrument: rule.verification for rule in DEFAULT_RULES} == {
        PHQ9: Verification.UNVERIFIED,
        GAD7: Verification.UNVERIFIED,
        PCL5: Verification.UNVERIFIED,
        ASRS: Verification.UNVERIFIED,
        AIMS: Verification.VERIFIED,
    }


PHQ9_28 = PlanItem(PHQ9, 28)
ASRS_EVENT = PlanItem(ASRS, None, at_dose_change=True)
ASRS_BOTH = PlanItem(ASRS, 182, at_dose_change=True)

# (item, last, dose changes, expected (due_on, overdue_days, is_due, reason), source)
DUE = [
    (PHQ9_28, None, [], (ON, 0, True, "no score yet: baseline due"), "no baseline: due today"),
    (
        PHQ9_28,
        D(2026, 2, 1),
        [],
        (D(2026, 3, 1), 0, True, "every 28 days; last 2026-02-01"),
        "28 days after the last: due today, not yet overdue",
    ),
    (
        PHQ9_28,
        D(2026, 2, 2),
        [],
        (D(2026, 3, 2), 0, False, "every 28 days; last 2026-02-02"),
        "due tomorrow: not due",
    ),
    (
        PHQ9_28,
        D(2026, 1, 31),
        [],
        (D(2026, 2, 28), 1, True, "every 28 days; last 2026-01-31"),
        "a day late: overdue 1",
    ),
    (
        PlanItem(AIMS, 182),
        D(2025, 6, 1),
        [],
        (D(2025, 11, 30), 91, True, "every 182 days; last 2025-06-01"),
        "brief §1.8: 6-monthly AIMS, 3 months late",
    ),
    (
        ASRS_EVENT,
        D(2026, 1, 10),
        [D(2026, 1, 5)],
        (None, 0, False, "at the next dose change"),
        "dose change before the last ASRS: nothing pending",
    ),
    (
        ASRS_EVENT,
        D(2026, 1, 10),
        [D(2026, 1, 10)],
        (None, 0, False, "at the next dose change"),
        "ASRS on the day of the change counts as measured at it",
    ),
    (
        ASRS_EVENT,
        D(2026, 1, 10),
        [D(2026, 1, 5), D(2026, 2, 15), D(2026, 2, 22)],
        (D(2026, 2, 15), 14, True, "dose changed on 2026-02-15"),
        "brief §4.7: rating at each dose change; due from the first unmeasured change",
    ),
    (
        ASRS_EVENT,
        D(2026, 1, 10),
        [D(2026, 3, 5)],
        (None, 0, False, "at the next dose change"),
        "a change after `on` has not happened yet",
    ),
    (
        ASRS_EVENT,
        None,
        [],
        (None, 0, False, "at the next dose change"),
        "event-driven, never given, no change: nothing due",
    ),
    (
        ASRS_EVENT,
        None,
        [D(2026, 2, 1)],
        (ON, 0, True, "no score yet: baseline due"),
        "never given and a dose changed: baseline due today",
    ),
    (
        ASRS_BOTH,
        D(2025, 12, 1),
        [D(2026, 2, 20)],
        (D(2026, 2, 20), 9, True, "dose changed on 2026-02-20"),
        "interval and dose change: the earlier wins",
    ),
]


@pytest.mark.parametrize(("item", "last", "changes", "expected", "source"), DUE)
def test_next_due(
    item: PlanItem,
    last: dt.date | None,
    changes: list[dt.date],
    expected: tuple[dt.date | None, int, bool, str],
    source: str,
) -> None:
    due = next_due(item, last, on=ON, dose_changes=changes)
    assert (due.due_on, due.overdue_days, due.is_due, due.reason) == expected, source
    assert due.instrument == item.instrument
    assert due.last_on == last


def test_due_items_lists_only_due_most_overdue_first() -> None:
    plan = [PHQ9_28, PlanItem(GAD7, 28), PlanItem(AIMS, 182), ASRS_EVENT]
    last = {PHQ9: D(2026, 1, 20), GAD7: D(2026, 2, 20), AIMS: D(2025, 6, 1)}
    assert due_items(plan, last, on=ON) == [
        Due(AIMS, D(2025, 6, 1), D(2025, 11, 30), 91, "every 182 days; last 2025-06-01", True),
        Due(PHQ9, D(2026, 1, 20), D(2026, 2, 17), 12, "every 28 days; last 2026-01-20", True),
    ]
    assert [due.instrument for due in schedule(plan, last, on=ON)] == [PHQ9, GAD7, AIMS, ASRS]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (6, "interval_days: must be between 7 and 365 days, got 6"),
        (366, "interval_days: must be between 7 and 365 days, got 366"),
        (True, "interval_days: must be a whole number of days"),
        ("28", "interval_days: must be a whole number of days"),
    ],
)
def test_check_interval_refuses_out_of_range(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_interval(value)


def test_check_interval_accepts_bounds() -> None:
    assert (check_interval(7), check_interval(365)) == (7, 365)
