"""The lab and vital-sign catalogue: codes, units and conversions, entry guard, flags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dosewise.domain import labs
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Verification
from dosewise.domain.labs import Flag, LabContext
from dosewise.domain.safety.facts import LAB_LOINC, LAB_UNITS

FIXED_IDS = [
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
]


def test_test_ids_are_fixed() -> None:
    assert list(labs.catalogue().tests) == FIXED_IDS


def test_every_test_has_a_verified_loinc_code_and_its_evidence() -> None:
    for test in labs.catalogue().tests.values():
        assert test.loinc and test.loinc_evidence, test.id
        assert test.loinc_verification is Verification.VERIFIED, test.id


def test_engine_tests_keep_the_engines_units_and_codes() -> None:
    catalogue = labs.catalogue()
    for test_id, unit in LAB_UNITS.items():
        assert catalogue.tests[test_id].unit == unit
    for code, test_id in LAB_LOINC.items():
        assert catalogue.find(code).id == test_id


def test_every_source_is_defined() -> None:
    sources = default_knowledge().sources
    for test in labs.catalogue().tests.values():
        used = [
            *(option.source for option in test.units),
            *(ref.source for ref in test.references),
            *(threshold.source for threshold in test.thresholds),
            *(code.source for code in test.value_codes),
        ]
        assert set(used) <= set(sources), test.id


@pytest.mark.parametrize(
    ("query", "expected"),
    [("lithium", "lithium"), ("14334-7", "lithium"), ("98979-8", "egfr"), ("57979-7", "hla_b1502")],
)
def test_find_by_id_or_loinc(query: str, expected: str) -> None:
    assert labs.find_test(query).id == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("1234-5", "Unknown LOINC code '1234-5'"),
        ("prolactin", "Unknown test 'prolactin'"),
        ("", "Unknown test ''"),
    ],
)
def test_unknown_test_or_loinc_is_an_error(query: str, message: str) -> None:
    with pytest.raises(labs.UnknownTest, match=message) as caught:
        labs.find_test(query)
    assert caught.value.field == "test"


# (test, entered value, unit, canonical value, source of the conversion)
CONVERSIONS = [
    ("lithium", "1.6", "mEq/L", "1.600", "ucum-exact-identities: mEq/L = mmol/L for Li+"),
    ("lithium", "0.8", "mmol/l", "0.800", "case-insensitive canonical"),
    ("valproate", "80", "ug/mL", "80.000", "UCUM of mcg/mL"),
    ("valproate", "80", "µg/mL", "80.000", "micro sign"),
    ("carbamazepine", "8", "mg/L", "8.000", "ucum-exact-identities: mg/L = ug/mL"),
    ("anc", "1.2", "10*3/uL", "1200.000", "ucum-exact-identities: x1000"),
    ("anc", "0.9", "10^9/L", "900.000", "ucum-exact-identities: 10^9/L = 10^3/uL"),
    ("anc", "1450", "cells/uL", "1450.000", "identity"),
    ("wbc", "6200", "/uL", "6.200", "ucum-exact-identities: /1000"),
    ("platelets", "250", "10*9/L", "250.000", "identity"),
    ("hemoglobin", "135", "g/L", "13.500", "ucum-exact-identities: g/L / 10"),
    ("creatinine", "88.4", "umol/L", "1.000", "ama-si-conversion: 88.4 umol/L per mg/dL"),
    ("creatinine", "106", "µmol/L", "1.199", "ama-si-conversion"),
    ("calcium", "2.5", "mmol/L", "10.020", "ama-si-conversion: mg/dL x 0.2495 = mmol/L"),
    ("glucose_fasting", "7", "mmol/L", "126.103", "ama-si-conversion: mg/dL x 0.05551"),
    ("cholesterol_total", "5.17", "mmol/L", "199.923", "ama-si-conversion: mg/dL x 0.02586"),
    ("triglycerides", "1.7", "mmol/L", "150.576", "ama-si-conversion: mg/dL x 0.01129"),
    ("hba1c", "48", "mmol/mol", "6.542", "ifcc-ngsp-master-equation: 0.0915 x IFCC + 2.15"),
    ("hba1c", "6.5", "%", "6.500", "canonical"),
    ("tsh", "2.1", "uIU/mL", "2.100", "ucum-exact-identities: mIU/L = uIU/mL"),
    ("alt", "35", "IU/L", "35.000", "ucum-exact-identities: U/L = IU/L"),
    ("qtc", "0.52", "s", "520.000", "ucum-exact-identities: s x 1000"),
    ("weight", "154", "lb", "69.853", "intl-yard-pound-1959: 0.45359237 kg/lb"),
    ("waist", "40", "in", "101.600", "intl-yard-pound-1959: 2.54 cm/in"),
    ("heart_rate", "72", "bpm", "72.000", "identity"),
    ("bp_systolic", "128", "mm[Hg]", "128.000", "UCUM of mmHg"),
    ("egfr", "75", "mL/min/{1.73_m2}", "75.000", "UCUM of the engine's unit"),
]


@pytest.mark.parametrize(("test_id", "value", "unit", "canonical", "source"), CONVERSIONS)
def test_conversion_to_canonical(
    test_id: str, value: str, unit: str, canonical: str, source: str
) -> None:
    test = labs.find_test(test_id)
    quantity = labs.to_canonical(test, value, unit)
    assert quantity == labs.Quantity(Decimal(canonical), test.unit), source


@pytest.mark.parametrize(
    ("test_id", "unit", "message"),
    [
        (
            "lithium",
            "mg/dL",
            "Lithium level is not recorded in mg/dL; accepted units: mmol/L, mEq/L.",
        ),
        ("weight", "", "Body weight is not recorded in no unit; accepted units: kg, lb."),
        (
            "anc",
            "%",
            "Absolute neutrophil count (ANC) is not recorded in %; accepted units: /uL, cells/uL, "
            "/mm3, 10*3/uL, 10*9/L.",
        ),
    ],
)
def test_impossible_unit_names_the_accepted_units(test_id: str, unit: str, message: str) -> None:
    with pytest.raises(labs.UnitNotAccepted) as caught:
        labs.to_canonical(labs.find_test(test_id), "1", unit)
    assert str(caught.value) == message
    assert caught.value.field == "unit"


@pytest.mark.parametrize(
    ("test_id", "value", "unit", "message"),
    [
        (
            "lithium",
            "140",
            "mmol/L",
            "140 mmol/L is out of any physical range for Lithium level (0-10 mmol/L); check the "
            "value and its unit.",
        ),
        (
            "glucose_fasting",
            "400",
            "mmol/L",
            "400 mmol/L (7205.909 mg/dL) is out of any physical range for Fasting glucose "
            "(5-3000 mg/dL); check the value and its unit.",
        ),
        ("sodium", "-1", "mmol/L", "The result cannot be negative."),
        ("sodium", "abc", "mmol/L", "Enter the result as a number."),
        ("sodium", "Infinity", "mmol/L", "Enter the result as a number."),
        ("sodium", "140.0001", "mmol/L", "Enter at most 3 decimal places."),
        ("hla_b1502", "1", "", "HLA-B*15:02 is answered with a code, not a number."),
    ],
)
def test_value_out_of_any_physical_range_is_a_clear_error(
    test_id: str, value: str, unit: str, message: str
) -> None:
    with pytest.raises(labs.ValueNotAccepted) as caught:
        labs.to_canonical(labs.find_test(test_id), value, unit)
    assert str(caught.value) == message
    assert caught.value.field == "value"


NONE = LabContext()
CLOZ = LabContext(on_clozapine=True)
CLOZ_BEN = LabContext(on_clozapine=True, ben=True)

# (test, canonical value, context, flag, source of the expected answer)
FLAGS = [
    ("lithium", "0.8", NONE, Flag.NORMAL, "brief §4.1 target 0.6-1.2"),
    ("lithium", "1.3", NONE, Flag.HIGH, "brief §4.1: above the label's acute range 1.2"),
    ("lithium", "1.49", NONE, Flag.HIGH, "brief §4.1"),
    ("lithium", "1.5", NONE, Flag.CRITICAL_HIGH, "brief §4.1: >= 1.5 toxicity likely"),
    ("lithium", "0.4", NONE, Flag.LOW, "brief §4.1: below ISBD 0.60"),
    ("anc", "1400", NONE, Flag.LOW, "brief §4.5 normal >= 1500"),
    ("anc", "1400", LabContext(ben=True), Flag.NORMAL, "brief §4.5 BEN normal >= 1000"),
    ("anc", "1400", CLOZ, Flag.LOW, "brief §4.5 mild: abnormal, continue"),
    ("anc", "999", CLOZ, Flag.CRITICAL_LOW, "brief §4.5 moderate: interrupt"),
    ("anc", "400", CLOZ, Flag.CRITICAL_LOW, "brief §4.5 severe"),
    ("anc", "1200", CLOZ_BEN, Flag.NORMAL, "brief §4.5 BEN normal"),
    ("anc", "800", CLOZ_BEN, Flag.CRITICAL_LOW, "brief §4.5 BEN 500-999: haematology consult"),
    ("anc", "3000", CLOZ, Flag.NORMAL, "brief §4.5"),
    (
        "qtc",
        "500",
        NONE,
        Flag.HIGH,
        "brief §4.8: borderline (widest: 470), critical only above 500",
    ),
    ("qtc", "501", NONE, Flag.CRITICAL_HIGH, "brief §4.8 QTc > 500 ms"),
    ("qtc", "460", LabContext(sex="male"), Flag.HIGH, "brief §4.8 borderline men 450-499"),
    ("qtc", "460", LabContext(sex="female"), Flag.NORMAL, "brief §4.8 borderline women 470"),
    ("sodium", "130", NONE, Flag.LOW, "oxford-everyday-tests 135-145"),
    ("sodium", "140", NONE, Flag.NORMAL, "oxford-everyday-tests"),
    ("potassium", "5.1", NONE, Flag.HIGH, "oxford-everyday-tests 3.5-5.0"),
    ("creatinine", "1.3", NONE, Flag.HIGH, "msd-blood-tests 0.6-1.2"),
    ("hemoglobin", "12.5", LabContext(sex="male"), Flag.LOW, "msd-blood-tests men 13-18"),
    ("hemoglobin", "12.5", LabContext(sex="female"), Flag.NORMAL, "msd-blood-tests women 12-16"),
    ("hemoglobin", "12.5", NONE, Flag.NORMAL, "widest of the sex-specific ranges"),
    ("glucose_fasting", "105", NONE, Flag.HIGH, "ADA prediabetes 100-125 (unverified)"),
    ("glucose_fasting", "90", NONE, Flag.NORMAL, "msd-blood-tests 70-110"),
    ("cholesterol_total", "200", NONE, Flag.HIGH, "ATP III desirable below 200"),
    ("cholesterol_total", "199.9", NONE, Flag.NORMAL, "ATP III"),
    ("hdl", "35", NONE, Flag.LOW, "ATP III low HDL below 40"),
    ("heart_rate", "125", NONE, Flag.HIGH, "brief §4.7 sustained > 120 refer"),
    ("bp_systolic", "120", NONE, Flag.HIGH, "ACC/AHA normal below 120"),
    ("weight", "80", NONE, Flag.NORMAL, "no reference range for weight"),
    ("hla_b1502", "positive", NONE, Flag.ABNORMAL, "brief §4.3 boxed warning"),
    ("hla_b1502", "Negative", NONE, Flag.NORMAL, "brief §4.3"),
]


@pytest.mark.parametrize(("test_id", "value", "context", "flag", "source"), FLAGS)
def test_flags(test_id: str, value: str, context: LabContext, flag: Flag, source: str) -> None:
    given: Decimal | str = value if test_id == "hla_b1502" else Decimal(value)
    assert labs.interpret(test_id, given, context=context).flag is flag, source


def test_critical_lithium_reads_as_a_clinician_would() -> None:
    result = labs.interpret("lithium", Decimal("1.600"))
    assert result.message == (
        "Lithium level 1.6 mmol/L: critical (at or above 1.5 mmol/L): lithium toxicity likely; "
        "above 2.0 mmol/L severe."
    )
    assert result.source == "brief-lithium-levels"
    assert result.is_critical
    assert result.reference is not None and result.reference.text("mmol/L") == "0.6-1.2 mmol/L"


def test_clozapine_anc_carries_the_label_action() -> None:
    result = labs.interpret("anc", Decimal(1200), context=CLOZ)
    assert result.message == (
        "ANC 1200 /uL on clozapine: mild neutropenia (label table, general population)."
    )
    assert result.action.startswith("Continue clozapine. Confirm a first result")
    assert result.anc is not None and result.anc.recheck_days == Decimal("2.33")


def test_out_of_range_message_names_the_range() -> None:
    result = labs.interpret("sodium", Decimal(128))
    assert result.message == "Sodium 128 mmol/L: below the reference range (135-145 mmol/L)."
    assert (result.source, result.verification) == ("oxford-everyday-tests", Verification.VERIFIED)


def test_unknown_value_code_names_the_answers() -> None:
    with pytest.raises(labs.ValueNotAccepted, match="one of: positive, negative"):
        labs.interpret("hla_b1502", "maybe")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('loinc = ["14334-7"]', 'loinc = ["14334-8"]'), "wrong LOINC check digit"),
        (
            (
                'unit = "mmol/L"\nucum = "mmol/L"\ndecimals = 2',
                'unit = "mEq/L"\nucum = "mmol/L"\ndecimals = 2',
            ),
            "safety engine",
        ),
        (('source = "brief-lithium-levels"', 'source = "nowhere"'), "not defined"),
        (('at_or_above = "1.5"', "at_or_above = 1.5"), "quoted decimal"),
        (
            ('flag = "critical-high"\nat_or_above', 'flag = "bad"\nat_or_above'),
            "flag must be one of",
        ),
    ],
)
def test_catalogue_errors_name_the_problem(change: tuple[str, str], message: str) -> None:
    text = labs.CATALOGUE_PATH.read_text(encoding="utf-8")
    old, new = change
    assert old in text
    with pytest.raises(labs.LabCatalogueError, match=message):
        labs.parse_catalogue(text.replace(old, new, 1), source_ids=default_knowledge().sources)


def test_loinc_check_digit_algorithm() -> None:
    # Worked example of the LOINC users' guide (mod 10): 12345 -> check digit 5.
    assert labs._loinc_check_digit("12345") == 5
    for test in labs.catalogue().tests.values():
        for code in test.loinc:
            number, _, check = code.partition("-")
            assert labs._loinc_check_digit(number) == int(check), code
