"""The clozapine label's ANC table (brief §4.5): category, action, interruption and next count."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dosewise.domain.clozapine import (
    AncCategory,
    AncGuidance,
    anc_guidance,
    normal_lower_limit,
)
from dosewise.domain.knowledge.loader import default_knowledge

LABEL = "brief §4.5 (clozapine label ANC table via CNS Drugs 2022;36:659)"

# (ANC /uL, BEN, category, interrupt, recheck days, source of the expected answer)
CASES = [
    (
        "1500",
        False,
        AncCategory.NORMAL,
        False,
        "7",
        LABEL + ": normal >= 1500, weekly first 6 months",
    ),
    ("4200", False, AncCategory.NORMAL, False, "7", LABEL),
    ("1499", False, AncCategory.MILD, False, "2.33", LABEL + ": mild 1000-1499, 3x weekly"),
    ("1000", False, AncCategory.MILD, False, "2.33", LABEL),
    ("999", False, AncCategory.MODERATE, True, "1", LABEL + ": moderate 500-999, interrupt, daily"),
    ("500", False, AncCategory.MODERATE, True, "1", LABEL),
    ("499", False, AncCategory.SEVERE, True, "1", LABEL + ": severe < 500, interrupt, daily"),
    ("0", False, AncCategory.SEVERE, True, "1", LABEL),
    ("1200", True, AncCategory.NORMAL, False, "7", LABEL + ": BEN normal >= 1000"),
    ("1000", True, AncCategory.NORMAL, False, "7", LABEL),
    ("999", True, AncCategory.MODERATE, False, "2.33", LABEL + ": BEN 500-999 continue, 3x weekly"),
    ("500", True, AncCategory.MODERATE, False, "2.33", LABEL),
    ("499", True, AncCategory.SEVERE, True, "1", LABEL + ": BEN < 500 interrupt"),
]


@pytest.mark.parametrize(("anc", "ben", "category", "interrupt", "recheck", "source"), CASES)
def test_label_table(
    anc: str, ben: bool, category: AncCategory, interrupt: bool, recheck: str, source: str
) -> None:
    guidance = anc_guidance(Decimal(anc), ben=ben)
    assert (guidance.category, guidance.interrupt, guidance.recheck_days) == (
        category,
        interrupt,
        Decimal(recheck),
    ), source
    assert guidance.source == "brief-clozapine-anc"


def test_wording_of_each_general_population_row() -> None:
    moderate = anc_guidance(Decimal(800), ben=False)
    assert moderate.action == (
        "Interrupt clozapine for suspected clozapine-induced neutropenia; recommend a "
        "haematology consultation; resume once ANC is 1000/uL or more. Confirm a first result "
        "in this range with a repeat ANC within 24 hours."
    )
    assert moderate.monitoring == (
        "Daily until ANC is 1000/uL or more, then three times weekly until 1500/uL or more, "
        "then weekly for 4 weeks, then the last normal-range interval."
    )
    assert moderate.label == "moderate neutropenia"
    normal = anc_guidance(Decimal(2000), ben=False)
    assert normal.monitoring == (
        "Weekly for the first 6 months, every 2 weeks in months 6-12, monthly after 12 months."
    )
    assert normal.label == "normal range"
    assert "do not rechallenge" in anc_guidance(Decimal(100), ben=False).action


def test_ben_moderate_continues_with_a_haematology_consultation() -> None:
    assert anc_guidance(Decimal(700), ben=True) == AncGuidance(
        AncCategory.MODERATE,
        action="Continue clozapine; recommend a haematology consultation.",
        monitoring=(
            "Three times weekly until ANC is 1000/uL or more or at the patient's known baseline."
        ),
        interrupt=False,
        recheck_days=Decimal("2.33"),
    )


def test_normal_lower_limit() -> None:
    assert normal_lower_limit(ben=False) == Decimal(1500)
    assert normal_lower_limit(ben=True) == Decimal(1000)


@pytest.mark.parametrize("bad", [Decimal(-1), Decimal("NaN"), 1500])
def test_refuses_what_is_not_a_count(bad: object) -> None:
    with pytest.raises(ValueError, match="ANC must be a non-negative Decimal"):
        anc_guidance(bad, ben=False)  # type: ignore[arg-type]


def test_source_is_defined() -> None:
    assert "brief-clozapine-anc" in default_knowledge().sources
