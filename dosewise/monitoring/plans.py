"""Reading measurement plans: what the schedule rules need to know about many patients, in a
fixed number of queries whatever their number.

A patient whose plan was never saved is measured by the defaults of their record (the same
defaults `services.ensure_default_plan` saves on the first view of the plan page), so the due
list and the panel need no write.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from dosewise.access import visible_patients
from dosewise.accounts.models import Membership
from dosewise.clinical.models import Assessment, Diagnosis
from dosewise.domain import measurement, schedules
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.scales import UnknownInstrument, default_instruments
from dosewise.monitoring.models import MeasurementPlan, MeasurementPlanItem
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing.models import Prescription, RegimenEvent

# Regimen events that change what an ADHD drug's dose is (brief §4.7: rate at each change).
DOSE_CHANGE_KINDS = (
    RegimenEvent.Kind.STARTED,
    RegimenEvent.Kind.DOSE_CHANGED,
    RegimenEvent.Kind.SWITCHED,
    RegimenEvent.Kind.RESUMED,
)


@dataclass
class PatientFacts:
    """What the schedule of one patient is computed from."""

    diagnosis_codes: list[str] = field(default_factory=list)
    medications: list[schedules.Medication] = field(default_factory=list)
    dose_changes: list[dt.date] = field(default_factory=list)
    last_scores: dict[str, dt.date] = field(default_factory=dict)
    saved_items: list[MeasurementPlanItem] | None = None  # None: plan never saved

    @property
    def plan(self) -> list[schedules.PlanItem]:
        """The saved plan, or the defaults of the record when none was saved."""
        if self.saved_items is None:
            return schedules.default_plan(self.diagnosis_codes, self.medications)
        return [plan_item(item) for item in self.saved_items]

    def schedule(self, *, on: dt.date) -> list[schedules.Due]:
        return schedules.schedule(
            self.plan, self.last_scores, on=on, dose_changes=self.dose_changes
        )

    def due(self, *, on: dt.date) -> list[schedules.Due]:
        return schedules.due_items(
            self.plan, self.last_scores, on=on, dose_changes=self.dose_changes
        )


def plan_item(item: MeasurementPlanItem) -> schedules.PlanItem:
    return schedules.PlanItem(item.instrument, item.interval_days, item.at_dose_change, item.reason)


@cache
def _drug_classes() -> dict[str, str]:
    return {name: drug.drug_class for name, drug in default_knowledge().drugs.items()}


def adhd_drugs() -> list[str]:
    return sorted(
        name for name, cls in _drug_classes().items() if cls in schedules.ADHD_DRUG_CLASSES
    )


def medications(drugs: Iterable[str]) -> list[schedules.Medication]:
    """Current medications with their knowledge-base class; a drug the knowledge base does not
    know (an outside medication typed in) has no class and so calls for no default."""
    classes = _drug_classes()
    return [schedules.Medication(drug, classes[drug]) for drug in drugs if drug in classes]


def facts_for(patient_ids: Iterable[int]) -> dict[int, PatientFacts]:
    """The schedule facts of these patients: six queries, whatever their number."""
    ids = list(patient_ids)
    facts = {pid: PatientFacts() for pid in ids}
    if not ids:
        return facts
    for pid in MeasurementPlan.objects.filter(patient_id__in=ids).values_list(
        "patient_id", flat=True
    ):
        facts[pid].saved_items = []
    for item in MeasurementPlanItem.objects.filter(plan__patient_id__in=ids).select_related("plan"):
        saved = facts[item.plan.patient_id].saved_items
        if saved is not None:
            saved.append(item)
    for pid, code in (
        Diagnosis.objects.active().filter(patient_id__in=ids).values_list("patient_id", "code")
    ):
        facts[pid].diagnosis_codes.append(code)
    current: dict[int, list[str]] = {}
    for pid, drug in Prescription.objects.filter(
        patient_id__in=ids, status=Prescription.Status.ACTIVE
    ).values_list("patient_id", "drug"):
        current.setdefault(pid, []).append(drug)
    for pid, drugs in current.items():
        facts[pid].medications = medications(sorted(set(drugs)))
    for pid, day in RegimenEvent.objects.filter(
        patient_id__in=ids, kind__in=DOSE_CHANGE_KINDS, prescription__drug__in=adhd_drugs()
    ).values_list("patient_id", "effective_on"):
        facts[pid].dose_changes.append(day)
    for row in (
        Assessment.objects.in_record()
        .filter(patient_id__in=ids)
        .values("patient_id", "instrument")
        .annotate(latest=Max("administered_at"))
        .order_by()
    ):
        facts[row["patient_id"]].last_scores[row["instrument"]] = timezone.localdate(row["latest"])
    return facts


# --- Lists: the due list and the prescriber's panel -------------------------------------------

# A PHQ-9, GAD-7 or PCL-5 older than this is "no recent measure" (the chart's rule, issue 5).
STALE_AFTER_DAYS = measurement.NO_RECENT_MEASURE_DAYS
DIAGNOSIS_PREFIX = re.compile(r"^[A-Z][0-9A-Z]{0,6}$")
SORTS = ("name", "status", "latest")
STATUS_WORDS = {
    measurement.MeasureStatus.NO_RECENT_MEASURE: "No recent measure",
    measurement.MeasureStatus.BASELINE_ONLY: "Baseline only",
    measurement.MeasureStatus.DETERIORATION: "Deterioration",
    measurement.MeasureStatus.REMISSION: "Remission",
    measurement.MeasureStatus.RESPONSE: "Response",
    measurement.MeasureStatus.PARTIAL_RESPONSE: "Partial response",
    measurement.MeasureStatus.NOT_IMPROVING: "Not improving",
}
# Sorting by status puts what needs the prescriber first.
STATUS_ORDER = {
    measurement.MeasureStatus.DETERIORATION.value: 0,
    measurement.MeasureStatus.NOT_IMPROVING.value: 1,
    measurement.MeasureStatus.NO_RECENT_MEASURE.value: 2,
    measurement.MeasureStatus.BASELINE_ONLY.value: 3,
    measurement.MeasureStatus.PARTIAL_RESPONSE.value: 4,
    measurement.MeasureStatus.RESPONSE.value: 5,
    measurement.MeasureStatus.REMISSION.value: 6,
    "": 7,  # an instrument without change rules (ASRS, AIMS, ASQ)
}


def instrument_name(instrument_id: str) -> str:
    try:
        return default_instruments().get(instrument_id).name
    except UnknownInstrument:
        return instrument_id


@dataclass(frozen=True)
class DueRow:
    patient: Patient
    instrument: str
    instrument_name: str
    last_on: dt.date | None
    due_on: dt.date
    overdue_days: int
    reason: str


def due_rows(actor: Membership, *, on: dt.date) -> list[DueRow]:
    """Every due or overdue instrument of the organization's patients, most overdue first
    (7 queries, whatever the number of patients)."""
    patients = {p.pk: p for p in visible_patients(actor).order_by("family_name", "given_name")}
    rows = []
    for pid, facts in facts_for(patients).items():
        for due in facts.due(on=on):
            if due.due_on is None:  # never: due_items lists only dated items
                continue
            rows.append(
                DueRow(
                    patient=patients[pid],
                    instrument=due.instrument,
                    instrument_name=instrument_name(due.instrument),
                    last_on=due.last_on,
                    due_on=due.due_on,
                    overdue_days=due.overdue_days,
                    reason=due.reason,
                )
            )
    rows.sort(key=lambda row: (-row.overdue_days, row.due_on, row.patient.family_name))
    return rows


@dataclass(frozen=True)
class PanelRow:
    patient: Patient
    instrument: str  # "" for a patient with nothing measured nor planned
    instrument_name: str
    latest_total: int | None
    latest_on: dt.date | None
    baseline_total: int | None
    baseline_on: dt.date | None
    change_points: int | None
    change_percent: Decimal | None
    status: str  # a MeasureStatus value, or "" where the instrument has no change rules
    status_word: str
    diagnosis_codes: tuple[str, ...]


@dataclass(frozen=True)
class PanelFilters:
    instrument: str = ""
    diagnosis: str = ""
    sort: str = "name"


def check_panel_filters(instrument: str, diagnosis: str, sort: str) -> PanelFilters:
    """The panel's query parameters; a wrong one is an error naming it."""
    errors: dict[str, list[str]] = {}
    instrument = instrument.strip().lower()
    if instrument:
        try:
            instrument = default_instruments().get(instrument).id
        except UnknownInstrument:
            ids = ", ".join(default_instruments().ids)
            errors["instrument"] = [f"Unknown instrument {instrument!r}; choose one of {ids}."]
    diagnosis = schedules.normalise_code(diagnosis)
    if diagnosis and not DIAGNOSIS_PREFIX.match(diagnosis):
        errors["diagnosis"] = [
            "Give the start of an ICD-10-CM code, a letter then up to 6 characters (F33, F41.1)."
        ]
    sort = sort.strip() or "name"
    if sort not in SORTS:
        errors["sort"] = [f"Sort by one of {', '.join(SORTS)}."]
    if errors:
        raise ValidationError(errors)
    return PanelFilters(instrument, diagnosis, sort)


def _panel_row(
    patient: Patient,
    instrument: str,
    points: list[tuple[dt.date, int]],
    codes: tuple[str, ...],
    *,
    on: dt.date,
) -> PanelRow:
    name = instrument_name(instrument) if instrument else ""
    no_measure = measurement.MeasureStatus.NO_RECENT_MEASURE
    if not points:
        return PanelRow(
            patient, instrument, name, None, None, None, None, None, None,
            no_measure.value, STATUS_WORDS[no_measure], codes,
        )  # fmt: skip
    latest_on, latest_total = points[-1]
    if name not in measurement.INSTRUMENTS:
        return PanelRow(
            patient, instrument, name, latest_total, latest_on, None, None, None, None,
            "", "", codes,
        )  # fmt: skip
    outcome = measurement.assess(
        [measurement.ScorePoint(name, day, total) for day, total in points],
        on=on,
        stale_after_days=STALE_AFTER_DAYS,
    )
    return PanelRow(
        patient=patient,
        instrument=instrument,
        instrument_name=name,
        latest_total=latest_total,
        latest_on=latest_on,
        baseline_total=outcome.baseline.total,
        baseline_on=outcome.baseline.on,
        change_points=outcome.change_points,
        change_percent=outcome.change_percent,
        status=outcome.status.value,
        status_word=STATUS_WORDS[outcome.status],
        diagnosis_codes=codes,
    )


def panel_rows(actor: Membership, filters: PanelFilters, *, on: dt.date) -> list[PanelRow]:
    """The member's care-team patients, one row per instrument measured or planned, with the
    latest score, the change from the episode baseline and the status (8 queries, whatever
    the panel size)."""
    mine = CareTeamMember.objects.current().filter(user=actor.user).values("patient")
    patients = {
        p.pk: p
        for p in visible_patients(actor).filter(pk__in=mine).order_by("family_name", "given_name")
    }
    facts = facts_for(patients)
    scores: dict[tuple[int, str], list[tuple[dt.date, int]]] = {}
    for pid, instrument, moment, total in (
        Assessment.objects.in_record()
        .filter(patient_id__in=list(patients))
        .order_by("administered_at", "id")
        .values_list("patient_id", "instrument", "administered_at", "total")
    ):
        day = timezone.localdate(moment)
        if day <= on:  # a status is never computed from the future
            scores.setdefault((pid, instrument), []).append((day, total))
    rows = []
    for pid, patient in patients.items():
        patient_facts = facts[pid]
        codes = tuple(sorted(patient_facts.diagnosis_codes))
        if filters.diagnosis and not any(
            schedules.normalise_code(code).startswith(filters.diagnosis) for code in codes
        ):
            continue
        instruments = list(
            dict.fromkeys(
                [item.instrument for item in patient_facts.plan]
                + sorted(instrument for (p, instrument) in scores if p == pid)
            )
        )
        if filters.instrument:
            instruments = [i for i in instruments if i == filters.instrument]
            if not instruments:
                continue
        if not instruments:
            rows.append(_panel_row(patient, "", [], codes, on=on))
        for instrument in instruments:
            rows.append(
                _panel_row(patient, instrument, scores.get((pid, instrument), []), codes, on=on)
            )
    return sort_panel(rows, filters.sort)


def sort_panel(rows: list[PanelRow], sort: str) -> list[PanelRow]:
    def by_name(row: PanelRow) -> tuple[str, str, str]:
        return (row.patient.family_name, row.patient.given_name, row.instrument_name)

    if sort == "status":
        return sorted(rows, key=lambda row: (STATUS_ORDER[row.status], *by_name(row)))
    if sort == "latest":
        # Oldest (or never) measured first: they need attention soonest.
        return sorted(rows, key=lambda row: (row.latest_on or dt.date.min, *by_name(row)))
    return sorted(rows, key=by_name)
