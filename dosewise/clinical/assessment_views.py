"""Measurement-based care in the clinic: administer a rating scale, read its result, see scores
and trends beside the medication lanes, resolve a suicide-risk alert, and the clinician's worklist.

Scoring and the urgent alert are `dosewise.clinical.assessments`; the status words come from
`dosewise.domain.measurement.assess`; this module parses, resolves access and lays out the SVG.
Every page reads a patient's assessments with one query, so a long record costs no more queries
than a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.clinical import assessments as services
from dosewise.clinical.models import Assessment, Encounter, SafetyAlert
from dosewise.domain import measurement, timeline
from dosewise.domain.scales import Instrument, UnknownInstrument, default_instruments
from dosewise.forms import apply_errors
from dosewise.patients.models import Patient
from dosewise.prescribing.models import RegimenEvent
from dosewise.prescribing.record_views import medication_record

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
# A PHQ-9 or GAD-7 older than this is "no recent measure" on the chart and overdue on the
# worklist (6 weeks: the longest follow-up interval of the acute phase, issue 5).
STALE_AFTER_DAYS = measurement.NO_RECENT_MEASURE_DAYS
WORKLIST_INSTRUMENTS = ("phq9", "gad7")
STATUS_WORDS = {
    measurement.MeasureStatus.NO_RECENT_MEASURE: "No recent measure",
    measurement.MeasureStatus.BASELINE_ONLY: "Baseline only",
    measurement.MeasureStatus.DETERIORATION: "Deterioration",
    measurement.MeasureStatus.REMISSION: "Remission",
    measurement.MeasureStatus.RESPONSE: "Response",
    measurement.MeasureStatus.PARTIAL_RESPONSE: "Partial response",
    measurement.MeasureStatus.NOT_IMPROVING: "Not improving",
}
FLAG_WORDS = {
    "suicide_risk": "Suicide risk screen positive",
    "acute_risk": "Acute suicide risk",
    "dsm5_criteria_met": "DSM-5 symptom criteria met",
}


# --- Administering a scale --------------------------------------------------------------------


class AdministerForm(forms.Form):
    """Who answered and how, then one radio group per scored item of the instrument."""

    answered_by = forms.ChoiceField(
        label="Answered by",
        choices=Assessment.AnsweredBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who answered: the patient or the clinician."},
    )
    mode = forms.ChoiceField(
        label="Mode",
        choices=Assessment.Mode.choices,
        error_messages={"required": "Choose how the scale was given."},
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.scored_items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=item.text or item.label.capitalize(),
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                widget=forms.RadioSelect,
                help_text=item.hint,
                error_messages={
                    "required": f"Item {item.number} ({item.label}) is not answered.",
                    "invalid_choice": f"Item {item.number} ({item.label}): choose one of the "
                    "answers shown.",
                },
            )

    def item_fields(self) -> list[tuple[Any, forms.BoundField]]:
        """(item, bound field) in item order, for the template (sections head their items)."""
        return [(item, self[f"item_{item.number}"]) for item in self.instrument.scored_items]

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{item.number}"] for item in self.instrument.scored_items]


def _instrument(instrument_id: str) -> Instrument | None:
    try:
        return default_instruments().get(instrument_id)
    except UnknownInstrument:
        return None


def _instrument_list() -> list[Instrument]:
    registry = default_instruments()
    return [registry.get(instrument_id) for instrument_id in registry.ids]


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Choose an instrument (?instrument=phq9), then enter the answers; optional ?encounter=."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    source = request.POST if request.method == "POST" else request.GET
    encounter_uuid = source.get("encounter") or request.GET.get("encounter")
    encounter = (
        get_patient_record(actor, Encounter, encounter_uuid, Need.CLINICAL_WRITE)
        if encounter_uuid
        else None
    )
    instrument_id = source.get("instrument", "")
    instrument = _instrument(instrument_id) if instrument_id else None
    context: dict[str, Any] = {"patient": patient, "encounter": encounter}
    if instrument is None:
        context["instruments"] = _instrument_list()
        context["instrument_error"] = (
            f"Instrument: unknown instrument {instrument_id!r}; choose one from the list."
            if instrument_id
            else ""
        )
        return render(
            request,
            "measurement/assessment_choose.html",
            context,
            status=400 if instrument_id else 200,
        )
    initial = {"answered_by": Assessment.AnsweredBy.PATIENT, "mode": Assessment.Mode.IN_CLINIC}
    form = AdministerForm(request.POST or None, instrument=instrument, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.record_assessment(
                actor,
                patient,
                instrument=instrument.id,
                answers=form.answers(),
                answered_by=form.cleaned_data["answered_by"],
                mode=form.cleaned_data["mode"],
                encounter=encounter,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"{assessment.instrument_name} recorded: total {assessment.total}."
            )
            return redirect("clinical:assessment-detail", assessment.uuid)
    context.update({"form": form, "instrument": instrument})
    return render(
        request,
        "measurement/assessment_form.html",
        context,
        status=400 if form.errors else 200,
    )


@dataclass(frozen=True)
class AnswerRow:
    number: int
    text: str
    answer: str
    value: int


def _answer_rows(instrument: Instrument | None, answers: Sequence[int]) -> list[AnswerRow]:
    if instrument is None:
        return []
    rows = []
    for item, value in zip(instrument.scored_items, answers, strict=False):
        label = next((o.label for o in item.options if o.value == value), str(value))
        rows.append(AnswerRow(item.number, item.text or item.label, label, value))
    return rows


def _flag_answers(instrument: Instrument | None, answers: Sequence[int], flag: str) -> list[str]:
    """The answers that raised `flag`, in words ("Item 9 ...: Several days")."""
    if instrument is None:
        return []
    rule = next((f.rule for f in instrument.scoring.flags if f.name == flag), None)
    if rule is None:
        return []
    by_number = {row.number: row for row in _answer_rows(instrument, answers)}
    result = []
    for condition in rule.conditions:
        for number in condition.items:
            row = by_number.get(number)
            if row is not None and row.value >= condition.at_least:
                result.append(f"Item {row.number} — {row.text}: {row.answer}")
    return result


@member_required(*CLINICAL_ROLES)
@require_GET
def assessment_detail(request: HttpRequest, assessment_uuid: str) -> HttpResponse:
    """One administration: total, band, screen result, flags, answers; urgent notice if any."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    assessment = get_patient_record(actor, Assessment, assessment_uuid, Need.CHART)
    instrument = _instrument(assessment.instrument)
    alerts = list(assessment.alerts.select_related("resolved_by"))
    context = {
        "assessment": assessment,
        "patient": assessment.patient,
        "instrument": instrument,
        "answers": _answer_rows(instrument, assessment.answers),
        "flags": [FLAG_WORDS.get(flag, flag) for flag in assessment.flags],
        "alerts": [
            _banner(alert, instrument, assessment.answers)
            for alert in alerts
            if alert.resolved_at is None
        ],
        "resolved_alerts": [alert for alert in alerts if alert.resolved_at is not None],
        "on_care_team": is_on_care_team(actor, assessment.patient),
    }
    return render(request, "measurement/assessment_detail.html", context)


# --- Safety alerts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertBanner:
    alert: SafetyAlert
    answers: list[str]


def _banner(
    alert: SafetyAlert, instrument: Instrument | None, answers: Sequence[int]
) -> AlertBanner:
    return AlertBanner(alert, _flag_answers(instrument, answers, alert.kind))


def open_alert_banners(patient: Patient) -> list[AlertBanner]:
    """The patient's open safety alerts with the answers that raised them (one query); an
    alert raised by a lab result or a side-effect report carries its reason instead."""
    alerts = (
        SafetyAlert.objects.open()
        .filter(patient=patient)
        .select_related("assessment")
        .order_by("-created_at")
    )
    return [
        _banner(alert, _instrument(alert.assessment.instrument), alert.assessment.answers)
        if alert.assessment is not None
        else AlertBanner(alert, [])
        for alert in alerts
    ]


@member_required(*CLINICAL_ROLES)
@require_POST
def safety_alert_resolve(request: HttpRequest, alert_uuid: str) -> HttpResponse:
    """Record the safety assessment (or, for a lab or side-effect alert, the action taken) that
    answers an urgent alert."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    alert = get_patient_record(actor, SafetyAlert, alert_uuid, Need.CLINICAL_WRITE)
    answer = "Safety assessment" if alert.assessment_id else "Action taken"
    try:
        services.resolve_alert(
            actor, alert, safety_assessment=request.POST.get("safety_assessment", "")
        )
    except ValidationError as exc:
        messages.error(request, f"{answer}: " + " ".join(exc.messages))
    else:
        messages.success(request, f"{answer} recorded; the alert is resolved.")
    return redirect(alert.patient)


# --- The chart's measurement card -------------------------------------------------------------


@dataclass(frozen=True)
class LatestScore:
    instrument_name: str
    total: int
    band: str
    administered_on: dt.date
    status: str  # "" where the instrument has no change rules (ASQ, AIMS...)
    change: str  # "-8 (-53.3 %) from 17 on 2026-01-05"


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def latest_scores(patient: Patient, *, today: dt.date) -> list[LatestScore]:
    """The latest score of each instrument with its band and status (one query)."""
    rows = list(
        Assessment.objects.filter(patient=patient)
        .in_record()
        .only("instrument", "instrument_name", "total", "band", "administered_at")
        .order_by("administered_at", "id")
    )
    by_name: dict[str, list[Assessment]] = {}
    for row in rows:
        by_name.setdefault(row.instrument_name, []).append(row)
    result = []
    for name, items in sorted(by_name.items()):
        latest = items[-1]
        status = change = ""
        if name in measurement.INSTRUMENTS:
            points = [
                measurement.ScorePoint(name, _local_date(item.administered_at), item.total)
                for item in items
            ]
            outcome = measurement.assess(points, on=today, stale_after_days=STALE_AFTER_DAYS)
            status = STATUS_WORDS[outcome.status]
            if len(points) > 1:
                percent = (
                    f" ({outcome.change_percent:+} %)" if outcome.change_percent is not None else ""
                )
                change = (
                    f"{outcome.change_points:+}{percent} from {outcome.baseline.total} on "
                    f"{outcome.baseline.on.isoformat()}"
                )
        result.append(
            LatestScore(
                instrument_name=name,
                total=latest.total,
                band=latest.band,
                administered_on=_local_date(latest.administered_at),
                status=status,
                change=change,
            )
        )
    return result


# --- Scores and trends ------------------------------------------------------------------------

CHART_HEIGHT = 200
CHART_TOP = 12
CHART_BOTTOM = 160  # the y of the lowest total
AXIS_LABEL_Y = 180


@dataclass(frozen=True)
class BandRect:
    label: str
    y: float
    height: float
    label_y: float
    css: str  # "band-0".."band-4": shade by rank, the label says the band


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class ScoreChart:
    instrument_id: str
    name: str
    title: str
    total_min: int
    total_max: int
    bands: tuple[BandRect, ...]
    points: tuple[Point, ...]
    y_ticks: tuple[tuple[float, int], ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


def _x_scale(start: dt.date, end: dt.date) -> Any:
    days = max((end - start).days, 1)

    def x(day: dt.date) -> float:
        share = min(max((day - start).days / days, 0.0), 1.0)
        return round(timeline.PLOT_LEFT + share * (timeline.PLOT_RIGHT - timeline.PLOT_LEFT), 1)

    return x


def score_chart(
    instrument: Instrument, rows: Iterable[Assessment], *, start: dt.date, end: dt.date
) -> ScoreChart:
    """One instrument's totals over time, on the date axis `start`..`end` of the lanes."""
    low, high = instrument.scoring.total_min, instrument.scoring.total_max
    span = max(high - low, 1)
    x = _x_scale(start, end)

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / span
        return round(CHART_BOTTOM - share * (CHART_BOTTOM - CHART_TOP), 1)

    bands = []
    for rank, band in enumerate(instrument.scoring.bands):
        # Integer totals: a band covers its scores and half a point either side.
        top = y(band.high + 0.5 if band.high < high else high)
        bottom = y(band.low - 0.5 if band.low > low else low)
        bands.append(
            BandRect(
                label=band.label,
                y=top,
                height=round(bottom - top, 1),
                label_y=round((top + bottom) / 2 + 4, 1),
                css=f"band-{min(rank, 4)}",
            )
        )
    points = []
    for row in rows:
        day = _local_date(row.administered_at)
        in_band = f" ({row.band})" if row.band else ""
        points.append(
            Point(
                x=x(day),
                y=y(row.total),
                title=f"{day.isoformat()}: {row.instrument_name} {row.total}{in_band}",
            )
        )
    ticks = (low, high) if instrument.scoring.bands else (low, (low + high) // 2, high)
    return ScoreChart(
        instrument_id=instrument.id,
        name=instrument.name,
        title=instrument.title,
        total_min=low,
        total_max=high,
        bands=tuple(bands),
        points=tuple(points),
        y_ticks=tuple((y(value), value) for value in ticks),
    )


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def widen(layout: timeline.Layout, start: dt.date) -> timeline.Layout:
    """The same lanes drawn on an axis that starts earlier (scores before the first
    medication event): every x maps linearly, so bars and markers keep their dates."""
    if layout.start is None or layout.end is None or start >= layout.start:
        return layout
    width = timeline.PLOT_RIGHT - timeline.PLOT_LEFT
    old_days = max((layout.end - layout.start).days, 1)
    new_days = max((layout.end - start).days, 1)
    factor = old_days / new_days
    shift = (layout.start - start).days * width / new_days

    def mx(value: float) -> float:
        return round(timeline.PLOT_LEFT + (value - timeline.PLOT_LEFT) * factor + shift, 1)

    def mw(value: float) -> float:
        return round(max(value * factor, 1.0), 1)

    lanes = []
    for lane in layout.lanes:
        bars = tuple(
            replace(
                bar,
                x=mx(bar.x),
                width=mw(bar.width),
                label_x=round(mx(bar.x) + 4, 1),
                show_label=mw(bar.width) >= len(bar.label) * timeline.CHAR_WIDTH + 8,
            )
            for bar in lane.bars
        )
        holds = tuple(replace(hold, x=mx(hold.x), width=mw(hold.width)) for hold in lane.holds)
        markers = []
        for marker in lane.markers:
            new_x = mx(marker.x)
            tip_x = round(
                min(
                    max(marker.tip.x + new_x - marker.x, 2.0), timeline.WIDTH - 2 - marker.tip.width
                ),
                1,
            )
            tip = replace(marker.tip, x=tip_x, text_x=round(tip_x + 8, 1))
            markers.append(replace(marker, x=new_x, tip=tip))
        lanes.append(replace(lane, bars=bars, holds=holds, markers=tuple(markers)))
    return replace(
        layout,
        start=start,
        lanes=tuple(lanes),
        ticks=tuple(timeline.ticks(start, layout.end)),
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def scores_and_trends(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Each instrument's totals over time (SVG with severity bands), the medication lanes on
    the same date axis below, and a table of the same data."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    rows = list(
        Assessment.objects.filter(patient=patient)
        .in_record()
        .select_related("recorded_by")
        .order_by("administered_at", "id")
    )
    history = medication_record(patient, on=today)
    last_scored = max((_local_date(row.administered_at) for row in rows), default=today)
    lanes = timeline.layout(
        history.timeline_events,
        today=max(today, last_scored),
        entered_in_error=history.entered_in_error,
    )
    first_scored = min((_local_date(row.administered_at) for row in rows), default=None)
    if lanes.start is not None and lanes.end is not None:
        start = min(lanes.start, _month_start(first_scored)) if first_scored else lanes.start
        end = lanes.end
        lanes = widen(lanes, start)
    else:
        start = _month_start(first_scored or today)
        end = _next_month(max(today, last_scored))
    by_instrument: dict[str, list[Assessment]] = {}
    for row in rows:
        by_instrument.setdefault(row.instrument, []).append(row)
    charts = []
    for instrument_id, items in by_instrument.items():
        instrument = _instrument(instrument_id)
        if instrument is not None:
            charts.append(score_chart(instrument, items, start=start, end=end))
    charts.sort(key=lambda chart: chart.name)
    context = {
        "patient": patient,
        "today": today,
        "charts": charts,
        "axis_ticks": timeline.ticks(start, end),
        "layout": lanes,
        "event_kinds": RegimenEvent.Kind.choices,
        "rows": list(reversed(rows)),  # newest first
        "on_care_team": is_on_care_team(actor, patient),
        "chart_height": CHART_HEIGHT,
        "chart_bottom": CHART_BOTTOM,
        "axis_label_y": AXIS_LABEL_Y,
        "plot_left": timeline.PLOT_LEFT,
        "plot_right": timeline.PLOT_RIGHT,
        "plot_width": timeline.PLOT_RIGHT - timeline.PLOT_LEFT,
        "chart_top": CHART_TOP,
    }
    return render(request, "measurement/scores_and_trends.html", context)
