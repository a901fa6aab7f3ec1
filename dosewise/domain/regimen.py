"""The medication history is a list of events; the regimen on any date is derived from them.

Each event acts on one prescription, and a dose change or switch also ends the prescription it
replaces. Nothing is overwritten, so the regimen of any past date can be recomputed exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class EventKind(Enum):
    STARTED = "started"
    DOSE_CHANGED = "dose_changed"  # a new prescription replaces the previous dose
    SWITCHED = "switched"  # a new drug replaces the previous one
    HELD = "held"
    RESUMED = "resumed"
    DISCONTINUED = "discontinued"
    RENEWED = "renewed"  # a new prescription continues the same dose


OPENS = frozenset(
    {
        EventKind.STARTED,
        EventKind.DOSE_CHANGED,
        EventKind.SWITCHED,
        EventKind.RESUMED,
        EventKind.RENEWED,
    }
)


@dataclass(frozen=True)
class Event:
    sequence: int  # order of recording; breaks ties on the same effective date
    kind: EventKind
    prescription: int
    effective_on: dt.date
    replaces: int | None = None  # the prescription a dose change or switch ends


@dataclass(frozen=True)
class Interval:
    """A prescription is active from `start` (inclusive) to `end` (exclusive; None = still)."""

    prescription: int
    start: dt.date
    end: dt.date | None

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on < self.end)


def intervals(events: Iterable[Event]) -> list[Interval]:
    """Active intervals of every prescription, in order of start."""
    open_since: dict[int, dt.date] = {}
    result: list[Interval] = []

    def close(prescription: int, on: dt.date) -> None:
        start = open_since.pop(prescription, None)
        if start is not None and on > start:
            result.append(Interval(prescription, start, on))

    for event in sorted(events, key=lambda e: (e.effective_on, e.sequence)):
        if event.replaces is not None:
            close(event.replaces, event.effective_on)
        if event.kind in OPENS:
            open_since.setdefault(event.prescription, event.effective_on)
        else:
            close(event.prescription, event.effective_on)
    result.extend(Interval(prescription, start, None) for prescription, start in open_since.items())
    return sorted(result, key=lambda interval: (interval.start, interval.prescription))


def active_on(events: Iterable[Event], on: dt.date) -> set[int]:
    """Prescriptions active on `on`."""
    return {interval.prescription for interval in intervals(events) if interval.covers(on)}


def last_stopped(events: Iterable[Event], on: dt.date) -> dict[int, dt.date]:
    """Prescriptions not active on `on`, with the date their last interval ended (for washouts)."""
    ended: dict[int, dt.date] = {}
    for interval in intervals(events):
        if interval.end is not None and interval.end <= on:
            ended[interval.prescription] = max(
                interval.end, ended.get(interval.prescription, interval.end)
            )
    active = active_on(events, on) if ended else set()
    return {prescription: day for prescription, day in ended.items() if prescription not in active}
