import pytest

from dosewise.domain.identifiers import dea_number_problem, dea_schedules_problem, npi_problem


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # CMS check-digit document's worked example
        ("1234567890", False),
        ("123456789", False),
        ("12345678a3", False),
    ],
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    assert (npi_problem(npi) is None) is valid


@pytest.mark.parametrize(
    ("dea", "last_name", "valid"),
    [
        ("AB1234563", "Brown", True),  # 1+3+5 + 2*(2+4+6) = 33 -> check digit 3
        ("AB1234564", "Brown", False),
        ("AB1234563", "Smith", False),
        ("A91234563", "Smith", True),
        ("ZB1234563", "Brown", False),
        ("AB123456", "Brown", False),
    ],
)
def test_dea_number_format_and_check_digit(dea: str, last_name: str, valid: bool) -> None:
    assert (dea_number_problem(dea, last_name=last_name) is None) is valid


def test_unknown_dea_schedule_is_named() -> None:
    assert (
        dea_schedules_problem(["2", "6"]) == "Unknown DEA schedule(s): 6; use 2, 2N, 3, 3N, 4, 5."
    )
    assert dea_schedules_problem(["2", "2N", "5"]) is None
