"""When to send: quiet hours, retry back-off and the morning of a due date. Plain values in
and out (the clock is passed in), so the rules are tested without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

QuietHours = tuple[dt.time, dt.time]


def in_quiet_hours(moment: dt.datetime, quiet: QuietHours | None, tz: ZoneInfo) -> bool:
    """Whether `moment` falls in the daily window `quiet` (start inclusive, end exclusive),
    read on the clinic's wall clock. A window whose start is after its end wraps midnight."""
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(tz).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def end_of_quiet_hours(moment: dt.datetime, quiet: QuietHours, tz: ZoneInfo) -> dt.datetime:
    """The first moment after `moment` at which the window `quiet` ends (the next `end` on the
    clinic's wall clock). Only meaningful while `moment` is inside the window."""
    local = moment.astimezone(tz)
    end = dt.datetime.combine(local.date(), quiet[1], tzinfo=tz)
    if end <= local:
        end = dt.datetime.combine(local.date() + dt.timedelta(days=1), quiet[1], tzinfo=tz)
    return end


def retry_delay(attempts: int, *, base_seconds: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure: base, 2 x base, 4 x base, ..., capped
    at one day so a long outage is still retried daily."""
    seconds = base_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 86_400))


def morning_of(day: dt.date, *, hour: int, tz: ZoneInfo) -> dt.datetime:
    """`hour` o'clock on `day` in the clinic's time zone (an aware datetime)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
