"""The PHQ-9 and GAD-7 definitions match the FHIR Questionnaires in shared/data word for word:
item wording, LOINC item, answer and score codes, and the answer values (PROVENANCE.md gives
their sources and licences). Skipped where shared/ is not beside the checkout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dosewise.domain.scales import Instrument, default_instruments

QUESTIONNAIRES = Path(__file__).resolve().parents[5] / "shared" / "data" / "questionnaires"

pytestmark = pytest.mark.skipif(
    not QUESTIONNAIRES.is_dir(), reason="shared/data/questionnaires is not beside the checkout"
)

WEIGHT_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
)


def questionnaire(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((QUESTIONNAIRES / name).read_text(encoding="utf-8"))
    return document


def loinc(element: dict[str, Any]) -> str:
    codes = [c["code"] for c in element.get("code", []) if c["system"] == "http://loinc.org"]
    return codes[0] if codes else ""


def options(element: dict[str, Any]) -> list[tuple[int | None, str, str]]:
    """(value, label, LOINC answer code) per answer option, value None where the file has none."""
    found = []
    for option in element["answerOption"]:
        weights = [
            e["valueDecimal"] for e in option.get("extension", []) if e["url"] in WEIGHT_URLS
        ]
        coding = option["valueCoding"]
        found.append((int(weights[0]) if weights else None, coding["display"], coding["code"]))
    return found


def ours(instrument: Instrument, number: int) -> list[tuple[int | None, str, str]]:
    return [(o.value, o.label, o.loinc) for o in instrument.item(number).options]


def test_phq9_matches_the_loinc_questionnaire() -> None:
    document = questionnaire("phq9_lforms_r4.json")
    phq9 = default_instruments().get("phq9")
    assert loinc(document) == phq9.loinc == "44249-1"
    items = document["item"]
    questions = [item for item in items if item["type"] == "choice"]
    assert len(questions) == 10
    for number, question in enumerate(questions, start=1):
        item = phq9.item(number)
        assert (item.text, item.loinc) == (question["text"], loinc(question)), number
        if number <= 9:
            assert ours(phq9, number) == options(question), number
        else:
            # The difficulty item has no ordinal values in the file; ours number them 0-3 in
            # the file's order, and the item is not scored.
            assert [(label, code) for _, label, code in ours(phq9, 10)] == [
                (label, code) for _, label, code in options(question)
            ]
            assert not item.scored
    totals = [item for item in items if item["type"] == "decimal"]
    assert [loinc(item) for item in totals] == [phq9.total_loinc] == ["44261-6"]


def test_gad7_matches_the_mii_questionnaire() -> None:
    document = questionnaire("gad7_mii_r4.json")
    gad7 = default_instruments().get("gad7")
    assert loinc(document) == gad7.loinc == "69737-5"
    assert "Pfizer" in document["copyright"] and "Pfizer" in gad7.copyright
    items = document["item"]
    intro = [item for item in items if item["type"] == "display"]
    assert [item["text"] for item in intro] == [gad7.stem]
    questions = [item for item in items if item["type"] == "choice"]
    assert [item["text"] for item in questions] == [item.text for item in gad7.items]
    for number, question in enumerate(questions, start=1):
        assert ours(gad7, number) == options(question), number
        assert loinc(question) == gad7.item(number).loinc == ""  # the file gives no item codes
    totals = [item for item in items if item["type"] == "decimal"]
    assert [loinc(item) for item in totals] == [gad7.total_loinc] == ["70274-6"]


def test_two_item_versions_carry_the_same_words() -> None:
    instruments = default_instruments()
    assert [item.text for item in instruments.get("phq2").items] == [
        "Little interest or pleasure in doing things?",
        "Feeling down, depressed, or hopeless?",
    ]
    assert [item.text for item in instruments.get("gad2").items] == [
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
    ]
