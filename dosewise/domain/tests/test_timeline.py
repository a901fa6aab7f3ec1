"""Layout of the medication timeline, and the 'since' and refill dates of the regimen table."""

import datetime as dt
from decimal import Decimal

import pytest

from dosewise.domain.regimen import Event, EventKind
from dosewise.domain.timeline import (
    PLOT_LEFT,
    PLOT_RIGHT,
    WIDTH,
    Tick,
    TimelineEvent,
    layout,
    mg_per_day,
    next_refill_due,
    since,
    ticks,
)

D = dt.date


def ev(
    seq: int,
    kind: str,
    rx: int,
    on: dt.date,
    drug: str,
    mg: int,
    reason: str = "",
    replaces: int | None = None,
) -> TimelineEvent:
    return TimelineEvent(
        seq, EventKind(kind), rx, on, drug, Decimal(mg), reason, replaces, anchor=f"event-{seq}"
    )


# Sertraline 50 → 100 mg, held two weeks, switched to fluoxetine; lithium alongside.
HISTORY = [
    ev(1, "started", 1, D(2025, 1, 1), "sertraline", 50, "New treatment"),
    ev(2, "dose_changed", 2, D(2025, 2, 1), "sertraline", 100, "Ineffective", replaces=1),
    ev(3, "started", 4, D(2025, 3, 1), "lithium", 900, "New treatment"),
    ev(4, "held", 2, D(2025, 6, 1), "sertraline", 100, "Other: surgery"),
    ev(5, "resumed", 2, D(2025, 6, 15), "sertraline", 100, "Other: eating again"),
    ev(6, "discontinued", 4, D(2025, 8, 1), "lithium", 900, "Side effects"),
    ev(7, "switched", 3, D(2025, 9, 1), "fluoxetine", 20, "Side effects", replaces=2),
]
TODAY = D(2025, 11, 15)


AXIS = (D(2025, 1, 1), D(2025, 12, 1))  # the month of the first event to the month after today


def x(day: dt.date) -> float:
    """Where `day` falls on the axis of HISTORY."""
    start, end = AXIS
    return round(PLOT_LEFT + (day - start).days / (end - start).days * (PLOT_RIGHT - PLOT_LEFT), 1)


def test_one_lane_per_drug_in_order_of_first_event() -> None:
    result = layout(HISTORY, today=TODAY)
    assert [(lane.drug, lane.top) for lane in result.lanes] == [
        ("sertraline", 34.0),
        ("lithium", 94.0),
        ("fluoxetine", 154.0),
    ]
    assert (result.start, result.end, result.height, result.axis_y) == (
        D(2025, 1, 1),
        D(2025, 12, 1),
        254,
        214.0,
    )


def test_bars_follow_the_derived_intervals_and_scale_to_the_lanes_largest_dose() -> None:
    sertraline, lithium, fluoxetine = layout(HISTORY, today=TODAY).lanes
    assert [
        (bar.prescription, bar.x, bar.width, bar.height, bar.label, bar.is_ongoing)
        for bar in sertraline.bars
    ] == [
        (1, x(D(2025, 1, 1)), round(x(D(2025, 2, 1)) - x(D(2025, 1, 1)), 1), 14.0, "50 mg/day", False),
        (2, x(D(2025, 2, 1)), round(x(D(2025, 6, 1)) - x(D(2025, 2, 1)), 1), 28.0, "100 mg/day", False),
        (2, x(D(2025, 6, 15)), round(x(D(2025, 9, 1)) - x(D(2025, 6, 15)), 1), 28.0, "100 mg/day", False),
    ]  # fmt: skip
    # Each lane scales on its own: lithium 900 mg and fluoxetine 20 mg are both full height.
    assert [(bar.height, bar.label) for bar in lithium.bars] == [(28.0, "900 mg/day")]
    assert [(bar.x, bar.height, bar.is_ongoing) for bar in fluoxetine.bars] == [
        (x(D(2025, 9, 1)), 28.0, True)
    ]
    assert fluoxetine.bars[0].x + fluoxetine.bars[0].width == PLOT_RIGHT  # runs to the end
    assert (sertraline.max_label, sertraline.bars[0].y) == ("100 mg/day", 34.0 + 52 - 14)


def test_renewals_at_the_same_dose_continue_the_dose_step() -> None:
    events = [
        ev(1, "started", 1, D(2025, 1, 1), "lisdexamfetamine", 30),
        ev(2, "renewed", 2, D(2025, 1, 31), "lisdexamfetamine", 30, replaces=1),
        ev(3, "renewed", 3, D(2025, 3, 2), "lisdexamfetamine", 30, replaces=2),
        ev(4, "dose_changed", 4, D(2025, 4, 1), "lisdexamfetamine", 40, replaces=3),
        ev(5, "renewed", 5, D(2025, 5, 1), "lisdexamfetamine", 40, replaces=4),
    ]
    lane = layout(events, today=D(2025, 5, 20)).lanes[0]
    assert [(bar.prescription, bar.title, bar.height) for bar in lane.bars] == [
        (1, "lisdexamfetamine 30 mg/day, 2025-01-01 to 2025-04-01", 21.0),
        (4, "lisdexamfetamine 40 mg/day, 2025-04-01 to now", 28.0),
    ]
    assert [marker.kind for marker in lane.markers] == [
        "started", "renewed", "renewed", "dose_changed", "renewed",
    ]  # fmt: skip


def test_a_hold_is_a_gap_in_the_bar_with_a_line_across_it() -> None:
    sertraline = layout(HISTORY, today=TODAY).lanes[0]
    assert [(hold.x, hold.x2, hold.y, hold.title) for hold in sertraline.holds] == [
        (
            x(D(2025, 6, 1)),
            x(D(2025, 6, 15)),
            86.0,
            "sertraline held from 2025-06-01 to 2025-06-15",
        )
    ]


def test_a_hold_still_in_force_runs_to_the_end_of_the_axis() -> None:
    events = [
        ev(1, "started", 1, D(2025, 1, 10), "lithium", 600),
        ev(2, "held", 1, D(2025, 3, 10), "lithium", 600, "Interaction"),
    ]
    lane = layout(events, today=D(2025, 4, 2)).lanes[0]
    assert [(hold.x2, hold.title) for hold in lane.holds] == [
        (PLOT_RIGHT, "lithium held from 2025-03-10 to now")
    ]
    assert [bar.is_ongoing for bar in lane.bars] == [False]


def test_every_event_has_a_marker_whose_title_tells_what_and_why() -> None:
    lanes = layout(HISTORY, today=TODAY).lanes
    assert [[(m.kind, m.x, m.y, m.anchor) for m in lane.markers] for lane in lanes] == [
        [
            ("started", x(D(2025, 1, 1)), 46.0, "event-1"),
            ("dose_changed", x(D(2025, 2, 1)), 46.0, "event-2"),
            ("held", x(D(2025, 6, 1)), 46.0, "event-4"),
            ("resumed", x(D(2025, 6, 15)), 46.0, "event-5"),
        ],
        [
            ("started", x(D(2025, 3, 1)), 106.0, "event-3"),
            ("discontinued", x(D(2025, 8, 1)), 106.0, "event-6"),
        ],
        [("switched", x(D(2025, 9, 1)), 166.0, "event-7")],
    ]
    titles = [marker.title for lane in lanes for marker in lane.markers]
    assert titles == [
        "2025-01-01 — sertraline: started, 50 mg/day. Reason: New treatment.",
        "2025-02-01 — sertraline: dose changed from 50 mg/day to 100 mg/day. Reason: Ineffective.",
        "2025-06-01 — sertraline: held (was 100 mg/day). Reason: Other: surgery.",
        "2025-06-15 — sertraline: resumed, 100 mg/day. Reason: Other: eating again.",
        "2025-03-01 — lithium: started, 900 mg/day. Reason: New treatment.",
        "2025-08-01 — lithium: discontinued (was 900 mg/day). Reason: Side effects.",
        "2025-09-01 — Switched from sertraline to fluoxetine, 20 mg/day. Reason: Side effects.",
    ]


def test_markers_of_one_drug_on_one_day_sit_side_by_side() -> None:
    events = [
        ev(1, "started", 1, D(2025, 5, 1), "quetiapine", 50),
        ev(2, "held", 1, D(2025, 5, 20), "quetiapine", 50),
        ev(3, "discontinued", 1, D(2025, 5, 20), "quetiapine", 50),
    ]
    markers = layout(events, today=D(2025, 5, 31)).lanes[0].markers
    assert [m.x - markers[1].x for m in markers[1:]] == [0, 8]


def test_the_readout_tip_stays_inside_the_picture() -> None:
    events = [
        ev(1, "started", 1, D(2025, 1, 1), "sertraline", 50, "x" * 300),
        ev(2, "discontinued", 1, D(2025, 11, 30), "sertraline", 50, "Remission"),
    ]
    first, last = layout(events, today=D(2025, 11, 30)).lanes[0].markers
    assert first.tip.text.endswith("…") and len(first.tip.text) == 140
    assert first.tip.x >= 0 and first.tip.x + first.tip.width <= WIDTH
    assert last.tip.x + last.tip.width <= WIDTH - 2
    assert (first.tip.line_top, first.tip.line_bottom) == (28.0, first.y - 6)


def test_entered_in_error_prescriptions_are_flagged_not_hidden() -> None:
    bars = layout(HISTORY, today=TODAY, entered_in_error=frozenset({4})).lanes[1].bars
    assert [(bar.is_entered_in_error, bar.title) for bar in bars] == [
        (True, "lithium 900 mg/day, 2025-03-01 to 2025-08-01 (entered in error)")
    ]


def test_long_drug_names_are_shortened_in_the_lane_label_only() -> None:
    events = [ev(1, "started", 1, D(2025, 1, 1), "dextroamphetamine-amphetamine salts", 20)]
    lane = layout(events, today=D(2025, 2, 1)).lanes[0]
    assert (lane.drug, lane.label) == (
        "dextroamphetamine-amphetamine salts",
        "dextroamphetamine-amphe…",
    )


def test_no_history_is_an_empty_layout() -> None:
    result = layout([], today=TODAY)
    assert (result.is_empty, result.lanes, result.ticks, result.start) == (True, (), (), None)


def test_short_histories_label_every_month() -> None:
    assert [tick.label for tick in ticks(D(2025, 3, 1), D(2025, 9, 1))] == [
        "Mar 2025", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
    ]  # fmt: skip
    assert ticks(D(2025, 11, 1), D(2026, 2, 1))[2] == Tick(
        x=round(PLOT_LEFT + 61 / 92 * (PLOT_RIGHT - PLOT_LEFT), 1), label="2026", is_year=True
    )


def test_ten_years_label_only_years() -> None:
    result = ticks(D(2016, 3, 1), D(2026, 4, 1))
    assert [tick.label for tick in result if tick.label] == [str(y) for y in range(2017, 2027)]
    assert {tick.is_year for tick in result if not tick.label} == {False}
    assert len(result) == 41  # quarter ticks between the years


@pytest.mark.parametrize(
    ("start", "end", "labels"),
    [
        (D(2000, 1, 1), D(2026, 1, 1), [str(y) for y in range(2000, 2027, 2)]),
        (D(1970, 1, 1), D(2026, 1, 1), [str(y) for y in range(1970, 2027, 5)]),
    ],
)
def test_decades_thin_the_year_labels(start: dt.date, end: dt.date, labels: list[str]) -> None:
    assert [tick.label for tick in ticks(start, end) if tick.label] == labels


def test_since_follows_dose_changes_and_renewals_back_to_the_start() -> None:
    events = [
        Event(1, EventKind.STARTED, 1, D(2024, 1, 1)),
        Event(2, EventKind.DOSE_CHANGED, 2, D(2024, 3, 1), replaces=1),
        Event(3, EventKind.HELD, 2, D(2024, 4, 1)),
        Event(4, EventKind.RESUMED, 2, D(2024, 4, 10)),
        Event(5, EventKind.RENEWED, 3, D(2024, 5, 1), replaces=2),
        Event(6, EventKind.SWITCHED, 4, D(2024, 7, 1), replaces=3),
        Event(7, EventKind.RENEWED, 5, D(2024, 8, 1), replaces=4),
    ]
    assert [since(events, rx) for rx in (1, 2, 3, 4, 5, 99)] == [
        D(2024, 1, 1),
        D(2024, 1, 1),
        D(2024, 1, 1),  # a hold does not restart the course
        D(2024, 7, 1),  # a switch starts a new drug's course
        D(2024, 7, 1),
        None,
    ]


@pytest.mark.parametrize(
    ("start", "days_supply", "due"),
    [
        (D(2025, 1, 31), 30, D(2025, 3, 2)),
        (D(2024, 2, 1), 29, D(2024, 3, 1)),  # leap year
        (D(2025, 1, 1), None, None),  # outside medication: no supply known
        (D(2025, 1, 1), 0, None),
    ],
)
def test_next_refill_is_due_when_the_supply_runs_out(
    start: dt.date, days_supply: int | None, due: dt.date | None
) -> None:
    assert next_refill_due(start, days_supply) == due


def test_doses_are_written_without_trailing_zeros() -> None:
    assert [mg_per_day(Decimal(v)) for v in ("100.000", "0.500", "1E+3")] == [
        "100 mg/day",
        "0.5 mg/day",
        "1000 mg/day",
    ]
