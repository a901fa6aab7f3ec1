"""Regimen-driven lab monitoring: which labs and vital signs the patient's medications call for,
and whether each is upcoming, due, overdue or done on a given day.

Answers "which blood tests, ECGs and measurements does this regimen need, by when, and which
result satisfied the last one?" The protocols are data (`knowledge/lab_monitoring.toml`), each
requirement naming its source (`knowledge/sources/monitoring.toml`), the brief row it comes
from and its verification status: decision support for the prescriber, never a dispensing gate.

How a requirement is followed (docs/lab-monitoring.md has the worked examples):
- The protocol applies to a *course* of a drug: the first start of a continuous course, ended by
  a discontinuation; an interruption (hold or stop) shorter than the protocol's
  `restart_after_gap` continues the course (clozapine: under 30 days continue the schedule, 30
  days or more monitor as a new patient). A held drug stays monitored (clozapine ANC while
  treatment is interrupted for neutropenia). Dose changes, resumptions and a second
  prescription of the same drug are *changes* within the course; renewals are not.
- The first target of a requirement is, in order: a window after the latest change (e.g. lithium
  level 5-7 days after a dose change), else the baseline (a result from `baseline_window` before
  the start counts), else a window after the start (carbamazepine level after autoinduction),
  else the change window counted from the start.
- Then fixed points after the start (`at`, e.g. weight at 4, 8 and 12 weeks) and a repeat
  interval from the latest result (`every`, by phase of the course: clozapine weekly for 6
  months, every 2 weeks to 12 months, monthly after). A shorter interval applies when a
  `faster` condition holds (lithium level >= 0.8 mmol/L), and for clozapine the interval after a
  low ANC comes from `dosewise.domain.clozapine.anc_guidance`.
- A result satisfies the current target when it is on or after the target's window opening (for
  fixed points: halfway from the previous point) and after the result that satisfied the previous
  target; a late result satisfies the current target and moves on to the next one whose date has
  not passed (missed points are not piled up).
- Status: "done" (the latest target is satisfied and the next is not yet due: the row shows the
  result), "upcoming" (nothing due yet and no result), "due" (inside the window, or the due day
  itself), "overdue" (after the due day without a result).

Plain values in, plain values out; `today` is passed in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from dosewise.domain import regimen
from dosewise.domain.clozapine import anc_guidance
from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import Drug, QtRisk, Tag, Verification

PROTOCOLS_PATH = Path(__file__).resolve().parent / "knowledge" / "lab_monitoring.toml"

# The lab and vital-sign tests the protocols may name (the Observation catalogue, issue 6).
TEST_IDS = frozenset(
    {
        "lithium",
        "valproate",
        "carbamazepine",
        "anc",
        "wbc",
        "platelets",
        "hemoglobin",
        "creatinine",
        "egfr",
        "tsh",
        "calcium",
        "sodium",
        "potassium",
        "alt",
        "ast",
        "glucose_fasting",
        "hba1c",
        "cholesterol_total",
        "ldl",
        "hdl",
        "triglycerides",
        "qtc",
        "weight",
        "bmi",
        "waist",
        "bp_systolic",
        "bp_diastolic",
        "heart_rate",
        "hla_b1502",
    }
)

# Conditions a requirement may depend on (`when`); the row applies when any of them holds.
CONDITIONS = ("age_over_40", "qt_risk_factor")
PER = ("drug", "patient")
QT_DRUG_RISKS = frozenset({QtRisk.POSSIBLE, QtRisk.KNOWN})  # as the safety engine's I-05 rule

# Regimen events that change a course (a level is due again after each); renewals do not.
CHANGE_KINDS = frozenset(
    {
        regimen.EventKind.STARTED,
        regimen.EventKind.DOSE_CHANGED,
        regimen.EventKind.SWITCHED,
        regimen.EventKind.RESUMED,
    }
)


class Status(Enum):
    OVERDUE = "overdue"
    DUE = "due"
    UPCOMING = "upcoming"
    DONE = "done"


# Lists put what needs doing first.
STATUS_ORDER = {Status.OVERDUE: 0, Status.DUE: 1, Status.UPCOMING: 2, Status.DONE: 3}


class ProtocolError(ValueError):
    """The protocol file is inconsistent; the message names the protocol, requirement and field."""


# --- durations ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d{1,4})\s+(day|week|month|year)s?\s*$")


@dataclass(frozen=True)
class Duration:
    """A clinical interval as the sources write it: days, weeks, calendar months or years.

    Months are calendar months (3 months after 30 November is 28 or 29 February), so "every 3
    months" and "after 6 months" mean what a clinician means, not a multiple of 30 days.
    """

    amount: int
    unit: str  # "day", "week", "month", "year"

    def after(self, day: dt.date) -> dt.date:
        if self.unit == "day":
            return day + dt.timedelta(days=self.amount)
        if self.unit == "week":
            return day + dt.timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "year" else 1)
        year, month = divmod(day.month - 1 + months, 12)
        year += day.year
        last = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(day.day, last))

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def parse_duration(text: object) -> Duration:
    """ "5 days", "1 week", "3 months", "1 year"; anything else is a ValueError."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as '7 days', '2 weeks', '3 months'")
    return Duration(int(match.group(1)), match.group(2))


# --- the protocol file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A result is due from `opens` to `closes` after the start or change (inclusive)."""

    opens: Duration
    closes: Duration


@dataclass(frozen=True)
class Phase:
    """From `starts` after the course start, repeat every `every` after the latest result."""

    starts: Duration
    every: Duration


@dataclass(frozen=True)
class Faster:
    """A shorter repeat interval when a condition holds: the latest result of `test` is at
    least `at_least` or below `below` (in the test's unit), or a current drug has `tag`."""

    every: Duration
    reason: str
    source: str
    verification: Verification
    test: str = ""
    at_least: Decimal | None = None
    below: Decimal | None = None
    tag: str = ""


@dataclass(frozen=True)
class Requirement:
    """One monitored item of a protocol: which tests satisfy it (any of them), and when."""

    id: str
    label: str
    tests: tuple[str, ...]
    source: str
    citation: str
    verification: Verification
    baseline: bool = False
    ever: bool = False  # a result from any date counts for the baseline (a genotype)
    after_change: Window | None = None
    after_start: Window | None = None
    at: tuple[Duration, ...] = ()
    phases: tuple[Phase, ...] = ()
    faster: tuple[Faster, ...] = ()
    anc_guidance: bool = False
    when: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Protocol:
    """The monitoring a drug (or, per patient, a group of drugs) calls for."""

    id: str
    label: str
    per: str  # "drug": one instance per drug; "patient": one for all matching drugs
    restart_after_gap: Duration
    source: str
    citation: str
    verification: Verification
    requirements: tuple[Requirement, ...]
    drugs: frozenset[str] = frozenset()
    subclasses: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    qt_risks: frozenset[str] = frozenset()

    def matches(self, drug: Drug) -> bool:
        """Whether the knowledge-base drug belongs to this protocol."""
        return (
            drug.name in self.drugs
            or drug.subclass in self.subclasses
            or drug.drug_class in self.classes
            or any(drug.has(Tag(tag)) for tag in self.tags)
            or drug.qt_risk.value in self.qt_risks
        )


@dataclass(frozen=True)
class QtRiskFactors:
    """Clinical risk factors that make a QT-prolonging drug need a baseline ECG (brief I-05)."""

    potassium_below: Decimal
    heart_rate_below: Decimal
    diagnosis_prefixes: tuple[str, ...]
    source: str
    citation: str
    verification: Verification


@dataclass(frozen=True)
class Protocols:
    """The loaded protocol file."""

    baseline_window: Duration
    baseline_window_source: str
    qt_risk_factors: QtRiskFactors
    protocols: tuple[Protocol, ...]


def _fail(where: str, message: str) -> ProtocolError:
    return ProtocolError(f"lab_monitoring.toml: {where}: {message}")


def _only(where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")


def _text(where: str, raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f"{key} must be non-empty text")
    return value.strip()


def _texts(where: str, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(where, f"{key} must be a list of text")
    return tuple(value)


def _duration(where: str, raw: Mapping[str, Any], key: str) -> Duration:
    try:
        return parse_duration(raw.get(key))
    except ValueError as exc:
        raise _fail(where, f"{key}: {exc}") from None


def _decimal(where: str, raw: Mapping[str, Any], key: str) -> Decimal | None:
    if key not in raw:
        return None
    value = raw[key]
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _fail(where, f'{key} must be a number written as text, e.g. "0.8"')
    return number


def _verification(where: str, raw: Mapping[str, Any]) -> Verification:
    try:
        return Verification(raw.get("verification"))
    except ValueError:
        raise _fail(where, "verification must be verified, unverified or uncertain") from None


def _source(where: str, raw: Mapping[str, Any], sources: Mapping[str, Any]) -> str:
    source = _text(where, raw, "source")
    if source not in sources:
        raise _fail(where, f"source {source!r} is not defined in knowledge/sources/*.toml")
    return source


def _window(where: str, raw: Mapping[str, Any], key: str) -> Window | None:
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, dict):
        raise _fail(where, f"{key} must be a table {{ opens = ..., closes = ... }}")
    _only(f"{where}.{key}", value, {"opens", "closes"})
    window = Window(_duration(f"{where}.{key}", value, "opens"), _duration(where, value, "closes"))
    if window.closes.after(dt.date(2000, 1, 1)) < window.opens.after(dt.date(2000, 1, 1)):
        raise _fail(where, f"{key} closes before it opens")
    return window


_FASTER_KEYS = {"every", "reason", "test", "at_least", "below", "tag", "source", "verification"}


def _faster(where: str, raw: object, sources: Mapping[str, Any]) -> Faster:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _only(where, raw, _FASTER_KEYS)
    faster = Faster(
        every=_duration(where, raw, "every"),
        reason=_text(where, raw, "reason"),
        source=_source(where, raw, sources),
        verification=_verification(where, raw),
        test=_text(where, raw, "test", required=False),
        at_least=_decimal(where, raw, "at_least"),
        below=_decimal(where, raw, "below"),
        tag=_text(where, raw, "tag", required=False),
    )
    by_value = faster.at_least is not None or faster.below is not None
    if faster.tag and (faster.test or by_value):
        raise _fail(where, "give either tag, or test with at_least / below, not both")
    if faster.tag and faster.tag not in {tag.value for tag in Tag}:
        raise _fail(where, f"unknown tag {faster.tag!r}")
    if not faster.tag:
        if faster.test not in TEST_IDS:
            raise _fail(where, f"unknown test id {faster.test!r}")
        if (faster.at_least is None) == (faster.below is None):
            raise _fail(where, "a test condition needs exactly one of at_least and below")
    return faster


_REQUIREMENT_KEYS = {
    "id",
    "label",
    "tests",
    "baseline",
    "ever",
    "after_change",
    "after_start",
    "at",
    "every",
    "phase",
    "faster",
    "anc_guidance",
    "when",
    "note",
    "source",
    "citation",
    "verification",
}


def _flag(where: str, raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _fail(where, f"{key} must be true or false")
    return value


def _requirement(where: str, raw: object, sources: Mapping[str, Any]) -> Requirement:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _only(where, raw, _REQUIREMENT_KEYS)
    req_id = _text(where, raw, "id")
    where = f"{where} {req_id!r}"
    tests = _texts(where, raw, "tests")
    if not tests:
        raise _fail(where, "tests must name at least one test")
    unknown = [test for test in tests if test not in TEST_IDS]
    if unknown:
        raise _fail(
            where, f"unknown test id(s) {', '.join(unknown)}; known: {', '.join(sorted(TEST_IDS))}"
        )
    phases: list[Phase] = []
    if "every" in raw:
        phases.append(Phase(Duration(0, "day"), _duration(where, raw, "every")))
    for position, phase in enumerate(raw.get("phase", [])):
        at = f"{where} phase[{position}]"
        if not isinstance(phase, dict):
            raise _fail(at, "must be a table")
        _only(at, phase, {"from", "every"})
        phases.append(Phase(_duration(at, phase, "from"), _duration(at, phase, "every")))
    if raw.get("phase") and "every" not in raw:
        raise _fail(where, "phases need a first interval, `every`, from the course start")
    starts = [phase.starts.after(dt.date(2000, 1, 1)) for phase in phases]
    if starts != sorted(set(starts)):
        raise _fail(where, "phases must start in increasing order")
    at_points = tuple(
        _duration(f"{where} at", {"at": text}, "at") for text in _texts(where, raw, "at")
    )
    when = _texts(where, raw, "when")
    bad = [name for name in when if name not in CONDITIONS]
    if bad:
        raise _fail(where, f"unknown condition(s) {', '.join(bad)}; use {', '.join(CONDITIONS)}")
    requirement = Requirement(
        id=req_id,
        label=_text(where, raw, "label"),
        tests=tests,
        source=_source(where, raw, sources),
        citation=_text(where, raw, "citation"),
        verification=_verification(where, raw),
        baseline=_flag(where, raw, "baseline"),
        ever=_flag(where, raw, "ever"),
        after_change=_window(where, raw, "after_change"),
        after_start=_window(where, raw, "after_start"),
        at=at_points,
        phases=tuple(phases),
        faster=tuple(
            _faster(f"{where} faster[{position}]", entry, sources)
            for position, entry in enumerate(raw.get("faster", []))
        ),
        anc_guidance=_flag(where, raw, "anc_guidance"),
        when=when,
        note=_text(where, raw, "note", required=False),
    )
    if requirement.ever and not requirement.baseline:
        raise _fail(where, "ever applies to a baseline")
    if not (
        requirement.baseline
        or requirement.after_change
        or requirement.after_start
        or requirement.phases
    ):
        raise _fail(where, "give at least one of baseline, after_change, after_start, every")
    if requirement.faster and not requirement.phases:
        raise _fail(where, "faster needs an `every` interval to shorten")
    if requirement.anc_guidance and requirement.tests != ("anc",):
        raise _fail(where, "anc_guidance applies to a requirement on the ANC alone")
    return requirement


_PROTOCOL_KEYS = {
    "id",
    "label",
    "per",
    "drugs",
    "subclasses",
    "classes",
    "tags",
    "qt_risk",
    "restart_after_gap",
    "source",
    "citation",
    "verification",
    "requirement",
}


def _protocol(where: str, raw: object, knowledge: Knowledge) -> Protocol:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _only(where, raw, _PROTOCOL_KEYS)
    protocol_id = _text(where, raw, "id")
    where = f"protocol {protocol_id!r}"
    per = _text(where, raw, "per")
    if per not in PER:
        raise _fail(where, f"per must be one of {', '.join(PER)}")
    drugs = knowledge.drugs.values()
    names = _texts(where, raw, "drugs")
    for name in names:
        if name not in knowledge.drugs:
            raise _fail(where, f"unknown drug {name!r} (use the canonical knowledge-base name)")
    subclasses = _texts(where, raw, "subclasses")
    for subclass in subclasses:
        if not any(drug.subclass == subclass for drug in drugs):
            raise _fail(where, f"unknown drug subclass {subclass!r}")
    classes = _texts(where, raw, "classes")
    for drug_class in classes:
        if not any(drug.drug_class == drug_class for drug in drugs):
            raise _fail(where, f"unknown drug class {drug_class!r}")
    tags = _texts(where, raw, "tags")
    for tag in tags:
        if tag not in {known.value for known in Tag}:
            raise _fail(where, f"unknown tag {tag!r}")
    qt_risks = _texts(where, raw, "qt_risk")
    for risk in qt_risks:
        if risk not in {known.value for known in QtRisk}:
            raise _fail(where, f"unknown qt_risk {risk!r}")
    if not (names or subclasses or classes or tags or qt_risks):
        raise _fail(
            where, "name the drugs it applies to (drugs, subclasses, classes, tags, qt_risk)"
        )
    requirements = tuple(
        _requirement(f"{where} requirement[{position}]", entry, knowledge.sources)
        for position, entry in enumerate(raw.get("requirement", []))
    )
    if not requirements:
        raise _fail(where, "no requirements")
    ids = [requirement.id for requirement in requirements]
    if len(set(ids)) != len(ids):
        raise _fail(where, "duplicate requirement id")
    return Protocol(
        id=protocol_id,
        label=_text(where, raw, "label"),
        per=per,
        restart_after_gap=_duration(where, raw, "restart_after_gap"),
        source=_source(where, raw, knowledge.sources),
        citation=_text(where, raw, "citation"),
        verification=_verification(where, raw),
        requirements=requirements,
        drugs=frozenset(names),
        subclasses=frozenset(subclasses),
        classes=frozenset(classes),
        tags=frozenset(tags),
        qt_risks=frozenset(qt_risks),
    )


def _qt_risk_factors(raw: object, sources: Mapping[str, Any]) -> QtRiskFactors:
    where = "qt_risk_factors"
    if not isinstance(raw, dict):
        raise _fail(where, "a [qt_risk_factors] table is required")
    _only(
        where,
        raw,
        {
            "potassium_below",
            "heart_rate_below",
            "diagnosis_prefixes",
            "source",
            "citation",
            "verification",
        },
    )
    potassium = _decimal(where, raw, "potassium_below")
    heart_rate = _decimal(where, raw, "heart_rate_below")
    if potassium is None or heart_rate is None:
        raise _fail(where, "potassium_below and heart_rate_below are required")
    return QtRiskFactors(
        potassium_below=potassium,
        heart_rate_below=heart_rate,
        diagnosis_prefixes=tuple(
            code.upper().replace(".", "") for code in _texts(where, raw, "diagnosis_prefixes")
        ),
        source=_source(where, raw, sources),
        citation=_text(where, raw, "citation"),
        verification=_verification(where, raw),
    )


def parse_protocols(text: str, *, knowledge: Knowledge) -> Protocols:
    """Validate the protocol file's text against the drug knowledge base and its sources;
    raise ProtocolError naming the first problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"lab_monitoring.toml: not valid TOML: {exc}") from None
    _only(
        "top level",
        raw,
        {"baseline_window", "baseline_window_source", "qt_risk_factors", "protocol"},
    )
    window = _duration("top level", raw, "baseline_window")
    window_source = _text("top level", raw, "baseline_window_source")
    if window_source not in knowledge.sources:
        raise _fail("top level", f"source {window_source!r} is not defined")
    protocols = tuple(
        _protocol(f"protocol[{position}]", entry, knowledge)
        for position, entry in enumerate(raw.get("protocol", []))
    )
    if not protocols:
        raise ProtocolError("lab_monitoring.toml: no protocols")
    ids = [protocol.id for protocol in protocols]
    if len(set(ids)) != len(ids):
        raise ProtocolError("lab_monitoring.toml: duplicate protocol id")
    return Protocols(
        baseline_window=window,
        baseline_window_source=window_source,
        qt_risk_factors=_qt_risk_factors(raw.get("qt_risk_factors"), knowledge.sources),
        protocols=protocols,
    )


@functools.cache
def default_protocols() -> Protocols:
    """The shipped protocols, validated against the shipped knowledge base, loaded once."""
    from dosewise.domain.knowledge.loader import default_knowledge

    return parse_protocols(
        PROTOCOLS_PATH.read_text(encoding="utf-8"), knowledge=default_knowledge()
    )


def monitored_drugs(protocols: Protocols, knowledge: Knowledge) -> frozenset[str]:
    """Canonical names of every drug some protocol applies to (to find patients to read)."""
    return frozenset(
        drug.name
        for drug in knowledge.drugs.values()
        if any(protocol.matches(drug) for protocol in protocols.protocols)
    )


# --- courses of treatment ---------------------------------------------------------------------


@dataclass(frozen=True)
class Course:
    """A continuous course of one drug as the protocols see it.

    `start` is the first start of the course; `changes` the later dose changes, resumptions and
    added prescriptions up to today; `held_since` the day it was put on hold when it is held
    now; `planned` a course that starts after today.
    """

    drug: str
    start: dt.date
    changes: tuple[dt.date, ...] = ()
    held_since: dt.date | None = None
    planned: bool = False

    @property
    def latest_change(self) -> dt.date | None:
        return max(self.changes) if self.changes else None


def drug_courses(
    events: Iterable[regimen.Event],
    drug_of: Mapping[int, str],
    *,
    today: dt.date,
    gap: Duration,
) -> dict[str, Course]:
    """The current (or planned) course of each drug in the medication history on `today`.

    An interruption (hold, or stop and restart) shorter than `gap` continues the course and its
    restart is a change; one of `gap` or more starts a new course. A drug on hold today keeps its
    course current (`held_since`). Events after today are ignored, except a first start after
    today, which makes a planned course (its baseline may be due already).
    """
    ordered = sorted(events, key=lambda event: (event.effective_on, event.sequence))
    past = [event for event in ordered if event.effective_on <= today]
    last: dict[int, tuple[regimen.EventKind, dt.date]] = {}
    for event in past:
        if event.replaces is not None:  # a dose change or switch ends the one it replaces
            last[event.replaces] = (regimen.EventKind.DISCONTINUED, event.effective_on)
        last[event.prescription] = (event.kind, event.effective_on)
    taking: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for interval in regimen.intervals(past):
        drug = drug_of.get(interval.prescription)
        if drug is not None:
            taking.setdefault(drug, []).append((interval.start, interval.end))
    held: dict[str, dt.date] = {}
    for prescription, (kind, on) in last.items():
        drug = drug_of.get(prescription)
        if drug is not None and kind is regimen.EventKind.HELD:
            held[drug] = max(on, held.get(drug, on))
    changes: dict[str, list[dt.date]] = {}
    for event in past:
        drug = drug_of.get(event.prescription)
        if drug is not None and event.kind in CHANGE_KINDS:
            changes.setdefault(drug, []).append(event.effective_on)
    courses: dict[str, Course] = {}
    for drug in sorted(set(taking) | set(held)):
        spans = list(taking.get(drug, []))
        if drug in held:
            spans.append((held[drug], None))  # the course runs on through the hold
        spans.sort(key=lambda span: span[0])
        start, end = spans[0]
        for span_start, span_end in spans[1:]:
            if end is not None and gap.after(end) <= span_start:
                start = span_start  # interrupted for `gap` or more: a new course
            end = None if end is None or span_end is None else max(end, span_end)
        if end is not None:
            continue  # stopped: no current course
        taking_now = any(span_end is None for _, span_end in taking.get(drug, []))
        courses[drug] = Course(
            drug=drug,
            start=start,
            changes=tuple(sorted({day for day in changes.get(drug, []) if start < day})),
            held_since=None if taking_now else held.get(drug),
        )
    for event in ordered:
        drug = drug_of.get(event.prescription)
        if (
            drug is not None
            and drug not in courses
            and event.effective_on > today
            and event.kind is regimen.EventKind.STARTED
        ):
            courses[drug] = Course(drug=drug, start=event.effective_on, planned=True)
    return courses


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """A lab result or measurement in the unit its test is stored in, or the answer of a
    qualitative result (`value` None, e.g. an HLA-B*15:02 genotype)."""

    test: str
    on: dt.date
    value: Decimal | None
    unit: str
    code: str = ""


@dataclass(frozen=True)
class PatientContext:
    """What the conditions read about the patient: age (None when unknown), benign ethnic
    neutropenia (the clozapine ANC thresholds), active ICD-10-CM codes."""

    age: int | None = None
    benign_ethnic_neutropenia: bool = False
    diagnosis_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementStatus:
    """One requirement of the regimen on `today`, with the result that satisfied it.

    `due_from` is when its window opens (the due day itself for a repeat); `due_on` the day it
    is overdue after (for a done row: when the next one is due; None when nothing more is due in
    this course).
    """

    protocol: str
    protocol_label: str
    drugs: tuple[str, ...]
    requirement: str
    label: str
    tests: tuple[str, ...]
    status: Status
    due_from: dt.date | None
    due_on: dt.date | None
    satisfied_by: Result | None
    reason: str
    condition: str
    note: str
    source: str
    citation: str
    verification: Verification
    held_since: dt.date | None = None

    def overdue_days(self, today: dt.date) -> int:
        if self.status is not Status.OVERDUE or self.due_on is None:
            return 0
        return (today - self.due_on).days


@dataclass(frozen=True)
class _Target:
    opens: dt.date  # a result on or after this day may satisfy it
    due: dt.date  # overdue after this day
    windowed: bool  # "due" from `opens` (a window) rather than on `due` only
    reason: str
    fixed_index: int = -1  # which `at` point it is (-1: not a fixed point)


@dataclass(frozen=True)
class _Instance:
    """A protocol applied to one course (per drug) or to the patient's matching courses."""

    protocol: Protocol
    drugs: tuple[str, ...]
    start: dt.date
    latest_change: dt.date | None
    held_since: dt.date | None


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _describe(result: Result) -> str:
    shown = result.code if result.value is None else f"{_number(result.value)} {result.unit}"
    return f"{shown} on {_iso(result.on)}"


def _span(window: Window) -> str:
    if window.opens.unit == window.closes.unit:
        return f"{window.opens.amount}-{window.closes}"
    return f"{window.opens} to {window.closes}"


def _days_before(day: dt.date, duration: Duration) -> dt.date:
    """`duration` before `day` (durations count forward, so step back by the days they span)."""
    return day - (duration.after(day) - day)


class _Evaluation:
    """Evaluates the requirements of one patient on one day."""

    def __init__(
        self,
        protocols: Protocols,
        knowledge: Knowledge,
        *,
        events: Sequence[regimen.Event],
        drug_of: Mapping[int, str],
        results: Sequence[Result],
        patient: PatientContext,
        today: dt.date,
    ) -> None:
        self.protocols = protocols
        self.knowledge = knowledge
        self.events = events
        self.drug_of = drug_of
        self.patient = patient
        self.today = today
        self._courses: dict[Duration, dict[str, Course]] = {}
        self.by_test: dict[str, list[Result]] = {}
        for result in sorted(results, key=lambda item: item.on):
            if result.on <= today:
                self.by_test.setdefault(result.test, []).append(result)
        any_gap = protocols.protocols[0].restart_after_gap
        # The drugs taken now (or on hold): which course they are in does not matter here.
        self.current = sorted(
            name
            for name, course in self.courses(any_gap).items()
            if name in knowledge.drugs and not course.planned
        )

    def courses(self, gap: Duration) -> dict[str, Course]:
        if gap not in self._courses:
            self._courses[gap] = drug_courses(self.events, self.drug_of, today=self.today, gap=gap)
        return self._courses[gap]

    # -- conditions ----------------------------------------------------------------------------

    def latest(self, test: str, *, on: dt.date | None = None) -> Result | None:
        found = [r for r in self.by_test.get(test, []) if on is None or r.on <= on]
        return found[-1] if found else None

    def qt_risk_factor(self) -> str:
        """Why the patient has a QT risk factor (brief I-05), or "" when none is recorded."""
        factors = self.protocols.qt_risk_factors
        qt_drugs = [
            name for name in self.current if self.knowledge.drugs[name].qt_risk in QT_DRUG_RISKS
        ]
        if len(qt_drugs) >= 2:
            return f"{len(qt_drugs)} QT-prolonging drugs together ({', '.join(qt_drugs)})"
        potassium = self.latest("potassium")
        if potassium and potassium.value is not None and potassium.value < factors.potassium_below:
            return f"potassium {_describe(potassium)} (below {_number(factors.potassium_below)})"
        heart_rate = self.latest("heart_rate")
        if (
            heart_rate
            and heart_rate.value is not None
            and heart_rate.value < factors.heart_rate_below
        ):
            return f"heart rate {_describe(heart_rate)} (below {_number(factors.heart_rate_below)})"
        for code in sorted(self.patient.diagnosis_codes):
            if code.upper().replace(".", "").startswith(factors.diagnosis_prefixes):
                return f"diagnosis {code}"
        return ""

    def condition(self, requirement: Requirement) -> str | None:
        """None when the requirement does not apply; else why it applies ("" = always)."""
        if not requirement.when:
            return ""
        reasons = []
        for name in requirement.when:
            if name == "age_over_40":
                if self.patient.age is None:
                    reasons.append("age not recorded (applies over 40)")
                elif self.patient.age > 40:
                    reasons.append(f"aged {self.patient.age} (over 40)")
            elif name == "qt_risk_factor":
                why = self.qt_risk_factor()
                if why:
                    reasons.append(f"QT risk factor: {why}")
        return "; ".join(reasons) if reasons else None

    # -- instances -----------------------------------------------------------------------------

    def instances(self) -> list[_Instance]:
        found: list[_Instance] = []
        for protocol in self.protocols.protocols:
            matching = sorted(
                (
                    course
                    for name, course in self.courses(protocol.restart_after_gap).items()
                    if name in self.knowledge.drugs and protocol.matches(self.knowledge.drugs[name])
                ),
                key=lambda course: course.drug,
            )
            if not matching:
                continue
            if protocol.per == "drug":
                found.extend(
                    _Instance(
                        protocol,
                        (course.drug,),
                        course.start,
                        course.latest_change,
                        course.held_since,
                    )
                    for course in matching
                )
                continue
            # One instance for the patient, counted from the newest drug's start (a new
            # antipsychotic restarts the metabolic schedule), with the changes after it.
            start = max(course.start for course in matching)
            changes = [day for course in matching for day in course.changes if day > start]
            holds = [course.held_since for course in matching if course.held_since is not None]
            found.append(
                _Instance(
                    protocol,
                    tuple(course.drug for course in matching),
                    start,
                    max(changes) if changes else None,
                    max(holds) if len(holds) == len(matching) else None,
                )
            )
        return found

    # -- targets -------------------------------------------------------------------------------

    def first_target(self, requirement: Requirement, instance: _Instance) -> _Target:
        start, change = instance.start, instance.latest_change
        if requirement.after_change is not None and change is not None:
            window = requirement.after_change
            reason = (
                f"{_span(window)} after the change on {_iso(change)}"
                if window.opens != window.closes
                else f"at the change on {_iso(change)}"
            )
            return _Target(window.opens.after(change), window.closes.after(change), True, reason)
        if requirement.baseline:
            if requirement.ever:
                return _Target(
                    dt.date.min, start, True, f"before the start on {_iso(start)} (once)"
                )
            lookback = self.protocols.baseline_window
            return _Target(
                _days_before(start, lookback),
                start,
                True,
                f"baseline: up to {lookback} before the start on {_iso(start)}",
            )
        window_after_start = requirement.after_start or requirement.after_change
        if window_after_start is not None:
            return _Target(
                window_after_start.opens.after(start),
                window_after_start.closes.after(start),
                True,
                f"{_span(window_after_start)} after the start on {_iso(start)}",
            )
        # Repeat only: the first is due one interval after the start.
        phase = requirement.phases[0]
        return _Target(
            start, phase.every.after(start), False, f"every {phase.every} from the start"
        )

    def next_target(
        self, requirement: Requirement, instance: _Instance, previous: _Target, result: Result
    ) -> _Target | None:
        """The target after `result` satisfied `previous`: the next fixed point whose date has
        not passed, else the repeat interval from `result`; None when nothing follows."""
        start = instance.start
        passed = max(result.on, previous.due)
        for index in range(previous.fixed_index + 1, len(requirement.at)):
            point = requirement.at[index].after(start)
            if point > passed:
                # A result counts for the nearer point: from halfway after the previous one.
                halfway = previous.due + (point - previous.due) / 2
                return _Target(
                    opens=max(result.on + dt.timedelta(days=1), halfway),
                    due=point,
                    windowed=False,
                    reason=f"at {requirement.at[index]} after the start on {_iso(start)}",
                    fixed_index=index,
                )
        if not requirement.phases:
            return None
        return self.repeat_target(requirement, instance, result)

    def repeat_target(
        self, requirement: Requirement, instance: _Instance, result: Result
    ) -> _Target:
        schedule_start = instance.start
        restarted = self.severe_restart(instance, result) if requirement.anc_guidance else None
        if restarted is not None:
            schedule_start = max(schedule_start, restarted)
        phase = requirement.phases[0]
        for candidate in requirement.phases:
            if candidate.starts.after(schedule_start) <= result.on:
                phase = candidate
        due = phase.every.after(result.on)
        reason = f"every {phase.every}" + (
            f" from {phase.starts} after the start" if phase.starts.amount else ""
        )
        if schedule_start != instance.start:
            reason += f" (monitored as a new patient from {_iso(schedule_start)})"
        for faster in requirement.faster:
            why = self.faster_applies(faster, on=result.on)
            if why and faster.every.after(result.on) < due:
                due = faster.every.after(result.on)
                reason = f"every {faster.every}: {faster.reason} ({why})"
        if requirement.anc_guidance:
            due, reason = self.anc_interval(result, due, reason)
        return _Target(
            opens=result.on + dt.timedelta(days=1),
            due=due,
            windowed=False,
            reason=f"{reason}; last {_iso(result.on)}",
            fixed_index=len(requirement.at),
        )

    def severe_restart(self, instance: _Instance, result: Result) -> dt.date | None:
        """After severe neutropenia (ANC below 500/uL) clozapine is not rechallenged unless the
        benefit outweighs the risk, and a rechallenged patient is monitored as a new patient
        (brief §4.5, `anc_guidance`): the schedule counts again from the rechallenge (the
        latest change after the severe count), or from the severe count itself."""
        ben = self.patient.benign_ethnic_neutropenia
        severe = [
            r.on
            for r in self.by_test.get("anc", [])
            if r.on <= result.on
            and r.value is not None
            and anc_guidance(r.value, ben=ben).category.name == "SEVERE"
        ]
        if not severe:
            return None
        change = instance.latest_change
        if change is not None and severe[-1] < change <= result.on:
            return change
        return severe[-1]

    def faster_applies(self, faster: Faster, *, on: dt.date) -> str:
        """Why the shorter interval applies on `on`, or ""."""
        if faster.tag:
            drugs = [
                name for name in self.current if self.knowledge.drugs[name].has(Tag(faster.tag))
            ]
            return f"with {', '.join(drugs)}" if drugs else ""
        latest = self.latest(faster.test, on=on)
        if latest is None or latest.value is None:
            return ""
        if faster.at_least is not None and latest.value >= faster.at_least:
            return f"latest {_describe(latest)}"
        if faster.below is not None and latest.value < faster.below:
            return f"latest {_describe(latest)}"
        return ""

    def anc_interval(self, result: Result, due: dt.date, reason: str) -> tuple[dt.date, str]:
        """The label's graded ANC actions (brief §4.5), the thresholds and recheck intervals
        from `dosewise.domain.clozapine.anc_guidance`: below normal, recheck as it says (daily,
        three times weekly: a fractional interval is rounded down); back to normal after
        moderate neutropenia, weekly for 4 weeks, then the previous interval."""
        ben = self.patient.benign_ethnic_neutropenia
        if result.value is None:
            return due, reason
        guidance = anc_guidance(result.value, ben=ben)
        if guidance.category.name != "NORMAL":
            days = max(1, math.floor(Decimal(str(guidance.recheck_days))))
            recheck = result.on + dt.timedelta(days=days)
            if recheck < due:
                return recheck, (
                    f"ANC {_number(result.value)} {result.unit}, "
                    f"{guidance.category.name.lower()} neutropenia: {guidance.monitoring}"
                )
            return due, reason
        counts = [
            (r.on, r.value)
            for r in self.by_test.get("anc", [])
            if r.on <= result.on and r.value is not None
        ]
        history = [on for on, _ in counts]
        names = [anc_guidance(value, ben=ben).category.name for _, value in counts]
        low = [index for index, name in enumerate(names) if name != "NORMAL"]
        # The BEN table has no "weekly for 4 weeks" step: back to the schedule at once.
        if ben or not low or names[low[-1]] != "MODERATE" or low[-1] + 1 >= len(history):
            return due, reason
        recovered = history[low[-1] + 1]  # the first normal ANC after it
        weekly = result.on + dt.timedelta(weeks=1)
        if result.on < recovered + dt.timedelta(weeks=4) and weekly < due:
            return weekly, (
                "weekly for 4 weeks after moderate neutropenia "
                f"(normal again on {_iso(recovered)}), then the previous interval"
            )
        return due, reason

    # -- one requirement -----------------------------------------------------------------------

    def evaluate(self, requirement: Requirement, instance: _Instance) -> RequirementStatus | None:
        condition = self.condition(requirement)
        if condition is None:
            return None
        results = sorted(
            (r for test in requirement.tests for r in self.by_test.get(test, [])),
            key=lambda r: r.on,
        )
        target: _Target | None = self.first_target(requirement, instance)
        satisfied: Result | None = None
        done_reason = ""
        while target is not None:
            opens = target.opens
            after = satisfied.on if satisfied is not None else None
            found = next(
                (r for r in results if r.on >= opens and (after is None or r.on > after)),
                None,
            )
            if found is None:
                break
            satisfied = found
            done_reason = target.reason
            target = self.next_target(requirement, instance, target, found)
        if target is None:
            status = Status.DONE
        elif self.today > target.due:
            status = Status.OVERDUE
        elif self.today == target.due or (target.windowed and self.today >= target.opens):
            status = Status.DUE
        else:
            status = Status.DONE if satisfied is not None else Status.UPCOMING
        return RequirementStatus(
            protocol=instance.protocol.id,
            protocol_label=instance.protocol.label,
            drugs=instance.drugs,
            requirement=requirement.id,
            label=requirement.label,
            tests=requirement.tests,
            status=status,
            due_from=(target.opens if target.windowed else target.due) if target else None,
            due_on=target.due if target else None,
            satisfied_by=satisfied,
            reason=target.reason if target else f"{done_reason}: done",
            condition=condition,
            note=requirement.note,
            source=requirement.source,
            citation=requirement.citation,
            verification=requirement.verification,
            held_since=instance.held_since,
        )


def evaluate(
    protocols: Protocols,
    knowledge: Knowledge,
    *,
    events: Iterable[regimen.Event],
    drug_of: Mapping[int, str],
    results: Sequence[Result],
    patient: PatientContext | None = None,
    today: dt.date,
) -> list[RequirementStatus]:
    """Every requirement the patient's medication history calls for on `today` (`events` with
    each prescription's canonical drug name in `drug_of`): overdue first, then due, upcoming and
    done, each group by due date."""
    evaluation = _Evaluation(
        protocols,
        knowledge,
        events=list(events),
        drug_of=drug_of,
        results=results,
        patient=patient or PatientContext(),
        today=today,
    )
    rows = [
        row
        for instance in evaluation.instances()
        for requirement in instance.protocol.requirements
        if (row := evaluation.evaluate(requirement, instance)) is not None
    ]
    return sort_rows(rows)


def sort_rows(rows: Iterable[RequirementStatus]) -> list[RequirementStatus]:
    """Overdue first, then due, upcoming and done; within each, by due date."""
    return sorted(
        rows,
        key=lambda row: (
            STATUS_ORDER[row.status],
            row.due_on or dt.date.max,
            row.protocol,
            row.requirement,
        ),
    )
