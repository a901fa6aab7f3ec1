"""Check digits of the US prescriber identifiers a prescription carries.

A typo in an NPI or DEA number makes a controlled-substance prescription unfillable, so both
are checked when a prescriber's credentials are entered.
"""

from __future__ import annotations

import re

# CMS, "Requirements for National Provider Identifier (NPI) and NPI Enumeration": the tenth
# digit is a Luhn check digit computed over the prefix 80840 followed by the first nine digits.
_NPI_PREFIX = "80840"

# DEA registrant types (first letter). Source: DEA Diversion Control Division, registration
# number format (21 CFR 1301); "X" marks a DATA-waiver number, no longer issued after 2023.
_DEA_REGISTRANT_LETTERS = "ABCDEFGHJKLMPRSTUX"
_DEA_PATTERN = re.compile(rf"^[{_DEA_REGISTRANT_LETTERS}][A-Z9]\d{{7}}$")

# Schedules a DEA registration can cover; "N" marks the non-narcotic part of II and III.
DEA_SCHEDULES = ("2", "2N", "3", "3N", "4", "5")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def npi_problem(npi: str) -> str | None:
    """Why `npi` is not a valid National Provider Identifier, or None if it is."""
    if not re.fullmatch(r"\d{10}", npi):
        return "An NPI is exactly 10 digits."
    if not _luhn_valid(_NPI_PREFIX + npi):
        return "This NPI's check digit is wrong; check for a typing error."
    return None


def dea_number_problem(dea_number: str, *, last_name: str) -> str | None:
    """Why `dea_number` is not a well-formed DEA registration number, or None if it is."""
    number = dea_number.upper()
    if not _DEA_PATTERN.fullmatch(number):
        return "A DEA number is two letters followed by seven digits (e.g. AB1234563)."
    second = number[1]
    initial = last_name[:1].upper()
    if second != "9" and initial and second != initial:
        return (
            "The second letter of a DEA number is the first letter of the prescriber's last name."
        )
    digits = [int(char) for char in number[2:]]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    if check != digits[6]:
        return "This DEA number's check digit is wrong; check for a typing error."
    return None


def dea_schedules_problem(schedules: list[str]) -> str | None:
    unknown = [schedule for schedule in schedules if schedule not in DEA_SCHEDULES]
    if unknown:
        return f"Unknown DEA schedule(s): {', '.join(unknown)}; use {', '.join(DEA_SCHEDULES)}."
    return None
