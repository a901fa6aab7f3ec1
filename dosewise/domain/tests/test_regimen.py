import datetime as dt

from dosewise.domain.regimen import Event, EventKind, Interval, active_on, intervals, last_stopped

D = dt.date


def ev(seq: int, kind: str, rx: int, on: dt.date, replaces: int | None = None) -> Event:
    return Event(seq, EventKind(kind), rx, on, replaces)


HISTORY = [
    ev(1, "started", 1, D(2025, 1, 1)),  # sertraline 50
    ev(2, "dose_changed", 2, D(2025, 2, 1), replaces=1),  # sertraline 100
    ev(3, "held", 2, D(2025, 6, 1)),
    ev(4, "resumed", 2, D(2025, 6, 15)),
    ev(5, "switched", 3, D(2025, 9, 1), replaces=2),  # to escitalopram
    ev(6, "started", 4, D(2025, 3, 1)),  # lithium
    ev(7, "discontinued", 4, D(2025, 8, 1)),
]


def test_intervals_follow_every_event() -> None:
    assert intervals(HISTORY) == [
        Interval(1, D(2025, 1, 1), D(2025, 2, 1)),
        Interval(2, D(2025, 2, 1), D(2025, 6, 1)),
        Interval(4, D(2025, 3, 1), D(2025, 8, 1)),
        Interval(2, D(2025, 6, 15), D(2025, 9, 1)),
        Interval(3, D(2025, 9, 1), None),
    ]


def test_regimen_on_a_date_is_derived_from_events() -> None:
    assert active_on(HISTORY, D(2024, 12, 31)) == set()
    assert active_on(HISTORY, D(2025, 1, 31)) == {1}
    assert active_on(HISTORY, D(2025, 2, 1)) == {2}  # the change takes effect that day
    assert active_on(HISTORY, D(2025, 4, 1)) == {2, 4}
    assert active_on(HISTORY, D(2025, 6, 10)) == {4}  # sertraline held
    assert active_on(HISTORY, D(2025, 8, 1)) == {2}  # lithium stopped that day
    assert active_on(HISTORY, D(2026, 1, 1)) == {3}


def test_event_order_in_the_list_does_not_matter() -> None:
    assert intervals(list(reversed(HISTORY))) == intervals(HISTORY)


def test_last_stopped_dates_feed_the_washout_rules() -> None:
    assert last_stopped(HISTORY, D(2026, 1, 1)) == {
        1: D(2025, 2, 1),
        2: D(2025, 9, 1),
        4: D(2025, 8, 1),
    }
    assert last_stopped(HISTORY, D(2025, 6, 10)) == {1: D(2025, 2, 1), 2: D(2025, 6, 1)}
