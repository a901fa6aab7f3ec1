"""Quiet hours, back-off and the morning of a due date: pure rules, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dosewise.notifications.timing import (
    end_of_quiet_hours,
    in_quiet_hours,
    morning_of,
    retry_delay,
)

NY = ZoneInfo("America/New_York")
NIGHT = (dt.time(21), dt.time(8))  # wraps midnight
LUNCH = (dt.time(12), dt.time(13, 30))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 6, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(
    ("moment", "quiet", "expected"),
    [
        (at(4, 20, 59), NIGHT, False),
        (at(4, 21, 0), NIGHT, True),  # start is inside
        (at(4, 23, 30), NIGHT, True),
        (at(5, 3, 0), NIGHT, True),
        (at(5, 7, 59), NIGHT, True),
        (at(5, 8, 0), NIGHT, False),  # end is outside
        (at(4, 12, 0), LUNCH, True),
        (at(4, 13, 30), LUNCH, False),
        (at(4, 11, 59), LUNCH, False),
        (at(4, 3, 0), None, False),  # no window: never quiet
    ],
)
def test_quiet_hours_on_the_clinic_clock(
    moment: dt.datetime, quiet: tuple[dt.time, dt.time] | None, expected: bool
) -> None:
    assert in_quiet_hours(moment, quiet, NY) is expected


def test_quiet_hours_read_the_clinic_clock_not_utc() -> None:
    # 02:00 UTC on 5 June is 22:00 in New York (EDT, UTC-4): quiet.
    moment = dt.datetime(2030, 6, 5, 2, 0, tzinfo=dt.UTC)
    assert in_quiet_hours(moment, NIGHT, NY) is True


@pytest.mark.parametrize(
    ("moment", "quiet", "expected"),
    [
        (at(4, 22, 0), NIGHT, at(5, 8, 0)),  # evening: tomorrow morning
        (at(5, 3, 0), NIGHT, at(5, 8, 0)),  # small hours: this morning
        (at(4, 12, 15), LUNCH, at(4, 13, 30)),
    ],
)
def test_end_of_quiet_hours(
    moment: dt.datetime, quiet: tuple[dt.time, dt.time], expected: dt.datetime
) -> None:
    assert end_of_quiet_hours(moment, quiet, NY) == expected


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 300), (2, 600), (3, 1200), (4, 2400), (9, 76_800), (10, 86_400), (20, 86_400)],
)
def test_retry_delay_doubles_and_is_capped_at_a_day(attempts: int, seconds: int) -> None:
    assert retry_delay(attempts, base_seconds=300) == dt.timedelta(seconds=seconds)


def test_morning_of_a_due_date_is_in_the_clinic_time_zone() -> None:
    morning = morning_of(dt.date(2030, 12, 2), hour=9, tz=NY)
    assert morning == dt.datetime(2030, 12, 2, 14, 0, tzinfo=dt.UTC)  # EST, UTC-5
