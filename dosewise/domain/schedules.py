"""Measurement schedule: which rating scales a patient should complete, how often, and which
are due or overdue on a given day.

Answers "what should this patient fill in next, and is it late?". The defaults come from the
patient's ICD-10-CM diagnoses and current medications (issue 5); a clinician may change any
interval afterwards (7-365 days). Every default names its source in the clinical brief
(`shared/clinical/brief.md`) and the brief's verification tag: "R" rows are the brief's
statement of a guideline not re-checked against the source, so they are marked unverified.

Plain values in, plain values out; `on` is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dosewise.domain.knowledge.model import Verification

PHQ9 = "phq9"
GAD7 = "gad7"
PCL5 = "pcl5"
ASRS = "asrs"
AIMS = "aims"

MIN_INTERVAL_DAYS = 7
MAX_INTERVAL_DAYS = 365

# Knowledge-base drug classes (`class` in dosewise/domain/knowledge/drugs/*.toml).
ANTIPSYCHOTIC_CLASS = "antipsychotic"
ADHD_DRUG_CLASSES = frozenset({"stimulant", "adhd_nonstimulant"})


@dataclass(frozen=True)
class DefaultRule:
    """One default of the schedule: the diagnoses (code prefixes, dots removed) or the drug
    class that call for an instrument, and how often."""

    instrument: str
    interval_days: int | None  # None: event-driven only
    at_dose_change: bool  # due again whenever an ADHD drug's dose changes
    reason: str
    source: str
    verification: Verification
    code_prefixes: tuple[str, ...] = ()
    drug_class: str = ""


# Order = the order items are listed in a plan.
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule(
        instrument=PHQ9,
        interval_days=28,
        at_dose_change=False,
        reason="Depression (F32, F33, F34.1): PHQ-9 every 2-4 weeks in the acute phase",
        source=(
            "brief §1.2 (PHQ-9: every visit in acute treatment, at least every 2-4 weeks) and "
            "§4.9 (NICE CG90/NG222: every 2-4 weeks for the first 3 months); the default is the "
            "longest of that range, 28 days"
        ),
        verification=Verification.UNVERIFIED,
        code_prefixes=("F32", "F33", "F341"),
    ),
    DefaultRule(
        instrument=GAD7,
        interval_days=28,
        at_dose_change=False,
        reason="Anxiety (F40, F41.0, F41.1): GAD-7 every 4 weeks",
        source="brief §1.3 (GAD-7 frequency: same cadence as the PHQ-9)",
        verification=Verification.UNVERIFIED,
        code_prefixes=("F40", "F410", "F411"),
    ),
    DefaultRule(
        instrument=PCL5,
        interval_days=30,
        at_dose_change=False,
        reason="PTSD (F43.1): PCL-5 monthly",
        source="brief §1.5 (PCL-5 frequency: monthly at minimum)",
        verification=Verification.UNVERIFIED,
        code_prefixes=("F431",),
    ),
    DefaultRule(
        instrument=ASRS,
        interval_days=None,
        at_dose_change=True,
        reason="ADHD (F90): ASRS at each ADHD medication dose change",
        source=(
            "brief §1.4 (ASRS: re-administer at dose changes, Blueprint vendor suggestion) and "
            "§4.7 (symptom rating at each titration step)"
        ),
        verification=Verification.UNVERIFIED,
        code_prefixes=("F90",),
    ),
    DefaultRule(
        instrument=AIMS,
        interval_days=182,
        at_dose_change=False,
        reason=(
            "Current antipsychotic: AIMS every 6 months (12 months is enough when tardive "
            "dyskinesia risk is low; change the interval once that risk is assessed)"
        ),
        source=(
            "brief §1.8 (APA 2020 schizophrenia guideline: every 6 months if high TD risk, "
            "every 12 months otherwise); TD risk is not recorded, so the shorter interval"
        ),
        verification=Verification.VERIFIED,
        drug_class=ANTIPSYCHOTIC_CLASS,
    ),
)


@dataclass(frozen=True)
class Medication:
    """A medication the patient takes now, with its knowledge-base class."""

    drug: str
    drug_class: str


@dataclass(frozen=True)
class PlanItem:
    """One instrument of a patient's plan: every `interval_days` days, and/or at each ADHD
    medication dose change."""

    instrument: str
    interval_days: int | None
    at_dose_change: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Due:
    """When an instrument of the plan is next due as of `on`.

    `due_on` is None for an event-driven item with no pending dose change; `overdue_days` is 0
    until the day after `due_on`.
    """

    instrument: str
    last_on: dt.date | None
    due_on: dt.date | None
    overdue_days: int
    reason: str
    is_due: bool  # due on or before `on`


def normalise_code(code: str) -> str:
    """An ICD-10-CM code as the rules compare it: upper case, no dot, no spaces."""
    return code.strip().upper().replace(".", "")


def check_interval(interval_days: object) -> int:
    """A clinician's interval in days, 7 to 365; anything else is an error naming the field."""
    if isinstance(interval_days, bool) or not isinstance(interval_days, int):
        raise ValueError("interval_days: must be a whole number of days")
    if not MIN_INTERVAL_DAYS <= interval_days <= MAX_INTERVAL_DAYS:
        raise ValueError(
            f"interval_days: must be between {MIN_INTERVAL_DAYS} and {MAX_INTERVAL_DAYS} days, "
            f"got {interval_days}"
        )
    return interval_days


def matching_rules(
    diagnosis_codes: Iterable[str], medications: Iterable[Medication]
) -> list[DefaultRule]:
    """The default rules the patient's active diagnoses and current medications call for,
    one per instrument, in `DEFAULT_RULES` order."""
    codes = [normalise_code(code) for code in diagnosis_codes]
    classes = {medication.drug_class for medication in medications}
    found = []
    for rule in DEFAULT_RULES:
        by_code = any(code.startswith(rule.code_prefixes) for code in codes if rule.code_prefixes)
        by_drug = bool(rule.drug_class) and rule.drug_class in classes
        if by_code or by_drug:
            found.append(rule)
    return found


def default_plan(
    diagnosis_codes: Iterable[str], medications: Iterable[Medication]
) -> list[PlanItem]:
    """The default measurement plan for these active diagnoses and current medications."""
    return [
        PlanItem(rule.instrument, rule.interval_days, rule.at_dose_change, rule.reason)
        for rule in matching_rules(diagnosis_codes, medications)
    ]


def next_due(
    item: PlanItem,
    last_on: dt.date | None,
    *,
    on: dt.date,
    dose_changes: Sequence[dt.date] = (),
) -> Due:
    """When `item` is next due, given its last administration and the ADHD dose changes.

    - never administered: due today (the baseline), not overdue;
    - every N days: due N days after the last administration, overdue from the day after;
    - at dose changes: due on the first dose change after the last administration (a score on
      the day of the change counts as measured at that change);
    - both: whichever comes first.
    Dose changes after `on` are ignored: they have not happened yet.
    """
    candidates: list[tuple[dt.date, str]] = []
    if last_on is None and (item.interval_days is not None or _changes(dose_changes, None, on)):
        candidates.append((on, "no score yet: baseline due"))
    if last_on is not None and item.interval_days is not None:
        due = last_on + dt.timedelta(days=item.interval_days)
        candidates.append((due, f"every {item.interval_days} days; last {last_on.isoformat()}"))
    if item.at_dose_change and last_on is not None:
        pending = _changes(dose_changes, last_on, on)
        if pending:
            candidates.append((pending[0], f"dose changed on {pending[0].isoformat()}"))
    if not candidates:
        return Due(item.instrument, last_on, None, 0, "at the next dose change", is_due=False)
    due_on, reason = min(candidates)
    overdue = max((on - due_on).days, 0)
    return Due(item.instrument, last_on, due_on, overdue, reason, is_due=due_on <= on)


def _changes(changes: Sequence[dt.date], after: dt.date | None, on: dt.date) -> list[dt.date]:
    return sorted(day for day in changes if (after is None or day > after) and day <= on)


def schedule(
    plan: Iterable[PlanItem],
    last_scores: Mapping[str, dt.date],
    *,
    on: dt.date,
    dose_changes: Sequence[dt.date] = (),
) -> list[Due]:
    """Every item of the plan with its next due date, in plan order."""
    return [
        next_due(item, last_scores.get(item.instrument), on=on, dose_changes=dose_changes)
        for item in plan
    ]


def due_items(
    plan: Iterable[PlanItem],
    last_scores: Mapping[str, dt.date],
    *,
    on: dt.date,
    dose_changes: Sequence[dt.date] = (),
) -> list[Due]:
    """The items due on or before `on`, most overdue first (then by instrument)."""
    found = [
        due for due in schedule(plan, last_scores, on=on, dose_changes=dose_changes) if due.is_due
    ]
    return sorted(found, key=lambda due: (-due.overdue_days, due.instrument))
