"""Clozapine and the absolute neutrophil count: what the label says to do with an ANC result.

Answers "this patient on clozapine has this ANC: continue or interrupt, and when is the next
count?" from the clozapine label's ANC table (brief §4.5, source `brief-clozapine-anc`: the label
table for the general population and for benign ethnic neutropenia, BEN, now often called
"Duffy-null associated neutrophil count"). FDA removed the Clozapine REMS in June 2025 but kept
the label's monitoring frequencies: this is decision support, not a dispensing gate.

The category is the ANC grade (normal, mild 1000-1499/uL, moderate 500-999/uL, severe below
500/uL); for a patient with BEN, 1000-1499/uL is normal and 500-999/uL, although graded
moderate, does not interrupt treatment (the label's BEN row: continue, haematology consult).

`recheck_days` is the longest wait before the next count: 1 (daily), 2.33 (three times a week),
7 for a normal count (weekly; the protocol lengthens it to every 2 weeks after 6 months and
monthly after 12 months of treatment, which this function does not know).

Plain values in, plain values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

SOURCE = "brief-clozapine-anc"

DAILY = Decimal(1)
THREE_TIMES_WEEKLY = Decimal("2.33")
WEEKLY = Decimal(7)

NORMAL_SCHEDULE = (
    "Weekly for the first 6 months, every 2 weeks in months 6-12, monthly after 12 months."
)
CONFIRM = "Confirm a first result in this range with a repeat ANC within 24 hours."


class AncCategory(Enum):
    NORMAL = "normal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class AncGuidance:
    """What the label says for one ANC result on clozapine."""

    category: AncCategory
    action: str
    monitoring: str
    interrupt: bool
    recheck_days: Decimal
    source: str = SOURCE

    @property
    def label(self) -> str:
        """The category as the label names it, e.g. "moderate neutropenia"."""
        if self.category is AncCategory.NORMAL:
            return "normal range"
        return f"{self.category.value} neutropenia"


# (lower limit in /uL, inclusive; guidance) from the highest band down: general population.
_GENERAL = (
    (
        Decimal(1500),
        AncGuidance(
            AncCategory.NORMAL,
            action="Continue clozapine.",
            monitoring=NORMAL_SCHEDULE,
            interrupt=False,
            recheck_days=WEEKLY,
        ),
    ),
    (
        Decimal(1000),
        AncGuidance(
            AncCategory.MILD,
            action=f"Continue clozapine. {CONFIRM}",
            monitoring=(
                "Three times weekly until ANC is 1500/uL or more, then return to the last "
                "normal-range interval."
            ),
            interrupt=False,
            recheck_days=THREE_TIMES_WEEKLY,
        ),
    ),
    (
        Decimal(500),
        AncGuidance(
            AncCategory.MODERATE,
            action=(
                "Interrupt clozapine for suspected clozapine-induced neutropenia; recommend a "
                f"haematology consultation; resume once ANC is 1000/uL or more. {CONFIRM}"
            ),
            monitoring=(
                "Daily until ANC is 1000/uL or more, then three times weekly until 1500/uL or "
                "more, then weekly for 4 weeks, then the last normal-range interval."
            ),
            interrupt=True,
            recheck_days=DAILY,
        ),
    ),
    (
        Decimal(0),
        AncGuidance(
            AncCategory.SEVERE,
            action=(
                "Interrupt clozapine for suspected clozapine-induced neutropenia; recommend a "
                "haematology consultation; do not rechallenge unless the benefit outweighs the "
                f"risk. {CONFIRM}"
            ),
            monitoring=(
                "Daily until ANC is 1000/uL or more, then three times weekly until 1500/uL or "
                "more; if rechallenged, monitor as a new patient once ANC is 1500/uL or more."
            ),
            interrupt=True,
            recheck_days=DAILY,
        ),
    ),
)

# Benign ethnic neutropenia (BEN): the label's own table.
_BEN = (
    (
        Decimal(1000),
        AncGuidance(
            AncCategory.NORMAL,
            action=(
                "Continue clozapine (BEN normal range is 1000/uL or more; obtain at least two "
                "baseline ANCs before starting)."
            ),
            monitoring=NORMAL_SCHEDULE,
            interrupt=False,
            recheck_days=WEEKLY,
        ),
    ),
    (
        Decimal(500),
        AncGuidance(
            AncCategory.MODERATE,
            action="Continue clozapine; recommend a haematology consultation.",
            monitoring=(
                "Three times weekly until ANC is 1000/uL or more or at the patient's known "
                "baseline."
            ),
            interrupt=False,
            recheck_days=THREE_TIMES_WEEKLY,
        ),
    ),
    (
        Decimal(0),
        AncGuidance(
            AncCategory.SEVERE,
            action=(
                "Interrupt clozapine; recommend a haematology consultation as for severe "
                "neutropenia."
            ),
            # The brief gives only "interrupt" for this BEN row; daily counts as for severe
            # neutropenia in the general population until the label's BEN steps are checked.
            monitoring=(
                "Daily until the count recovers (see the label's BEN table for the steps back "
                "to the normal schedule)."
            ),
            interrupt=True,
            recheck_days=DAILY,
        ),
    ),
)


def anc_guidance(anc_per_ul: Decimal, *, ben: bool) -> AncGuidance:
    """The label's category, action and monitoring for an ANC (cells per microlitre) on
    clozapine; `ben` selects the benign-ethnic-neutropenia table (brief §4.5)."""
    if not isinstance(anc_per_ul, Decimal) or not anc_per_ul.is_finite() or anc_per_ul < 0:
        raise ValueError(f"ANC must be a non-negative Decimal count per uL, got {anc_per_ul!r}")
    for lower, guidance in _BEN if ben else _GENERAL:
        if anc_per_ul >= lower:
            return guidance
    raise AssertionError("unreachable: the last band starts at 0")  # pragma: no cover


def normal_lower_limit(*, ben: bool) -> Decimal:
    """The lowest ANC (/uL) in the label's normal range: 1500, or 1000 with BEN."""
    return (_BEN if ben else _GENERAL)[0][0]
