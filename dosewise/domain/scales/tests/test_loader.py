"""The loader refuses malformed instrument definitions, naming the file, item and field; a
clinic's licensed instrument loads from its own directory and scores like a shipped one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dosewise.domain.scales import (
    FLAGS,
    INSTRUMENTS_DIR,
    InstrumentError,
    Wording,
    default_instruments,
    load_instruments,
    score,
)
from dosewise.domain.scales.loader import loinc_check_digit

HEADER = """
[instrument]
id = "demo"
name = "DEMO-3"
title = "Demonstration scale"
version = "1"
wording = "verbatim"
copyright = "Public domain"
licence = "Public domain"
source = "Test fixture"
wording_source = "Test fixture"
verification = "test only"
"""

BODY = """
[options]
freq = [{ value = 0, label = "Never" }, { value = 1, label = "Sometimes" }, { value = 2, label = "Often" }]

[[item]]
number = 1
label = "first"
text = "First question?"
options = "freq"

[[item]]
number = 2
label = "second"
text = "Second question?"
options = "freq"

[[item]]
number = 3
label = "third"
text = "Third question?"
options = "freq"

[scoring]
total = "sum"
total_items = [1, 2, 3]
bands = [{ low = 0, high = 2, label = "low" }, { low = 3, high = 6, label = "high" }]

[scoring.positive]
match = "any"
conditions = [{ at_least = 4 }]

[[scoring.flag]]
name = "suicide_risk"
match = "any"
conditions = [{ items = [3], at_least = 1 }]
"""

VALID = HEADER + BODY


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    folder = tmp_path / "clinic"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(text)
    return folder


def load_alone(tmp_path: Path, text: str, name: str = "demo") -> None:
    load_instruments(write(tmp_path, text, name))


def test_shipped_instruments_load() -> None:
    instruments = default_instruments()
    assert instruments.ids == ("aims", "asq", "asrs", "gad2", "gad7", "pcl5", "phq2", "phq9")
    assert {name: len(instruments.get(name).scored_items) for name in instruments.ids} == {
        "phq9": 9,
        "phq2": 2,
        "gad7": 7,
        "gad2": 2,
        "asrs": 6,
        "pcl5": 20,
        "aims": 12,
        "asq": 5,
    }


def test_every_shipped_instrument_carries_its_notice_and_licence() -> None:
    for instrument in default_instruments().by_id.values():
        assert instrument.copyright and instrument.licence and instrument.source
        if instrument.wording is Wording.VERBATIM:
            assert all(item.text for item in instrument.items), instrument.id
        else:
            assert instrument.wording_note
            assert not any(item.text for item in instrument.items), instrument.id


def test_only_the_loinc_codes_the_brief_gives_are_present() -> None:
    """Never invent a LOINC code: panel and total codes exist only for the PHQ-9 and GAD-7."""
    codes = {
        instrument.id: (instrument.loinc, instrument.total_loinc)
        for instrument in default_instruments().by_id.values()
    }
    assert codes == {
        "phq9": ("44249-1", "44261-6"),
        "gad7": ("69737-5", "70274-6"),
        "phq2": ("", ""),
        "gad2": ("", ""),
        "asrs": ("", ""),
        "pcl5": ("", ""),
        "aims": ("", ""),
        "asq": ("", ""),
    }


def test_asrs_wording_is_not_embedded() -> None:
    """Brief 1.1: redistribution of the ASRS inside software is not confirmed."""
    asrs = default_instruments().get("asrs")
    assert asrs.wording is Wording.NOT_EMBEDDED
    assert [item.section for item in asrs.items] == ["Part A"] * 6 + ["Part B"] * 12
    assert [item.scored for item in asrs.items] == [True] * 6 + [False] * 12


def test_phq2_and_gad2_reuse_the_parent_items() -> None:
    instruments = default_instruments()
    assert instruments.get("phq2").items == instruments.get("phq9").items[:2]
    assert instruments.get("gad2").items == instruments.get("gad7").items[:2]


def test_no_c_ssrs_items_ship() -> None:
    """The C-SSRS is licensed exclusively for electronic use (brief 1.1): nothing of it ships."""
    for path in INSTRUMENTS_DIR.glob("*.toml"):
        text = path.read_text().lower()
        assert "c-ssrs" not in text and "columbia" not in text, path.name


@pytest.mark.parametrize(
    ("code", "digit"), [("44249", 1), ("44261", 6), ("69737", 5), ("70274", 6), ("44260", 8)]
)
def test_loinc_check_digit(code: str, digit: int) -> None:
    assert loinc_check_digit(code) == digit


def test_valid_fixture_loads(tmp_path: Path) -> None:
    instruments = load_instruments(write(tmp_path, VALID))
    demo = instruments.get("demo")
    assert (demo.scoring.total_min, demo.scoring.total_max) == (0, 6)
    assert [flag.name for flag in demo.scoring.flags] == ["suicide_risk"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "demo"', 'id = "other"', "id 'other' must match the file name 'demo'"),
        ('id = "demo"', 'id = "Demo"', "id 'Demo' must be lower-case"),
        ('copyright = "Public domain"\n', "", "copyright is required"),
        ('licence = "Public domain"\n', "", "licence is required"),
        ('source = "Test fixture"\n', "", "source is required"),
        ('wording = "verbatim"', 'wording = "paraphrased"', "wording 'paraphrased' must be"),
        ('wording = "verbatim"', 'wording = "not-embedded"', "wording_note is required"),
        ('version = "1"', 'version = "1"\ncolour = "red"', "unknown field(s) colour"),
        ('version = "1"', 'version = "1"\nloinc = "44249-2"', "loinc '44249-2' has a wrong check"),
        ('version = "1"', 'version = "1"\nloinc = "LOINC-1"', "'LOINC-1' is not a LOINC code"),
        ('label = "Never" }', 'label = "Never", loinc = "X1" }', "not a LOINC answer code"),
        (
            '{ value = 2, label = "Often" }',
            '{ value = 1, label = "Often" }',
            "distinct and ascending",
        ),
        ('{ value = 2, label = "Often" }', '{ value = true, label = "Often" }', "whole number"),
        ('text = "Second question?"', 'text = ""', "item[1]: text is required"),
        ('label = "second"', 'label = ""', "item[1]: label is required"),
        (
            'options = "freq"\n\n[[item]]\nnumber = 2',
            'options = "nope"\n\n[[item]]\nnumber = 2',
            "options 'nope' is not defined",
        ),
        ("number = 3", "number = 4", "items must be numbered 1..3 in order"),
        (
            'text = "First question?"',
            'text = "First question?"\nscored = false',
            "scored items must come first",
        ),
        (
            'text = "First question?"',
            'text = "First question?"\nscored = "no"',
            "scored must be true or false",
        ),
        ('total = "sum"', 'total = "mean"', "total 'mean' must be 'sum' or 'count'"),
        ("total_items = [1, 2, 3]", "total_items = [1, 2, 4]", "item 4 is not a scored item"),
        ("total_items = [1, 2, 3]", "total_items = [1, 1, 3]", "lists an item twice"),
        (
            '{ low = 3, high = 6, label = "high" }',
            '{ low = 4, high = 6, label = "high" }',
            "band 'high' starts at 4, expected 3",
        ),
        (
            '{ low = 3, high = 6, label = "high" }',
            '{ low = 3, high = 5, label = "high" }',
            "bands end at 5, the total goes to 6",
        ),
        (
            '{ low = 3, high = 6, label = "high" }',
            '{ low = 3, high = 6, label = "low" }',
            "band labels must be distinct",
        ),
        (
            '{ low = 0, high = 2, label = "low" }',
            '{ low = 0, high = -1, label = "low" }',
            "low is above high",
        ),
        (
            'match = "any"\nconditions = [{ at_least = 4 }]',
            'match = "most"\nconditions = [{ at_least = 4 }]',
            "match 'most' must be 'any' or 'all'",
        ),
        (
            "conditions = [{ at_least = 4 }]",
            "conditions = [{ at_least = 7 }]",
            "total cut-off 7 must be within 1-6",
        ),
        (
            "conditions = [{ at_least = 4 }]",
            "conditions = [{ at_least = 0 }]",
            "total cut-off 0 must be within 1-6",
        ),
        (
            "conditions = [{ at_least = 4 }]",
            "conditions = []",
            "conditions must be a non-empty list",
        ),
        (
            "conditions = [{ at_least = 4 }]",
            "conditions = [{ at_least = 4, count = 2 }]",
            "count applies to items",
        ),
        (
            "conditions = [{ at_least = 4 }]",
            "conditions = [{ at_least = 4 }]\nadjustable_threshold = 1",
            "adjustable_threshold must be true or false",
        ),
        (
            "conditions = [{ items = [3], at_least = 1 }]",
            "conditions = [{ items = [3], at_least = 3 }]",
            "at_least 3 can never separate answers to item 3",
        ),
        (
            "conditions = [{ items = [3], at_least = 1 }]",
            "conditions = [{ items = [3], at_least = 0 }]",
            "at_least 0 can never separate",
        ),
        (
            "conditions = [{ items = [3], at_least = 1 }]",
            "conditions = [{ items = [3], at_least = 1, count = 2 }]",
            "count 2 must be between 1 and 1",
        ),
        (
            "conditions = [{ items = [3], at_least = 1 }]",
            "conditions = [{ items = [3], at_least = 1, weight = 2 }]",
            "unknown field(s) weight",
        ),
        ('name = "suicide_risk"', 'name = "feeling_sad"', "flag 'feeling_sad' is not one of"),
        ("[scoring]", "[scoring]\nmethod = 1", "unknown field(s) method"),
    ],
)
def test_malformed_definitions_fail_loudly(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in VALID, old
    with pytest.raises(InstrumentError) as caught:
        load_alone(tmp_path, VALID.replace(old, new, 1))
    assert message in str(caught.value)
    assert "demo.toml" in str(caught.value) or "clinic" in str(caught.value)


def test_adjustable_threshold_needs_a_single_total_condition(tmp_path: Path) -> None:
    text = VALID.replace(
        "conditions = [{ at_least = 4 }]",
        "conditions = [{ at_least = 4 }, { items = [1], at_least = 2 }]\nadjustable_threshold = true",
    )
    with pytest.raises(InstrumentError, match="needs a single total cut-off condition"):
        load_alone(tmp_path, text)


def test_a_flag_defined_twice_is_refused(tmp_path: Path) -> None:
    flag = '\n[[scoring.flag]]\nname = "suicide_risk"\nmatch = "any"\nconditions = [{ items = [1], at_least = 1 }]\n'
    with pytest.raises(InstrumentError, match="a flag is defined twice"):
        load_alone(tmp_path, VALID + flag)


def test_missing_scoring_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match=r"\[scoring\] is required"):
        load_alone(tmp_path, VALID[: VALID.index("[scoring]")])
    with pytest.raises(InstrumentError, match="not valid TOML"):
        load_alone(tmp_path, VALID + "\n[broken")


def test_count_totals_need_items_per_group(tmp_path: Path) -> None:
    text = VALID.replace(
        'total = "sum"\ntotal_items = [1, 2, 3]',
        'total = "count"\ncount = [{ at_least = 1 }]',
    )
    with pytest.raises(InstrumentError, match="count\\[0\\]: items is required"):
        load_alone(tmp_path, text)
    text = VALID.replace('total = "sum"', 'total = "count"')
    with pytest.raises(InstrumentError, match="takes its items from count"):
        load_alone(tmp_path, text)


def test_not_embedded_wording_must_not_carry_text(tmp_path: Path) -> None:
    text = VALID.replace(
        'wording = "verbatim"', 'wording = "not-embedded"\nwording_note = "licence pending"'
    )
    with pytest.raises(InstrumentError, match="text given, but the instrument's wording"):
        load_alone(tmp_path, text)


def test_derived_instrument_must_take_the_parents_first_items(tmp_path: Path) -> None:
    derived = HEADER.replace('id = "demo"', 'id = "demo2"') + (
        '\n[items_from]\ninstrument = "demo"\nitems = [2, 3]\n\n'
        '[scoring]\ntotal = "sum"\ntotal_items = [1, 2]\n'
    )
    folder = write(tmp_path, VALID)
    (folder / "demo2.toml").write_text(derived)
    with pytest.raises(InstrumentError, match="must be the parent's first items"):
        load_instruments(folder)
    (folder / "demo2.toml").write_text(derived.replace('"demo"\nitems', '"nothing"\nitems'))
    with pytest.raises(InstrumentError, match="instrument 'nothing' is not defined"):
        load_instruments(folder)
    (folder / "demo2.toml").write_text(derived.replace("items = [2, 3]", "items = [1, 2]"))
    instruments = load_instruments(folder)
    assert instruments.get("demo2").items == instruments.get("demo").items[:2]
    assert instruments.get("demo2").derived_from == "demo"


def test_an_empty_or_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="not a directory"):
        load_instruments(tmp_path / "absent")
    with pytest.raises(InstrumentError, match="no instrument files"):
        load_instruments(tmp_path)


# A clinic holding a licence adds its instrument from its own directory. This skeleton has the
# shape of a yes/no suicide-risk screener WITHOUT any licensed wording (our own placeholders).
CLINIC_SCREENER = """
[instrument]
id = "clinic_screen"
name = "Clinic screener"
title = "Licensed suicide-risk screener (clinic-supplied)"
version = "clinic copy 1"
wording = "verbatim"
copyright = "(the owner's notice, as licensed to the clinic)"
licence = "Electronic-use licence held by the clinic"
source = "(the owner's citation)"
wording_source = "licensed electronic version"
verification = "clinic"

[options]
yes_no = [{ value = 0, label = "No" }, { value = 1, label = "Yes" }]

[[item]]
number = 1
label = "placeholder 1"
text = "(licensed wording of question 1)"
options = "yes_no"

[[item]]
number = 2
label = "placeholder 2"
text = "(licensed wording of question 2)"
options = "yes_no"

[scoring]
total = "count"
count = [{ items = [1, 2], at_least = 1 }]

[scoring.positive]
match = "any"
conditions = [{ items = [1, 2], at_least = 1 }]

[[scoring.flag]]
name = "suicide_risk"
match = "any"
conditions = [{ items = [1, 2], at_least = 1 }]

[[scoring.flag]]
name = "acute_risk"
match = "any"
conditions = [{ items = [2], at_least = 1 }]
"""


def test_a_clinic_adds_a_licensed_instrument_from_its_own_directory(tmp_path: Path) -> None:
    folder = write(tmp_path, CLINIC_SCREENER, "clinic_screen")
    instruments = load_instruments(extra_dirs=[folder])
    assert "clinic_screen" in instruments.ids and "phq9" in instruments.ids
    screener = instruments.get("clinic_screen")
    assert screener.origin == str(folder / "clinic_screen.toml")
    assert instruments.get("phq9").origin == "shipped"
    result = score("clinic_screen", [0, 1], instruments=instruments)
    assert result.as_dict() == {
        "instrument": "Clinic screener",
        "total": 1,
        "band": None,
        "positive": True,
        "flags": ["suicide_risk", "acute_risk"],
    }


def test_a_clinic_file_cannot_replace_a_shipped_instrument(tmp_path: Path) -> None:
    text = CLINIC_SCREENER.replace('id = "clinic_screen"', 'id = "phq9"')
    folder = write(tmp_path, text, "phq9")
    with pytest.raises(InstrumentError, match="instrument 'phq9' is already defined"):
        load_instruments(extra_dirs=[folder])


def test_flag_vocabulary_is_closed() -> None:
    assert FLAGS == ("suicide_risk", "acute_risk", "dsm5_criteria_met")
