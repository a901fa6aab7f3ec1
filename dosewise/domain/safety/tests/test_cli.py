"""`dosewise check`: a stable contract. Findings JSON on stdout and exit 0; bad input is exit 2
with one line on stderr and nothing on stdout."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dosewise.cli import main

ROOT = Path(__file__).resolve().parents[4]

CASE = {
    "date": "2026-11-27",
    "patient": {"age": 34, "sex": "female", "pregnant": False, "breastfeeding": False},
    "medications": [
        {
            "drug": "sertraline",
            "dose_mg": 50,
            "times_per_day": 1,
            "start": "2026-01-05",
            "stop": None,
        }
    ],
    "order": {
        "drug": "linezolid",
        "dose_mg": 600,
        "times_per_day": 2,
        "start": "2026-11-27",
        "refills": 0,
    },
}


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args) or ["check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_findings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(monkeypatch, capsys, json.dumps(CASE))
    assert (code, err) == (0, "")
    findings = json.loads(out)["findings"]
    assert [(f["code"], f["severity"], f["drugs"]) for f in findings] == [
        ("linezolid-with-serotonergic", "major", ["linezolid", "sertraline"])
    ]
    assert set(findings[0]) == {
        "code",
        "severity",
        "drugs",
        "message",
        "mechanism",
        "action",
        "source",
    }


def test_brand_names_and_rxcui_resolve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = {
        **CASE,
        "medications": [{"drug": "Zoloft", "dose_mg": 50}],
        "order": {**CASE["order"], "drug": "zyvox"},
    }
    code, out, _ = run(monkeypatch, capsys, json.dumps(case))
    assert code == 0
    assert json.loads(out)["findings"][0]["drugs"] == ["linezolid", "sertraline"]
    case["medications"] = [{"drug": "36437", "dose_mg": 50}]
    code, out, _ = run(monkeypatch, capsys, json.dumps(case))
    assert json.loads(out)["findings"][0]["drugs"] == ["linezolid", "sertraline"]


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    case = json.loads(json.dumps(CASE))
    target = case
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return case


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "malformed JSON on stdin"),
        (
            json.dumps(_with(("order", "drug"), "sertralin")),
            "order.drug: unknown drug 'sertralin'; did you mean sertraline",
        ),
        (
            json.dumps(_with(("medications", 0, "drug"), "unobtainium")),
            "medications[0].drug: unknown drug 'unobtainium'",
        ),
        (json.dumps(_with(("order", "dose_mg"), 0)), "order.dose_mg must be greater than 0"),
        (json.dumps(_with(("order", "dose_mg"), -5)), "order.dose_mg must be greater than 0"),
        (json.dumps(_with(("order", "dose_mg"), "lots")), "order.dose_mg must be a number"),
        (json.dumps(_with(("date",), "2026-13-01")), "date is not a valid date"),
        (
            json.dumps(_with(("medications", 0, "start"), "yesterday")),
            "medications[0].start is not a valid date",
        ),
        (
            json.dumps(
                _with(
                    ("patient", "labs"),
                    [{"test": "lithium", "value": 1.0, "unit": "mg/dL", "date": "2026-11-01"}],
                )
            ),
            "patient.labs[0].unit for lithium must be 'mmol/L'",
        ),
        (
            json.dumps(
                _with(
                    ("patient", "labs"), [{"test": "cholesterol", "value": 1, "date": "2026-11-01"}]
                )
            ),
            "patient.labs[0].test 'cholesterol' is not one of",
        ),
        (json.dumps(_with(("patient", "sex"), "x")), "patient.sex must be female, male or unknown"),
        (json.dumps(_with(("order", "frequency"), "daily")), "order: unknown field 'frequency'"),
        (json.dumps({"patient": {}}), "order is required"),
        (
            json.dumps(_with(("patient", "conditions"), ["bipolar"])),
            "patient.conditions[0] 'bipolar' is not an ICD-10-CM code",
        ),
        (json.dumps([1, 2]), "the document must be an object"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], document: str, message: str
) -> None:
    code, out, err = run(monkeypatch, capsys, document)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_drugs_search_and_show(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, "", "drugs", "search", "sertr")
    assert code == 0
    assert [drug["name"] for drug in json.loads(out)["drugs"]] == ["sertraline"]
    code, out, _ = run(monkeypatch, capsys, "", "drugs", "show", "zoloft")
    shown = json.loads(out)["drug"]
    assert (shown["name"], shown["dosing"]["label_max_mg_per_day"]) == ("sertraline", 200)
    code, out, err = run(monkeypatch, capsys, "", "drugs", "show", "nothing-like-it")
    assert (code, out) == (2, "")
    assert "unknown drug 'nothing-like-it'" in err


def test_console_script_runs_without_django() -> None:
    code = (
        f"import sys, io, json; sys.stdin = io.StringIO(json.dumps({CASE!r})); from dosewise.cli import main; "
        "rc = main(['check']); print('django' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0
    assert result.stderr.strip() == "False"
    assert json.loads(result.stdout)["findings"][0]["code"] == "linezolid-with-serotonergic"
