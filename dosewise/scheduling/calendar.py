"""The day and week calendar as a grid: rows of 15 minutes, columns of (day, clinicians), each
cell saying whether the clinicians are available, away or busy, and which appointments start
in it. Three queries for any range (hours, time off, appointments). Times are clinic-local.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from dosewise.accounts.models import Organization, User
from dosewise.scheduling.followups import appointments_between, day_bounds
from dosewise.scheduling.models import Appointment, Availability, TimeOff
from dosewise.scheduling.services import merged_hours

STEP_MINUTES = 15
DAY_START = dt.time(8, 0)
DAY_END = dt.time(18, 0)


@dataclass
class Cell:
    available: bool = False
    away: bool = False
    busy: bool = False
    appointments: list[Appointment] = field(default_factory=list)

    @property
    def css(self) -> str:
        if self.away:
            return "slot-away"
        if self.busy:
            return "slot-busy"
        return "slot-open" if self.available else "slot-closed"


@dataclass
class Column:
    day: dt.date
    clinicians: Sequence[User]
    label: str


@dataclass
class Grid:
    columns: list[Column]
    rows: list[tuple[dt.time, list[Cell]]]
    appointments: list[Appointment]


def _minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def build_grid(organization: Organization, columns: list[Column]) -> Grid:
    """Fill the grid of `columns` (each a day and the clinicians it shows)."""
    days = sorted({column.day for column in columns})
    users = {user.pk: user for column in columns for user in column.clinicians}
    start, _ = day_bounds(days[0])
    _, end = day_bounds(days[-1])
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = {}
    spans_by_key: dict[tuple[int, int], list[Availability]] = {}
    for span in Availability.objects.filter(clinician_id__in=users, organization=organization):
        spans_by_key.setdefault((span.clinician_id, span.weekday), []).append(span)
    for key, spans in spans_by_key.items():
        hours[key] = merged_hours(spans)
    time_off = list(
        TimeOff.objects.filter(clinician_id__in=users, starts_at__lt=end, ends_at__gt=start)
    )
    appointments = [
        item
        for item in appointments_between(organization, start, end)
        if item.clinician_id in users
    ]
    first = min(
        [_minutes(DAY_START)]
        + [_minutes(span[0]) for spans in hours.values() for span in spans]
        + [_minutes(timezone.localtime(item.starts_at).time()) for item in appointments]
    )
    last = max(
        [_minutes(DAY_END)]
        + [_minutes(span[1]) for spans in hours.values() for span in spans]
        + [
            _minutes(timezone.localtime(item.starts_at).time()) + STEP_MINUTES
            for item in appointments
        ]
    )
    first -= first % STEP_MINUTES
    zone = timezone.get_current_timezone()
    rows: list[tuple[dt.time, list[Cell]]] = []
    for minute in range(first, min(last, 24 * 60), STEP_MINUTES):
        at = dt.time(minute // 60, minute % 60)
        cells = []
        for column in columns:
            slot_start = dt.datetime.combine(column.day, at, tzinfo=zone)
            slot_end = slot_start + dt.timedelta(minutes=STEP_MINUTES)
            ids = {user.pk for user in column.clinicians}
            cell = Cell()
            for user_id in ids:
                for span_start, span_end in hours.get((user_id, column.day.weekday()), []):
                    if _minutes(span_start) <= minute and minute + STEP_MINUTES <= _minutes(
                        span_end
                    ):
                        cell.available = True
            cell.away = len(ids) == 1 and any(
                off.clinician_id in ids and off.starts_at < slot_end and off.ends_at > slot_start
                for off in time_off
            )
            for item in appointments:
                if item.clinician_id not in ids:
                    continue
                if slot_start <= item.starts_at < slot_end:
                    cell.appointments.append(item)
                if (
                    len(ids) == 1
                    and item.is_active
                    and item.starts_at < slot_end
                    and item.ends_at > slot_start
                ):
                    cell.busy = True
            cells.append(cell)
        rows.append((at, cells))
    return Grid(columns=columns, rows=rows, appointments=appointments)
