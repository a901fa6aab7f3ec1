"""Where every shape of the medication timeline goes: one lane per drug, dose steps, event markers.

The chart draws the medication history as server-rendered SVG. This module turns plain event
values into coordinates (a viewBox of `WIDTH` units wide), so the template only copies numbers
and the layout is tested without a browser. The bars come from `regimen.intervals`, the same
derivation that decides the regimen of any date, so the picture cannot disagree with the table.

It also answers two questions of the current-regimen table: since when the patient has taken
a drug without a new start, and when the next refill is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from dosewise.domain.regimen import Event, EventKind, intervals

# Geometry, in viewBox units (the SVG scales to the page width).
WIDTH = 1000
PLOT_LEFT = 180  # drug names sit right-aligned before the plot
PLOT_RIGHT = WIDTH - 16
READOUT_HEIGHT = 34  # band above the lanes where a hovered or focused marker's reason shows
LANE_HEIGHT = 60
MARKER_Y = 12  # marker centre, from the lane top
BAR_BASELINE = 52  # bar bottom, from the lane top
BAR_MAX_HEIGHT = 28
BAR_MIN_HEIGHT = 3
AXIS_HEIGHT = 40
MARKER_SIZE = 12
SAME_DAY_OFFSET = 8  # markers of one drug on one day sit side by side
CHAR_WIDTH = 6.6  # average advance of the 12-unit sans-serif text (estimates label widths)
LANE_LABEL_CHARS = 24
TIP_CHARS = 140
MONTH_LABEL_MIN_GAP = 34  # below this many units between months, months lose their labels

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

KIND_WORDS = {
    EventKind.STARTED: "Started",
    EventKind.DOSE_CHANGED: "Dose changed",
    EventKind.SWITCHED: "Switched",
    EventKind.HELD: "Held",
    EventKind.RESUMED: "Resumed",
    EventKind.DISCONTINUED: "Discontinued",
    EventKind.RENEWED: "Renewed",
}

# Marker kinds of side-effect reports (beside the EventKind values).
SIDE_EFFECT = "side_effect"
SIDE_EFFECT_URGENT = "side_effect_urgent"

# Events that open a prescription with its own dose (a resume reopens the same one).
OPENS_COURSE = frozenset(
    {EventKind.STARTED, EventKind.SWITCHED, EventKind.DOSE_CHANGED, EventKind.RENEWED}
)


@dataclass(frozen=True)
class TimelineEvent:
    """One regimen event as the timeline needs it (plain values; `reason` is already words)."""

    sequence: int  # order of recording
    kind: EventKind
    prescription: int
    effective_on: dt.date
    drug: str
    daily_mg: Decimal  # daily dose of `prescription` after the event
    reason: str = ""
    replaces: int | None = None
    anchor: str = ""  # fragment id of the event's row in the event list

    def as_regimen_event(self) -> Event:
        return Event(self.sequence, self.kind, self.prescription, self.effective_on, self.replaces)


@dataclass(frozen=True)
class SideEffectMark:
    """A side-effect report as the timeline needs it: a marker on each suspected drug's lane
    at the onset date (plain words; entered-in-error reports are not passed in)."""

    sequence: int  # order of recording
    onset_on: dt.date
    drugs: tuple[str, ...]  # the suspected drugs: one marker on each of their lanes
    symptom: str  # "nausea", or the reporter's words for Other
    severity: str  # "mild", "moderate", "severe"
    action: str  # "continue", "dose reduced", ...
    is_urgent: bool = False  # raised an urgent alert (severe, or a rash under a boxed warning)
    anchor: str = ""  # fragment id of the report's row in the side-effect list

    @property
    def kind(self) -> str:
        """CSS class and symbol id: urgent reports are drawn apart (shape and colour)."""
        return SIDE_EFFECT_URGENT if self.is_urgent else SIDE_EFFECT

    @property
    def title(self) -> str:
        suspects = ", ".join(self.drugs)
        urgent = " Urgent alert raised." if self.is_urgent else ""
        return (
            f"{self.onset_on.isoformat()} — Side effect ({self.severity}): {self.symptom}; "
            f"suspected {suspects}. Action: {self.action}.{urgent}"
        )


@dataclass(frozen=True)
class Tick:
    x: float
    label: str  # empty: a tick without a label
    is_year: bool


@dataclass(frozen=True)
class Bar:
    """A prescription's dose over one active interval; its height is the share of the lane's
    largest daily dose."""

    prescription: int
    x: float
    y: float
    width: float
    height: float
    label: str  # "100 mg/day"
    show_label: bool  # the label fits inside the bar's width
    label_x: float
    label_y: float
    title: str
    is_ongoing: bool
    is_entered_in_error: bool
    is_planned: bool = False  # a plan step ahead of today, not yet confirmed


@dataclass(frozen=True)
class Hold:
    """A period a prescription was held, drawn as a dashed line on the baseline."""

    x: float
    y: float
    width: float
    title: str

    @property
    def x2(self) -> float:
        return _round(self.x + self.width)


@dataclass(frozen=True)
class Tip:
    """The short text shown in the readout band while its marker is hovered or focused."""

    text: str
    x: float
    y: float
    width: float
    text_x: float
    text_y: float
    line_top: float  # a guide line from the band down to the marker
    line_bottom: float


@dataclass(frozen=True)
class Marker:
    kind: str  # EventKind value: CSS class and symbol id
    x: float
    y: float
    size: float
    title: str  # the whole story: date, drug, kind, dose, reason
    anchor: str
    tip: Tip

    @property
    def left(self) -> float:
        return self.x - self.size / 2

    @property
    def top(self) -> float:
        return self.y - self.size / 2


@dataclass(frozen=True)
class Lane:
    drug: str
    label: str  # the drug name, shortened to fit
    top: float
    label_x: float
    label_y: float
    height: float
    baseline: float
    max_daily_mg: Decimal
    max_label: str  # "900 mg/day": the dose a full-height bar stands for
    bars: tuple[Bar, ...]
    holds: tuple[Hold, ...]
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    start: dt.date | None
    end: dt.date | None
    plot_left: float
    plot_right: float
    plot_top: float
    axis_y: float
    lanes: tuple[Lane, ...]
    ticks: tuple[Tick, ...]

    @property
    def is_empty(self) -> bool:
        return not self.lanes

    @property
    def has_side_effects(self) -> bool:
        kinds = {SIDE_EFFECT, SIDE_EFFECT_URGENT}
        return any(marker.kind in kinds for lane in self.lanes for marker in lane.markers)

    @property
    def tick_bottom(self) -> float:
        return self.axis_y + 6

    @property
    def tick_label_y(self) -> float:
        return self.axis_y + 20


def mg(value: Decimal) -> str:
    """'100 mg', '0.5 mg': no trailing zeros, no exponent."""
    return f"{value.normalize():f} mg"


def mg_per_day(value: Decimal) -> str:
    """'100 mg/day', '0.5 mg/day'."""
    return f"{mg(value)}/day"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _round(value: float) -> float:
    return round(value, 1)


class _Scale:
    def __init__(self, start: dt.date, end: dt.date):
        self.start = start
        self.days = max((end - start).days, 1)

    def x(self, day: dt.date) -> float:
        share = (day - self.start).days / self.days
        return _round(PLOT_LEFT + min(max(share, 0.0), 1.0) * (PLOT_RIGHT - PLOT_LEFT))


def ticks(start: dt.date, end: dt.date) -> list[Tick]:
    """A tick at every month start from `start` to `end`; years always labelled, months only
    when there is room (a 10-year history shows years, a 6-month one every month)."""
    scale = _Scale(start, end)
    month_gap = (PLOT_RIGHT - PLOT_LEFT) * 30.44 / scale.days
    label_months = month_gap >= MONTH_LABEL_MIN_GAP
    year_gap = month_gap * 12
    year_every = next(step for step in (1, 2, 5, 10, 20, 50) if year_gap * step >= 40)
    # Without room for every month, draw quarter ticks (or only years) to keep the axis calm.
    month_step = 1 if month_gap >= 8 else 3 if month_gap * 3 >= 8 else 12
    result = []
    day = _month_start(start)
    first = True
    while day <= end:
        if day.month == 1:
            label = str(day.year) if day.year % year_every == 0 or label_months else ""
            result.append(Tick(scale.x(day), label, is_year=True))
        elif (day.month - 1) % month_step == 0:
            label = ""
            if label_months:
                label = f"{MONTHS[day.month - 1]} {day.year}" if first else MONTHS[day.month - 1]
            result.append(Tick(scale.x(day), label, is_year=False))
        first = False
        day = _next_month(day)
    return result


def _event_title(event: TimelineEvent, previous: TimelineEvent | None) -> str:
    words = KIND_WORDS[event.kind]
    dose = mg_per_day(event.daily_mg)
    if event.kind is EventKind.SWITCHED and previous is not None:
        what = f"Switched from {previous.drug} to {event.drug}, {dose}"
    elif event.kind is EventKind.DOSE_CHANGED and previous is not None:
        what = f"{event.drug}: dose changed from {mg_per_day(previous.daily_mg)} to {dose}"
    elif event.kind in (EventKind.HELD, EventKind.DISCONTINUED):
        what = f"{event.drug}: {words.lower()} (was {dose})"
    else:
        what = f"{event.drug}: {words.lower()}, {dose}"
    reason = f". Reason: {event.reason.rstrip('.')}" if event.reason else ""
    return f"{event.effective_on.isoformat()} — {what}{reason}."


def _holds(events: list[TimelineEvent], until: dt.date) -> list[tuple[TimelineEvent, dt.date]]:
    """(held event, end of the hold) for every hold: the next event that concerns the held
    prescription (resumed, discontinued, replaced), or `until` while it is still held."""
    result = []
    for index, event in enumerate(events):
        if event.kind is not EventKind.HELD:
            continue
        ends = (
            later.effective_on
            for later in events[index + 1 :]
            if event.prescription in (later.prescription, later.replaces)
        )
        result.append((event, next(ends, until)))
    return result


@dataclass(frozen=True)
class _Step:
    prescription: int  # the first prescription of the step
    drug: str
    mg: Decimal
    start: dt.date
    end: dt.date | None
    is_entered_in_error: bool
    is_planned: bool = False


def _continues(previous: _Step, step: _Step) -> bool:
    same = (previous.mg, previous.is_entered_in_error, previous.is_planned)
    return previous.end == step.start and same == (
        step.mg,
        step.is_entered_in_error,
        step.is_planned,
    )


def _steps(
    ordered: list[TimelineEvent],
    drug_of: dict[int, str],
    dose_of: dict[int, Decimal],
    entered_in_error: frozenset[int],
    planned: frozenset[int] = frozenset(),
) -> list[_Step]:
    """The active intervals as dose steps: a renewal at the same dose continues the step
    instead of starting a new bar (monthly renewals would otherwise slice the lane)."""
    steps: list[_Step] = []
    last_of_drug: dict[str, int] = {}
    for interval in intervals(event.as_regimen_event() for event in ordered):
        step = _Step(
            prescription=interval.prescription,
            drug=drug_of[interval.prescription],
            mg=dose_of[interval.prescription],
            start=interval.start,
            end=interval.end,
            is_entered_in_error=interval.prescription in entered_in_error,
            is_planned=interval.prescription in planned,
        )
        index = last_of_drug.get(step.drug)
        if index is not None and _continues(steps[index], step):
            steps[index] = replace(steps[index], end=step.end)
            continue
        last_of_drug[step.drug] = len(steps)
        steps.append(step)
    return steps


def layout(
    events: Iterable[TimelineEvent],
    *,
    today: dt.date,
    entered_in_error: frozenset[int] = frozenset(),
    planned: frozenset[int] = frozenset(),
    side_effects: Iterable[SideEffectMark] = (),
) -> Layout:
    """Place every lane, bar, hold and marker of a patient's medication history.

    Lanes are ordered by the drug's first event; each lane scales its bars to its own largest
    daily dose (lithium 900 mg and aripiprazole 5 mg share a chart). The time axis runs from
    the month of the first event to the month after `today` (or the last event, if later).
    `planned` names the (synthetic) prescriptions of plan steps not yet confirmed: their bars
    are drawn apart from the recorded history. `side_effects` add a marker on each suspected
    drug's lane at the onset date, beside that day's event markers.
    """
    ordered = sorted(events, key=lambda e: (e.effective_on, e.sequence))
    if not ordered:
        return Layout(
            width=WIDTH,
            height=READOUT_HEIGHT + AXIS_HEIGHT,
            start=None,
            end=None,
            plot_left=PLOT_LEFT,
            plot_right=PLOT_RIGHT,
            plot_top=READOUT_HEIGHT,
            axis_y=READOUT_HEIGHT,
            lanes=(),
            ticks=(),
        )
    start = _month_start(ordered[0].effective_on)
    end = _next_month(max(today, ordered[-1].effective_on))
    scale = _Scale(start, end)

    dose_of: dict[int, Decimal] = {}
    drug_of: dict[int, str] = {}
    for event in ordered:
        drug_of.setdefault(event.prescription, event.drug)
        dose_of.setdefault(event.prescription, event.daily_mg)
    first_event_of: dict[int, TimelineEvent] = {}
    for event in ordered:
        first_event_of.setdefault(event.prescription, event)
    drugs = list(dict.fromkeys(event.drug for event in ordered))
    lane_top = {drug: READOUT_HEIGHT + index * LANE_HEIGHT for index, drug in enumerate(drugs)}
    lane_max = {drug: Decimal(0) for drug in drugs}
    for prescription, mg in dose_of.items():
        lane_max[drug_of[prescription]] = max(lane_max[drug_of[prescription]], mg)

    bars: dict[str, list[Bar]] = {drug: [] for drug in drugs}
    for step in _steps(ordered, drug_of, dose_of, entered_in_error, planned):
        top = lane_top[step.drug]
        maximum = lane_max[step.drug]
        height = float(BAR_MAX_HEIGHT) * float(step.mg / maximum) if maximum else 0.0
        height = _round(max(height, BAR_MIN_HEIGHT))
        x0 = scale.x(step.start)
        width = _round(max(scale.x(step.end or end) - x0, 1.0))
        label = mg_per_day(step.mg)
        until = step.end.isoformat() if step.end else "now"
        title = (
            f"{step.drug} {label}, {step.start.isoformat()} to {until}"
            + (" (entered in error)" if step.is_entered_in_error else "")
            + (" (planned)" if step.is_planned else "")
        )
        bars[step.drug].append(
            Bar(
                prescription=step.prescription,
                x=x0,
                y=_round(top + BAR_BASELINE - height),
                width=width,
                height=height,
                label=label,
                show_label=width >= len(label) * CHAR_WIDTH + 8,
                label_x=_round(x0 + 4),
                # Inside a tall bar; just above a short one.
                label_y=_round(
                    top + BAR_BASELINE - 4 if height >= 16 else top + BAR_BASELINE - height - 3
                ),
                title=title,
                is_ongoing=step.end is None,
                is_entered_in_error=step.is_entered_in_error,
                is_planned=step.is_planned,
            )
        )

    holds: dict[str, list[Hold]] = {drug: [] for drug in drugs}
    for event, until_day in _holds(ordered, end):
        top = lane_top[event.drug]
        x0 = scale.x(event.effective_on)
        held_until = "now" if until_day == end else until_day.isoformat()
        holds[event.drug].append(
            Hold(
                x=x0,
                y=float(top + BAR_BASELINE),
                width=_round(max(scale.x(until_day) - x0, 1.0)),
                title=f"{event.drug} held from {event.effective_on.isoformat()} to {held_until}",
            )
        )

    markers: dict[str, list[Marker]] = {drug: [] for drug in drugs}
    same_day: dict[tuple[str, dt.date], int] = {}
    for event in ordered:
        previous = first_event_of.get(event.replaces) if event.replaces is not None else None
        title = _event_title(event, previous)
        key = (event.drug, event.effective_on)
        index = same_day.get(key, 0)
        same_day[key] = index + 1
        x = min(scale.x(event.effective_on) + index * SAME_DAY_OFFSET, float(PLOT_RIGHT))
        y = float(lane_top[event.drug] + MARKER_Y)
        markers[event.drug].append(
            Marker(
                kind=event.kind.value,
                x=x,
                y=y,
                size=MARKER_SIZE,
                title=title,
                anchor=event.anchor,
                tip=_tip(title, x, y),
            )
        )

    for mark in sorted(side_effects, key=lambda m: (m.onset_on, m.sequence)):
        title = mark.title
        for drug in dict.fromkeys(mark.drugs):
            if drug not in lane_top:
                continue  # a drug without recorded events has no lane to mark
            key = (drug, mark.onset_on)
            index = same_day.get(key, 0)
            same_day[key] = index + 1
            x = min(scale.x(mark.onset_on) + index * SAME_DAY_OFFSET, float(PLOT_RIGHT))
            y = float(lane_top[drug] + MARKER_Y)
            markers[drug].append(
                Marker(
                    kind=mark.kind,
                    x=x,
                    y=y,
                    size=MARKER_SIZE,
                    title=title,
                    anchor=mark.anchor,
                    tip=_tip(title, x, y),
                )
            )

    lanes = tuple(
        Lane(
            drug=drug,
            label=_shorten(drug, LANE_LABEL_CHARS),
            top=float(lane_top[drug]),
            label_x=float(PLOT_LEFT - 8),
            label_y=float(lane_top[drug] + LANE_HEIGHT / 2 + 4),
            height=float(LANE_HEIGHT),
            baseline=float(lane_top[drug] + BAR_BASELINE),
            max_daily_mg=lane_max[drug],
            max_label=mg_per_day(lane_max[drug]),
            bars=tuple(bars[drug]),
            holds=tuple(holds[drug]),
            markers=tuple(markers[drug]),
        )
        for drug in drugs
    )
    axis_y = float(READOUT_HEIGHT + len(drugs) * LANE_HEIGHT)
    return Layout(
        width=WIDTH,
        height=int(axis_y + AXIS_HEIGHT),
        start=start,
        end=end,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        plot_top=float(READOUT_HEIGHT),
        axis_y=axis_y,
        lanes=lanes,
        ticks=tuple(ticks(start, end)),
    )


def _tip(title: str, x: float, y: float) -> Tip:
    text = _shorten(title, TIP_CHARS)
    width = _round(min(len(text) * CHAR_WIDTH + 16, WIDTH - 4))
    left = _round(min(max(x - width / 2, 2.0), WIDTH - 2 - width))
    return Tip(
        text=text,
        x=left,
        y=4.0,
        width=width,
        text_x=_round(left + 8),
        text_y=22.0,
        line_top=float(READOUT_HEIGHT - 6),
        line_bottom=_round(y - MARKER_SIZE / 2),
    )


# --- The current-regimen table ----------------------------------------------------------------


def since(events: Iterable[Event], prescription: int) -> dt.date | None:
    """Since when the patient has taken this drug: follows dose changes and renewals back to
    the start (or the switch) that began the course. A hold does not restart the course."""
    by_prescription: dict[int, Event] = {}
    for event in sorted(events, key=lambda e: (e.effective_on, e.sequence)):
        if event.kind in OPENS_COURSE:
            by_prescription.setdefault(event.prescription, event)
    seen: set[int] = set()
    current: int | None = prescription
    found: dt.date | None = None
    while current is not None and current not in seen and current in by_prescription:
        seen.add(current)
        opening = by_prescription[current]
        found = opening.effective_on
        continues = opening.kind in (EventKind.DOSE_CHANGED, EventKind.RENEWED)
        current = opening.replaces if continues else None
    return found


def next_refill_due(start_on: dt.date, days_supply: int | None) -> dt.date | None:
    """The day the prescription's supply runs out, so the next fill is due (None: unknown,
    e.g. an outside medication without a days' supply)."""
    if days_supply is None or days_supply <= 0:
        return None
    return start_on + dt.timedelta(days=days_supply)
