"""Regimen-driven lab monitoring (issue 6): table-driven rule cases, each naming the source of
its expected answer; courses of treatment; the protocol file's validation; and the same regimen
evaluated on different days ("time travel") to watch a requirement go from upcoming to due,
overdue and done."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dosewise.domain import regimen
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Verification
from dosewise.domain.lab_monitoring import (
    Course,
    Duration,
    PatientContext,
    ProtocolError,
    RequirementStatus,
    Result,
    Status,
    default_protocols,
    drug_courses,
    evaluate,
    monitored_drugs,
    parse_duration,
    parse_protocols,
)

START = dt.date(2026, 1, 5)
UNITS = {
    "lithium": "mmol/L",
    "valproate": "ug/mL",
    "carbamazepine": "ug/mL",
    "anc": "/uL",
    "egfr": "mL/min/1.73m2",
    "creatinine": "mg/dL",
    "tsh": "mIU/L",
    "calcium": "mg/dL",
    "sodium": "mmol/L",
    "potassium": "mmol/L",
    "alt": "U/L",
    "platelets": "10*3/uL",
    "weight": "kg",
    "glucose_fasting": "mg/dL",
    "hba1c": "%",
    "ldl": "mg/dL",
    "bp_systolic": "mm[Hg]",
    "heart_rate": "/min",
    "waist": "cm",
    "qtc": "ms",
    "hla_b1502": "{result}",
}
LITHIUM = "lithium carbonate"


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def months(count: int, offset_days: int = 0) -> dt.date:
    return Duration(count, "month").after(START) + dt.timedelta(days=offset_days)


class History:
    """A medication history built event by event, as the prescribing services record it."""

    def __init__(self) -> None:
        self.events: list[regimen.Event] = []
        self.drug_of: dict[int, str] = {}
        self.current: dict[str, int] = {}

    def _add(
        self, kind: regimen.EventKind, drug: str, on: dt.date, *, new: bool, replaces: int | None
    ) -> History:
        if new:
            prescription = len(self.drug_of) + 1
            self.drug_of[prescription] = drug
            self.current[drug] = prescription
        self.events.append(
            regimen.Event(len(self.events) + 1, kind, self.current[drug], on, replaces)
        )
        return self

    def start(self, drug: str, on: dt.date) -> History:
        return self._add(regimen.EventKind.STARTED, drug, on, new=True, replaces=None)

    def change(self, drug: str, on: dt.date) -> History:
        old = self.current[drug]
        return self._add(regimen.EventKind.DOSE_CHANGED, drug, on, new=True, replaces=old)

    def renew(self, drug: str, on: dt.date) -> History:
        old = self.current[drug]
        return self._add(regimen.EventKind.RENEWED, drug, on, new=True, replaces=old)

    def hold(self, drug: str, on: dt.date) -> History:
        return self._add(regimen.EventKind.HELD, drug, on, new=False, replaces=None)

    def resume(self, drug: str, on: dt.date) -> History:
        return self._add(regimen.EventKind.RESUMED, drug, on, new=False, replaces=None)

    def stop(self, drug: str, on: dt.date) -> History:
        return self._add(regimen.EventKind.DISCONTINUED, drug, on, new=False, replaces=None)


def started(*drugs: str, on: dt.date = START) -> History:
    history = History()
    for drug in drugs:
        history.start(drug, on)
    return history


def result(test: str, on: dt.date, value: str) -> Result:
    return Result(test, on, Decimal(value), UNITS[test])


def rows(
    history: History,
    results: list[Result],
    today: dt.date,
    patient: PatientContext | None = None,
) -> list[RequirementStatus]:
    return evaluate(
        default_protocols(),
        default_knowledge(),
        events=history.events,
        drug_of=history.drug_of,
        results=results,
        patient=patient or PatientContext(age=35),
        today=today,
    )


def row(
    history: History,
    results: list[Result],
    today: dt.date,
    requirement: str,
    patient: PatientContext | None = None,
) -> RequirementStatus | None:
    found = [r for r in rows(history, results, today, patient) if r.requirement == requirement]
    assert len(found) <= 1
    return found[0] if found else None


def state(
    history: History,
    results: list[Result],
    today: dt.date,
    requirement: str,
    patient: PatientContext | None = None,
) -> tuple[str, dt.date | None]:
    found = row(history, results, today, requirement, patient)
    assert found is not None, f"{requirement} not required"
    return found.status.value, found.due_on


LABEL_LI = "label-lithium-monitoring (brief §4.1 V: level 5-7 days after start or change)"
NICE_LI = "nice-cg185-lithium (brief §4.1 R)"
CLOZ = "clozapine-anc-cns-drugs-2022 (brief §4.5 V, ANC table)"
ADA = "ada-apa-2004-metabolic (brief §4.6 V table)"
APA = "apa-2020-schizophrenia-monitoring (brief §4.6 V)"
VPA = "label-valproate-monitoring / brief-valproate-levels (brief §4.2 R)"
CBZ = "label-carbamazepine-monitoring (brief §4.3)"
ADHD = "adhd-stimulant-monitoring (brief §4.7)"
QT = "brief-qt-ecg (brief I-05, §4.8)"
DEFAULT = "dosewise-monitoring-defaults (no number in the source)"

ON_LISINOPRIL = started(LITHIUM, "lisinopril")
ON_QUETIAPINE_AND_LITHIUM = started(LITHIUM, "quetiapine")

# (case, history, results, today, requirement, patient or None, expected (status, due_on), source)
CASES = [
    # --- lithium ---
    (
        "lithium level not yet due 3 days after the start",
        started(LITHIUM),
        [],
        day(3),
        "lithium-level-after-change",
        None,
        ("upcoming", day(7)),
        LABEL_LI,
    ),
    (
        "lithium level due from day 5 after the start",
        started(LITHIUM),
        [],
        day(5),
        "lithium-level-after-change",
        None,
        ("due", day(7)),
        LABEL_LI,
    ),
    (
        "lithium level still due on day 7",
        started(LITHIUM),
        [],
        day(7),
        "lithium-level-after-change",
        None,
        ("due", day(7)),
        LABEL_LI,
    ),
    (
        "lithium level overdue on day 8",
        started(LITHIUM),
        [],
        day(8),
        "lithium-level-after-change",
        None,
        ("overdue", day(7)),
        LABEL_LI,
    ),
    (
        "a level on day 3 is before steady state: does not count",
        started(LITHIUM),
        [result("lithium", day(3), "0.3")],
        day(8),
        "lithium-level-after-change",
        None,
        ("overdue", day(7)),
        LABEL_LI,
    ),
    (
        "a level on day 6 satisfies it: nothing more after this start",
        started(LITHIUM),
        [result("lithium", day(6), "0.5")],
        day(8),
        "lithium-level-after-change",
        None,
        ("done", None),
        LABEL_LI,
    ),
    (
        "a dose change makes a level due 5-7 days after the change",
        started(LITHIUM).change(LITHIUM, day(20)),
        [result("lithium", day(6), "0.5")],
        day(26),
        "lithium-level-after-change",
        None,
        ("due", day(27)),
        LABEL_LI,
    ),
    (
        "a renewal at the same dose is not a change",
        started(LITHIUM).renew(LITHIUM, day(30)),
        [result("lithium", day(6), "0.5")],
        day(40),
        "lithium-level-after-change",
        None,
        ("done", None),
        LABEL_LI,
    ),
    (
        "maintenance level every 3 months in the first year",
        started(LITHIUM),
        [result("lithium", day(6), "0.6")],
        day(30),
        "lithium-level-maintenance",
        None,
        ("done", Duration(3, "month").after(day(6))),
        NICE_LI,
    ),
    (
        "maintenance level every 6 months after the first year",
        started(LITHIUM),
        [result("lithium", months(13), "0.6")],
        months(14),
        "lithium-level-maintenance",
        None,
        ("done", Duration(6, "month").after(months(13))),
        NICE_LI,
    ),
    (
        "after the first year, every 3 months again when the last level was 0.8 or higher",
        started(LITHIUM),
        [result("lithium", months(13), "0.8")],
        months(14),
        "lithium-level-maintenance",
        None,
        ("done", Duration(3, "month").after(months(13))),
        NICE_LI,
    ),
    (
        "after the first year, every 3 months with a drug that raises lithium levels",
        ON_LISINOPRIL,
        [result("lithium", months(13), "0.6")],
        months(14),
        "lithium-level-maintenance",
        None,
        ("done", Duration(3, "month").after(months(13))),
        NICE_LI,
    ),
    (
        "maintenance level overdue the day after 3 months without a level",
        started(LITHIUM),
        [result("lithium", day(6), "0.6")],
        Duration(3, "month").after(day(6)) + dt.timedelta(days=1),
        "lithium-level-maintenance",
        None,
        ("overdue", Duration(3, "month").after(day(6))),
        NICE_LI,
    ),
    (
        "renal function: baseline up to 30 days before the start counts",
        started(LITHIUM),
        [result("egfr", day(-20), "95")],
        day(1),
        "lithium-renal",
        None,
        ("done", Duration(6, "month").after(day(-20))),
        NICE_LI + "; window: " + DEFAULT,
    ),
    (
        "renal function: a result 31 days before the start is not a baseline",
        started(LITHIUM),
        [result("creatinine", day(-31), "0.9")],
        day(1),
        "lithium-renal",
        None,
        ("overdue", START),
        NICE_LI + "; window: " + DEFAULT,
    ),
    (
        "renal function every 3 months when eGFR is below 60",
        started(LITHIUM),
        [result("egfr", day(-2), "55")],
        day(1),
        "lithium-renal",
        None,
        ("done", Duration(3, "month").after(day(-2))),
        "brief §4.1 'more often if eGFR <60'",
    ),
    (
        "thyroid function: baseline due on the start day",
        started(LITHIUM),
        [],
        START,
        "lithium-thyroid",
        None,
        ("due", START),
        NICE_LI,
    ),
    (
        "calcium: creatinine does not satisfy it (any of its own tests only)",
        started(LITHIUM),
        [result("creatinine", day(-1), "0.9")],
        day(1),
        "lithium-calcium",
        None,
        ("overdue", START),
        NICE_LI,
    ),
    (
        "blood pressure: first due a year after the start",
        started(LITHIUM),
        [],
        day(30),
        "lithium-blood-pressure",
        None,
        ("upcoming", Duration(1, "year").after(START)),
        NICE_LI,
    ),
    (
        "ECG before lithium at 41 years",
        started(LITHIUM),
        [],
        START,
        "lithium-ecg-baseline",
        PatientContext(age=41),
        ("due", START),
        "brief §4.1 'ECG if >40 y'",
    ),
    (
        "ECG before lithium at 41: a QTc on the day counts",
        started(LITHIUM),
        [result("qtc", START, "420")],
        day(2),
        "lithium-ecg-baseline",
        PatientContext(age=41),
        ("done", None),
        "brief §4.1 'ECG if >40 y'",
    ),
    # --- valproate ---
    (
        "valproate level 3-5 days after the start: due on day 3",
        started("valproate"),
        [],
        day(3),
        "valproate-level-after-change",
        None,
        ("due", day(5)),
        VPA,
    ),
    (
        "valproate level overdue on day 6",
        started("valproate"),
        [],
        day(6),
        "valproate-level-after-change",
        None,
        ("overdue", day(5)),
        VPA,
    ),
    (
        "valproate maintenance level every 3 months (the short end of 3-6 months)",
        started("valproate"),
        [result("valproate", day(4), "70")],
        day(10),
        "valproate-level-maintenance",
        None,
        ("done", Duration(3, "month").after(day(4))),
        VPA,
    ),
    (
        "valproate liver tests monthly in the first 6 months",
        started("valproate"),
        [result("alt", day(-3), "22")],
        day(10),
        "valproate-liver",
        None,
        ("done", Duration(1, "month").after(day(-3))),
        VPA + "; monthly: " + DEFAULT,
    ),
    (
        "valproate liver tests every 6 months after 6 months (short end of 6-12)",
        started("valproate"),
        [result("alt", months(7), "22")],
        months(8),
        "valproate-liver",
        None,
        ("done", Duration(6, "month").after(months(7))),
        VPA,
    ),
    (
        "valproate platelets: baseline overdue after the start",
        started("valproate"),
        [],
        day(1),
        "valproate-platelets",
        None,
        ("overdue", START),
        VPA,
    ),
    # --- carbamazepine ---
    (
        "HLA-B*15:02: a genotype of any earlier date counts",
        started("carbamazepine"),
        [result("hla_b1502", day(-2000), "0")],
        day(1),
        "carbamazepine-hla-b1502",
        None,
        ("done", None),
        CBZ + " (V: boxed warning)",
    ),
    (
        "HLA-B*15:02: due before the start",
        started("carbamazepine", on=day(10)),
        [],
        day(5),
        "carbamazepine-hla-b1502",
        None,
        ("due", day(10)),
        CBZ + " (V: boxed warning)",
    ),
    (
        "carbamazepine level after 1-2 weeks: due on day 7",
        started("carbamazepine"),
        [],
        day(7),
        "carbamazepine-level-after-change",
        None,
        ("due", day(14)),
        CBZ,
    ),
    (
        "carbamazepine level after autoinduction: upcoming before 3 weeks",
        started("carbamazepine"),
        [result("carbamazepine", day(10), "7")],
        day(20),
        "carbamazepine-level-autoinduction",
        None,
        ("upcoming", day(35)),
        CBZ,
    ),
    (
        "carbamazepine level after autoinduction: the day-10 level does not count for it",
        started("carbamazepine"),
        [result("carbamazepine", day(10), "7")],
        day(36),
        "carbamazepine-level-autoinduction",
        None,
        ("overdue", day(35)),
        CBZ,
    ),
    (
        "carbamazepine sodium monthly in the first 6 months",
        started("carbamazepine"),
        [result("sodium", day(-1), "139")],
        day(3),
        "carbamazepine-sodium",
        None,
        ("done", Duration(1, "month").after(day(-1))),
        CBZ + "; monthly: " + DEFAULT,
    ),
    # --- clozapine ---
    (
        "clozapine ANC baseline due by the start",
        started("clozapine"),
        [],
        START,
        "clozapine-anc",
        None,
        ("due", START),
        CLOZ,
    ),
    (
        "clozapine ANC weekly in the first 6 months",
        started("clozapine"),
        [result("anc", day(-1), "3200"), result("anc", day(40), "3000")],
        day(42),
        "clozapine-anc",
        None,
        ("done", day(47)),
        CLOZ,
    ),
    (
        "clozapine ANC every 2 weeks in months 6-12",
        started("clozapine"),
        [result("anc", months(7), "3000")],
        months(7, 3),
        "clozapine-anc",
        None,
        ("done", months(7, 14)),
        CLOZ,
    ),
    (
        "clozapine ANC monthly after 12 months",
        started("clozapine"),
        [result("anc", months(13), "3000")],
        months(13, 3),
        "clozapine-anc",
        None,
        ("done", Duration(1, "month").after(months(13))),
        CLOZ,
    ),
    (
        "mild neutropenia (1000-1499): three times weekly, next within 2 days",
        started("clozapine"),
        [result("anc", months(13), "1200")],
        months(13, 1),
        "clozapine-anc",
        None,
        ("done", months(13, 2)),
        CLOZ,
    ),
    (
        "moderate neutropenia (500-999): daily",
        started("clozapine"),
        [result("anc", months(13), "800")],
        months(13, 1),
        "clozapine-anc",
        None,
        ("due", months(13, 1)),
        CLOZ,
    ),
    (
        "severe neutropenia (ANC 0): daily, overdue the day after",
        started("clozapine"),
        [result("anc", months(13), "0")],
        months(13, 2),
        "clozapine-anc",
        None,
        ("overdue", months(13, 1)),
        CLOZ,
    ),
    (
        "a coded HLA-B*15:02 result (no number) satisfies the genotype row",
        started("carbamazepine"),
        [Result("hla_b1502", day(-40), None, "", "negative")],
        day(1),
        "carbamazepine-hla-b1502",
        None,
        ("done", None),
        CBZ,
    ),
    (
        "back to normal after moderate neutropenia: weekly for 4 weeks, even after a year",
        started("clozapine"),
        [result("anc", months(13), "800"), result("anc", months(13, 1), "1600")],
        months(13, 2),
        "clozapine-anc",
        None,
        ("done", months(13, 8)),
        CLOZ,
    ),
    (
        "benign ethnic neutropenia: no weekly-for-4-weeks step after 500-999 (the BEN table)",
        started("clozapine"),
        [result("anc", months(13), "800"), result("anc", months(13, 2), "1100")],
        months(13, 3),
        "clozapine-anc",
        PatientContext(age=35, benign_ethnic_neutropenia=True),
        ("done", Duration(1, "month").after(months(13, 2))),
        CLOZ + " BEN table",
    ),
    (
        "after severe neutropenia and a rechallenge: monitored as a new patient (weekly)",
        started("clozapine").hold("clozapine", months(13)).resume("clozapine", months(13, 10)),
        [
            result("anc", months(13), "400"),
            result("anc", months(13, 5), "1100"),
            result("anc", months(13, 9), "1800"),
            result("anc", months(13, 12), "2200"),
        ],
        months(13, 13),
        "clozapine-anc",
        None,
        ("done", months(13, 19)),
        CLOZ + " 'Severe: no rechallenge unless benefit > risk' / anc_guidance",
    ),
    (
        "4 weeks after recovery from moderate neutropenia: back to monthly",
        started("clozapine"),
        [
            result("anc", months(13), "800"),
            result("anc", months(13, 1), "1600"),
            result("anc", months(13, 29), "1700"),
        ],
        months(13, 30),
        "clozapine-anc",
        None,
        ("done", Duration(1, "month").after(months(13, 29))),
        CLOZ,
    ),
    (
        "benign ethnic neutropenia: 1200/uL is normal, the schedule goes on monthly",
        started("clozapine"),
        [result("anc", months(13), "1200")],
        months(13, 3),
        "clozapine-anc",
        PatientContext(age=35, benign_ethnic_neutropenia=True),
        ("done", Duration(1, "month").after(months(13))),
        CLOZ + " BEN table",
    ),
    (
        "interruption under 30 days: the prior schedule continues (monthly after a year)",
        started("clozapine").hold("clozapine", months(13)).resume("clozapine", months(13, 20)),
        [result("anc", months(13, 19), "3000")],
        months(13, 21),
        "clozapine-anc",
        None,
        ("done", Duration(1, "month").after(months(13, 19))),
        CLOZ + " 'Interruption <30 days'",
    ),
    (
        "interruption of 30 days or more: monitored as a new patient (baseline, then weekly)",
        started("clozapine").hold("clozapine", months(13)).resume("clozapine", months(13, 30)),
        [result("anc", months(13, 29), "3000")],
        months(13, 31),
        "clozapine-anc",
        None,
        ("done", months(13, 36)),
        CLOZ + " 'Interruption >=30 days'",
    ),
    (
        "held for neutropenia: ANC monitoring goes on during the interruption",
        started("clozapine").hold("clozapine", months(13)),
        [result("anc", months(13), "800")],
        months(13, 3),
        "clozapine-anc",
        None,
        ("overdue", months(13, 1)),
        CLOZ + " 'Moderate: interrupt; daily until >=1000'",
    ),
    # --- second-generation antipsychotics ---
    (
        "weight at 4 weeks after the start",
        started("aripiprazole"),
        [result("weight", day(-3), "80")],
        day(20),
        "sga-weight",
        None,
        ("done", day(28)),
        ADA,
    ),
    (
        "weight: a weight on day 2 does not count for the 4-week point",
        started("aripiprazole"),
        [result("weight", day(-3), "80"), result("weight", day(2), "80")],
        day(29),
        "sga-weight",
        None,
        ("overdue", day(28)),
        ADA,
    ),
    (
        "weight at 12 weeks, then quarterly",
        started("aripiprazole"),
        [
            result("weight", day(-3), "80"),
            result("weight", day(28), "81"),
            result("weight", day(56), "82"),
            result("weight", day(84), "82"),
        ],
        day(90),
        "sga-weight",
        None,
        ("done", Duration(3, "month").after(day(84))),
        ADA,
    ),
    (
        "a late 4-week weight moves on to the 8-week point, not the missed one",
        started("aripiprazole"),
        [result("weight", day(-3), "80"), result("weight", day(50), "81")],
        day(52),
        "sga-weight",
        None,
        ("done", day(56)),
        ADA,
    ),
    (
        "glucose at 12 weeks",
        started("quetiapine"),
        [result("glucose_fasting", day(-5), "92")],
        day(84),
        "sga-glucose",
        None,
        ("due", day(84)),
        ADA,
    ),
    (
        "glucose done a little early at week 11: next in a year, not another in between",
        started("quetiapine"),
        [result("hba1c", day(-5), "5.4"), result("hba1c", day(80), "5.5")],
        day(170),
        "sga-glucose",
        None,
        ("done", Duration(1, "year").after(day(80))),
        ADA,
    ),
    (
        "lipids yearly after 12 weeks (APA 2020: at least annually; ADA every 5 years)",
        started("quetiapine"),
        [result("ldl", day(-5), "100"), result("ldl", day(85), "110")],
        day(90),
        "sga-lipids",
        None,
        ("done", Duration(1, "year").after(day(85))),
        APA,
    ),
    (
        "waist circumference yearly",
        started("olanzapine"),
        [result("waist", day(-1), "90")],
        day(30),
        "sga-waist",
        None,
        ("done", Duration(1, "year").after(day(-1))),
        ADA,
    ),
    (
        "blood pressure at 12 weeks overdue the day after",
        started("risperidone"),
        [result("bp_systolic", day(-1), "120")],
        day(85),
        "sga-blood-pressure",
        None,
        ("overdue", day(84)),
        ADA,
    ),
    (
        "a second antipsychotic restarts the metabolic schedule from its start",
        started("clozapine").start("aripiprazole", months(14)),
        [result("weight", months(14, -1), "90")],
        months(14, 10),
        "sga-weight",
        None,
        ("done", months(14, 28)),
        ADA,
    ),
    # --- stimulants ---
    (
        "stimulant blood pressure at baseline",
        started("methylphenidate"),
        [],
        START,
        "stimulant-blood-pressure",
        None,
        ("due", START),
        ADHD,
    ),
    (
        "stimulant blood pressure due on the day of a dose change",
        started("methylphenidate").change("methylphenidate", day(14)),
        [result("bp_systolic", day(-1), "118")],
        day(14),
        "stimulant-blood-pressure",
        None,
        ("due", day(14)),
        ADHD,
    ),
    (
        "stimulant heart rate at the change, then every 3 months",
        started("methylphenidate").change("methylphenidate", day(14)),
        [result("heart_rate", day(-1), "72"), result("heart_rate", day(14), "80")],
        day(20),
        "stimulant-heart-rate",
        None,
        ("done", Duration(3, "month").after(day(14))),
        ADHD + "; 3 months: " + DEFAULT,
    ),
    (
        "stimulant weight every 6 months",
        started("lisdexamfetamine"),
        [result("weight", day(-1), "70")],
        day(20),
        "stimulant-weight",
        None,
        ("done", Duration(6, "month").after(day(-1))),
        ADHD,
    ),
    # --- ECG ---
    (
        "ziprasidone: baseline ECG always",
        started("ziprasidone"),
        [],
        START,
        "ecg-antipsychotic",
        None,
        ("due", START),
        APA + " ECG list",
    ),
    (
        "ziprasidone: ECG again at a dose change",
        started("ziprasidone").change("ziprasidone", day(10)),
        [result("qtc", day(-1), "410")],
        day(11),
        "ecg-antipsychotic",
        None,
        ("overdue", day(10)),
        APA + " 'significant dose changes'",
    ),
    (
        "two QT-prolonging drugs together: baseline ECG",
        ON_QUETIAPINE_AND_LITHIUM,
        [],
        day(1),
        "ecg-qt-risk",
        None,
        ("overdue", START),
        QT,
    ),
    (
        "one QT drug with potassium below 3.5: baseline ECG",
        started("escitalopram"),
        [result("potassium", day(-2), "3.2")],
        START,
        "ecg-qt-risk",
        None,
        ("due", START),
        QT,
    ),
    (
        "one QT drug with heart failure on the problem list: baseline ECG",
        started("citalopram"),
        [],
        START,
        "ecg-qt-risk",
        PatientContext(age=50, diagnosis_codes=("I50.9",)),
        ("due", START),
        QT,
    ),
]


@pytest.mark.parametrize(
    ("history", "results", "today", "requirement", "patient", "expected"),
    [case[1:7] for case in CASES],
    ids=[f"{case[0]} [{case[7]}]" for case in CASES],
)
def test_rule(
    history: History,
    results: list[Result],
    today: dt.date,
    requirement: str,
    patient: PatientContext | None,
    expected: tuple[str, dt.date | None],
) -> None:
    assert state(history, results, today, requirement, patient) == expected


# (case, history, results, today, requirement, patient, source): the requirement does not apply
NOT_REQUIRED = [
    (
        "ECG before lithium at 40 (the brief says over 40)",
        started(LITHIUM),
        [],
        START,
        "lithium-ecg-baseline",
        PatientContext(age=40),
        "brief §4.1 'ECG if >40 y'",
    ),
    (
        "one QT drug without a risk factor: no ECG row",
        started("escitalopram"),
        [result("potassium", day(-2), "4.1")],
        START,
        "ecg-qt-risk",
        None,
        QT,
    ),
    (
        "a stopped drug is not monitored",
        started(LITHIUM).stop(LITHIUM, day(40)),
        [],
        day(41),
        "lithium-level-maintenance",
        None,
        "issue 6: protocols follow the active regimen",
    ),
    (
        "sertraline (no QT label warning) calls for no ECG even with low potassium",
        started("sertraline"),
        [result("potassium", day(-2), "3.0")],
        START,
        "ecg-qt-risk",
        None,
        QT,
    ),
    (
        "oxcarbazepine is not carbamazepine: no HLA row from the carbamazepine protocol",
        started("oxcarbazepine"),
        [],
        START,
        "carbamazepine-hla-b1502",
        None,
        CBZ,
    ),
]


@pytest.mark.parametrize(
    ("history", "results", "today", "requirement", "patient"),
    [case[1:6] for case in NOT_REQUIRED],
    ids=[f"{case[0]} [{case[6]}]" for case in NOT_REQUIRED],
)
def test_not_required(
    history: History,
    results: list[Result],
    today: dt.date,
    requirement: str,
    patient: PatientContext | None,
) -> None:
    assert row(history, results, today, requirement, patient) is None


# --- time travel -------------------------------------------------------------------------------


def test_lithium_level_goes_upcoming_due_overdue_then_done_after_a_result() -> None:
    """The same lithium start seen on later days; a level on day 9 makes it done (late)."""
    history = started(LITHIUM)
    seen = [state(history, [], on, "lithium-level-after-change") for on in (day(2), day(5), day(8))]
    assert seen == [("upcoming", day(7)), ("due", day(7)), ("overdue", day(7))]
    level = result("lithium", day(9), "0.62")
    done = row(history, [level], day(9), "lithium-level-after-change")
    assert done is not None
    assert (done.status, done.due_on, done.satisfied_by) == (Status.DONE, None, level)


def test_clozapine_anc_goes_done_due_overdue_then_done_again() -> None:
    history = started("clozapine")
    results = [result("anc", day(-2), "3500"), result("anc", day(5), "3400")]
    seen = [state(history, results, on, "clozapine-anc") for on in (day(8), day(12), day(13))]
    assert seen == [("done", day(12)), ("due", day(12)), ("overdue", day(12))]
    later = [*results, result("anc", day(13), "3300")]
    assert state(history, later, day(13), "clozapine-anc") == ("done", day(20))


def test_sga_glucose_follows_baseline_then_12_weeks_then_yearly() -> None:
    history = started("olanzapine")
    baseline = result("glucose_fasting", day(-4), "90")
    week_12 = result("glucose_fasting", day(86), "95")
    timeline = [
        state(history, [], day(-40), "sga-glucose"),
        state(history, [], day(0), "sga-glucose"),
        state(history, [baseline], day(30), "sga-glucose"),
        state(history, [baseline], day(84), "sga-glucose"),
        state(history, [baseline], day(85), "sga-glucose"),
        state(history, [baseline, week_12], day(90), "sga-glucose"),
    ]
    assert timeline == [
        ("upcoming", START),  # a planned start: the baseline window opens 30 days before
        ("due", START),
        ("done", day(84)),
        ("due", day(84)),
        ("overdue", day(84)),
        ("done", Duration(1, "year").after(day(86))),
    ]


def test_done_row_shows_the_result_that_satisfied_it() -> None:
    level = result("lithium", day(6), "0.71")
    found = row(started(LITHIUM), [level], day(10), "lithium-level-maintenance")
    assert found is not None
    assert found.satisfied_by == level
    assert found.source == "nice-cg185-lithium"
    assert found.verification is Verification.UNVERIFIED
    assert "every 3 months" in found.reason


def test_results_after_today_are_ignored() -> None:
    future = result("lithium", day(6), "0.5")
    assert state(started(LITHIUM), [future], day(5), "lithium-level-after-change") == (
        "due",
        day(7),
    )


def test_rows_list_overdue_first_then_due_upcoming_done() -> None:
    history = started(LITHIUM)
    found = rows(history, [result("egfr", day(-1), "90")], day(6), PatientContext(age=30))
    statuses = [r.status for r in found]
    assert statuses == sorted(
        statuses, key=lambda s: ["overdue", "due", "upcoming", "done"].index(s.value)
    )
    assert {r.requirement for r in found} == {
        "lithium-level-after-change",
        "lithium-level-maintenance",
        "lithium-renal",
        "lithium-thyroid",
        "lithium-calcium",
        "lithium-sodium-baseline",
        "lithium-weight",
        "lithium-blood-pressure",
    }


def test_condition_says_why_the_row_applies() -> None:
    found = row(ON_QUETIAPINE_AND_LITHIUM, [], day(1), "ecg-qt-risk")
    assert found is not None
    assert found.condition == (
        "QT risk factor: 2 QT-prolonging drugs together (lithium carbonate, quetiapine)"
    )
    assert found.drugs == ("lithium carbonate", "quetiapine")


# --- courses -----------------------------------------------------------------------------------

GAP = Duration(30, "day")


def courses(history: History, today: dt.date) -> dict[str, Course]:
    return drug_courses(history.events, history.drug_of, today=today, gap=GAP)


def test_dose_change_continues_the_course_as_a_change() -> None:
    history = started(LITHIUM).change(LITHIUM, day(10)).renew(LITHIUM, day(40))
    assert courses(history, day(50)) == {LITHIUM: Course(LITHIUM, START, (day(10),))}


def test_short_hold_continues_the_course_and_the_resumption_is_a_change() -> None:
    history = started("clozapine").hold("clozapine", day(50)).resume("clozapine", day(79))
    assert courses(history, day(80)) == {"clozapine": Course("clozapine", START, (day(79),))}


def test_hold_of_30_days_or_more_starts_a_new_course() -> None:
    history = started("clozapine").hold("clozapine", day(50)).resume("clozapine", day(80))
    assert courses(history, day(81)) == {"clozapine": Course("clozapine", day(80))}


def test_stop_and_restart_within_30_days_is_the_same_course() -> None:
    history = started(LITHIUM).stop(LITHIUM, day(50)).start(LITHIUM, day(60))
    assert courses(history, day(61)) == {LITHIUM: Course(LITHIUM, START, (day(60),))}


def test_held_today_keeps_the_course_with_the_hold_date() -> None:
    history = started("clozapine").hold("clozapine", day(50))
    assert courses(history, day(90)) == {
        "clozapine": Course("clozapine", START, held_since=day(50))
    }


def test_stopped_drug_has_no_course_and_a_future_start_is_planned() -> None:
    history = started(LITHIUM).stop(LITHIUM, day(50)).start("quetiapine", day(70))
    assert courses(history, day(60)) == {"quetiapine": Course("quetiapine", day(70), planned=True)}


def test_events_after_today_do_not_count() -> None:
    history = started(LITHIUM).change(LITHIUM, day(20)).stop(LITHIUM, day(40))
    assert courses(history, day(10)) == {LITHIUM: Course(LITHIUM, START)}


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("3 months", dt.date(2025, 11, 30), dt.date(2026, 2, 28)),
        ("1 month", dt.date(2028, 1, 31), dt.date(2028, 2, 29)),
        ("1 year", dt.date(2028, 2, 29), dt.date(2029, 2, 28)),
        ("2 weeks", dt.date(2026, 1, 5), dt.date(2026, 1, 19)),
        ("7 days", dt.date(2026, 12, 28), dt.date(2027, 1, 4)),
    ],
)
def test_durations_are_calendar_aware(text: str, start: dt.date, expected: dt.date) -> None:
    assert parse_duration(text).after(start) == expected


@pytest.mark.parametrize("text", ["3", "three months", "3 fortnights", "-3 days", "", None, 3])
def test_bad_duration_is_refused(text: object) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


# --- the protocol file -------------------------------------------------------------------------


def test_shipped_protocols_load_with_known_sources() -> None:
    protocols = default_protocols()
    sources = default_knowledge().sources
    assert {p.id for p in protocols.protocols} == {
        "lithium",
        "valproate",
        "carbamazepine",
        "clozapine",
        "sga-metabolic",
        "stimulant",
        "ecg-antipsychotic",
        "ecg-qt-risk",
    }
    for protocol in protocols.protocols:
        assert protocol.source in sources
        for requirement in protocol.requirements:
            assert requirement.source in sources, requirement.id
            assert requirement.citation.startswith("brief"), requirement.id


def test_rows_from_software_defaults_are_unverified() -> None:
    """Anything not directly in the brief is marked unverified (a requirement that mentions
    the Dosewise defaults in its citation, or cites them as its source)."""
    for protocol in default_protocols().protocols:
        for requirement in protocol.requirements:
            if "dosewise-monitoring-defaults" in requirement.citation:
                assert requirement.verification is Verification.UNVERIFIED, requirement.id


def test_monitored_drugs_come_from_the_knowledge_base() -> None:
    drugs = monitored_drugs(default_protocols(), default_knowledge())
    assert {LITHIUM, "valproate", "carbamazepine", "clozapine", "quetiapine"} <= drugs
    assert {"methylphenidate", "ziprasidone", "citalopram"} <= drugs
    assert "sertraline" not in drugs


MINIMAL = """
baseline_window = "30 days"
baseline_window_source = "dosewise-monitoring-defaults"
[qt_risk_factors]
potassium_below = "3.5"
heart_rate_below = "50"
diagnosis_prefixes = ["I50"]
source = "brief-qt-ecg"
citation = "brief I-05"
verification = "verified"
[[protocol]]
id = "p"
label = "P"
per = "drug"
{selector}
restart_after_gap = "30 days"
source = "brief"
citation = "brief"
verification = "unverified"
  [[protocol.requirement]]
  id = "r"
  label = "R"
  tests = {tests}
  {schedule}
  source = "{source}"
  citation = "brief"
  verification = "unverified"
"""


def protocol_text(
    *,
    selector: str = 'drugs = ["lithium carbonate"]',
    tests: str = '["lithium"]',
    schedule: str = 'every = "3 months"',
    source: str = "brief",
) -> str:
    return MINIMAL.format(selector=selector, tests=tests, schedule=schedule, source=source)


def test_minimal_file_parses() -> None:
    parsed = parse_protocols(protocol_text(), knowledge=default_knowledge())
    assert parsed.protocols[0].requirements[0].tests == ("lithium",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (protocol_text(tests='["lithum"]'), "unknown test id(s) lithum"),
        (protocol_text(tests="[]"), "tests must name at least one test"),
        (protocol_text(selector='drugs = ["lithium"]'), "unknown drug 'lithium'"),
        (protocol_text(selector='subclasses = ["sgaa"]'), "unknown drug subclass 'sgaa'"),
        (protocol_text(selector='classes = ["antipsychotics"]'), "unknown drug class"),
        (protocol_text(selector='tags = ["qt"]'), "unknown tag 'qt'"),
        (protocol_text(selector='qt_risk = ["high"]'), "unknown qt_risk 'high'"),
        (protocol_text(selector=""), "name the drugs it applies to"),
        (protocol_text(source="nice-2099"), "source 'nice-2099' is not defined"),
        (protocol_text(schedule='every = "3 moons"'), "every: '3 moons' is not a duration"),
        (protocol_text(schedule='every = "3 months"\n  often = true'), "unknown field(s) often"),
        (protocol_text(schedule=""), "give at least one of baseline"),
        (
            protocol_text(schedule='phase = [{ from = "1 year", every = "6 months" }]'),
            "phases need a first interval",
        ),
        (
            protocol_text(schedule="baseline = true\n  anc_guidance = true"),
            "anc_guidance applies to a requirement on the ANC alone",
        ),
        (
            protocol_text(schedule='baseline = true\n  when = ["pregnant"]'),
            "unknown condition(s) pregnant",
        ),
        (protocol_text(schedule='ever = true\n  every = "1 year"'), "ever applies to a baseline"),
        (
            protocol_text(schedule='after_change = { opens = "7 days", closes = "5 days" }'),
            "after_change closes before it opens",
        ),
        (protocol_text(schedule='baseline = "yes"'), "baseline must be true or false"),
        (
            protocol_text(
                schedule='every = "1 year"\n  faster = [{ every = "3 months", '
                'test = "egfr", reason = "r", source = "brief", '
                'verification = "unverified" }]'
            ),
            "exactly one of at_least and below",
        ),
        (
            protocol_text(
                schedule='every = "1 year"\n  faster = [{ every = "3 months", '
                'tag = "raises_lithium_level", reason = "r", source = "nowhere", '
                'verification = "unverified" }]'
            ),
            "source 'nowhere' is not defined",
        ),
        ("protocol = [", "not valid TOML"),
        ('baseline_window = "30 days"\nbaseline_window_source = "brief"\n', "no protocols"),
        (
            protocol_text().replace(
                'verification = "unverified"\n  [[', 'verification = "maybe"\n  [['
            ),
            "verification must be verified, unverified or uncertain",
        ),
    ],
)
def test_bad_protocol_file_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=None) as raised:
        parse_protocols(text, knowledge=default_knowledge())
    assert message in str(raised.value)
