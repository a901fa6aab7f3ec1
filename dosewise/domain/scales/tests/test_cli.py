"""`dosewise score`: a stable contract. One line of JSON on stdout and exit 0; bad input is exit 2
with one line on stderr and nothing on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dosewise.cli import main
from dosewise.domain.scales.tests.test_loader import CLINIC_SCREENER

ROOT = Path(__file__).resolve().parents[4]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["score", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("instrument", "answers", "line"),
    [
        (
            "phq9",
            "1,1,1,1,1,1,2,2,0",
            '{"instrument": "PHQ-9", "total": 10, "band": "moderate", "positive": null, "flags": []}',
        ),
        (
            "phq9",
            "0,0,0,0,0,0,0,0,1",
            '{"instrument": "PHQ-9", "total": 1, "band": "minimal", "positive": null, "flags": ["suicide_risk"]}',
        ),
        (
            "phq2",
            "2,1",
            '{"instrument": "PHQ-2", "total": 3, "band": null, "positive": true, "flags": []}',
        ),
        (
            "gad7",
            "3,2,2,2,2,2,2",
            '{"instrument": "GAD-7", "total": 15, "band": "severe", "positive": null, "flags": []}',
        ),
        (
            "gad2",
            "1,1",
            '{"instrument": "GAD-2", "total": 2, "band": null, "positive": false, "flags": []}',
        ),
        (
            "asrs",
            "2,2,2,3,0,0",
            '{"instrument": "ASRS v1.1", "total": 4, "band": null, "positive": true, "flags": []}',
        ),
        (
            "pcl5",
            # At the cut-off, but items 15-20 (cluster E) are only "A little bit": no DSM-5 flag.
            ",".join(["2"] * 13 + ["1"] * 7),
            '{"instrument": "PCL-5", "total": 33, "band": null, "positive": true, "flags": []}',
        ),
        (
            "aims",
            "2,0,0,2,0,0,0,2,1,1,0,1",
            '{"instrument": "AIMS", "total": 4, "band": null, "positive": true, "flags": []}',
        ),
        (
            "asq",
            "0,1,0,0,1",
            '{"instrument": "ASQ", "total": 1, "band": null, "positive": true, "flags": ["suicide_risk", "acute_risk"]}',
        ),
        (
            "asq",
            "0,0,0,0,0",
            '{"instrument": "ASQ", "total": 0, "band": null, "positive": false, "flags": []}',
        ),
    ],
)
def test_prints_one_line_of_json(
    capsys: pytest.CaptureFixture[str], instrument: str, answers: str, line: str
) -> None:
    assert run(capsys, instrument, "--answers", answers) == (0, line + "\n", "")


def test_spaces_after_commas_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gad2", "--answers", "1, 2")
    assert (code, out) == (
        0,
        '{"instrument": "GAD-2", "total": 3, "band": null, "positive": true, "flags": []}\n',
    )


def test_pcl5_threshold_option(capsys: pytest.CaptureFixture[str]) -> None:
    answers = ",".join(["2"] * 11 + ["1"] * 9)  # total 31
    code, out, _ = run(capsys, "pcl5", "--answers", answers)
    assert '"positive": false' in out
    code, out, _ = run(capsys, "pcl5", "--answers", answers, "--threshold", "31")
    assert (code, out) == (
        0,
        '{"instrument": "PCL-5", "total": 31, "band": null, "positive": true, "flags": []}\n',
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("phq8", "--answers", "1"),
            "dosewise: unknown instrument 'phq8'; one of aims, asq, asrs, gad2, gad7, pcl5, phq2, phq9",
        ),
        (
            ("phq9", "--answers", "1,2"),
            "dosewise: PHQ-9 needs 9 answers (items 1-9), got 2: item 3 (sleep) is missing",
        ),
        (
            ("phq9", "--answers", "0,0,0,0,0,0,0,0,0,0"),
            "dosewise: PHQ-9 takes 9 answers (items 1-9), got 10: there is no item 10 to score",
        ),
        (
            ("phq9", "--answers", "1,x,0,0,0,0,0,0,0"),
            "dosewise: PHQ-9 item 2 (depressed mood): 'x' is not a whole number",
        ),
        (
            ("phq9", "--answers", "1,1.5,0,0,0,0,0,0,0"),
            "dosewise: PHQ-9 item 2 (depressed mood): '1.5' is not a whole number",
        ),
        (
            ("phq9", "--answers", "0,0,0,0,0,0,0,0,0,y"),
            "dosewise: PHQ-9 answer 10: 'y' is not a whole number",
        ),
        (
            ("phq9", "--answers", "0,0,0,0,0,0,0,0,4"),
            "dosewise: PHQ-9 item 9 (thoughts of death or self-harm): 4 is not an answer; give 0-3",
        ),
        (
            ("phq9", "--answers", "0,0,,0,0,0,0,0,0"),
            "dosewise: PHQ-9 item 3 (sleep) is not answered",
        ),
        (
            ("phq9", "--answers=-1,0,0,0,0,0,0,0,0"),
            "dosewise: PHQ-9 item 1 (anhedonia): -1 is not an answer; give 0-3",
        ),
        (
            ("aims", "--answers", "0,0,0,0,0,0,0,0,0,0,2,0"),
            "dosewise: AIMS item 11 (teeth or denture problems): 2 is not an answer; give 0 (No) or 1 (Yes)",
        ),
        (
            ("asq", "--answers", "0,0,0,0"),
            "dosewise: ASQ needs 5 answers (items 1-5), got 4: item 5 (thoughts of killing oneself now (acuity)) is missing",
        ),
        (
            ("asrs", "--answers", "0,0,0,0,0,5"),
            "dosewise: ASRS v1.1 item 6 (feeling overly active, driven): 5 is not an answer; give 0-4",
        ),
        (("phq9", "--answers", ""), "dosewise: PHQ-9: --answers is empty"),
        (
            ("phq9", "--answers", "1,\u0663,0,0,0,0,0,0,0"),
            "dosewise: PHQ-9 item 2 (depressed mood): '\u0663' is not a whole number",
        ),
        (
            ("phq9",),
            "dosewise: the following arguments are required: --answers (see dosewise score --help)",
        ),
        (
            ("phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--threshold", "10"),
            "dosewise: PHQ-9 has no adjustable cut-off",
        ),
        (
            ("pcl5", "--answers", ",".join(["0"] * 20), "--threshold", "lots"),
            "dosewise: --threshold 'lots' is not a whole number",
        ),
        (
            ("pcl5", "--answers", ",".join(["0"] * 20), "--threshold", "90"),
            "dosewise: PCL-5 cut-off 90 must be within 1-80",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_stdout(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    assert run(capsys, *args) == (2, "", message + "\n")


def test_missing_instrument_is_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "required: instrument" in err


def test_clinic_instruments_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clinic_screen.toml").write_text(CLINIC_SCREENER)
    code, out, err = run(
        capsys, "clinic_screen", "--answers", "1,0", "--instruments-dir", str(tmp_path)
    )
    assert (code, err) == (0, "")
    assert out == (
        '{"instrument": "Clinic screener", "total": 1, "band": null, "positive": true, '
        '"flags": ["suicide_risk"]}\n'
    )
    (tmp_path / "clinic_screen.toml").write_text(
        CLINIC_SCREENER.replace("[scoring]", "[scoring]\nx = 1")
    )
    code, out, err = run(
        capsys, "clinic_screen", "--answers", "1,0", "--instruments-dir", str(tmp_path)
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "clinic_screen.toml: scoring: unknown field(s) x" in err


def test_console_script_scores_without_django() -> None:
    code = (
        "import sys; from dosewise.cli import main; rc = main(['score', 'phq9', '--answers', "
        "'1,1,1,1,1,1,1,1,2']); print('django' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert (result.returncode, result.stderr.strip()) == (0, "False")
    assert result.stdout == (
        '{"instrument": "PHQ-9", "total": 10, "band": "moderate", "positive": null, '
        '"flags": ["suicide_risk"]}\n'
    )
