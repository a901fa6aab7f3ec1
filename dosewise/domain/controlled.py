"""Controlled-substance rules that depend on the prescriber and the visit history (21 CFR 1306;
DEA telemedicine flexibilities, brief §7)."""

from __future__ import annotations

import datetime as dt

from dosewise.domain.safety.findings import Finding, Severity, finding


def registration_problem(drug_schedule: str, registered: list[str] | tuple[str, ...]) -> str | None:
    """Why a prescriber may not prescribe this schedule, or None. 'N' schedules are non-narcotic."""
    if not drug_schedule:
        return None
    if drug_schedule not in registered:
        return (
            f"Your DEA registration does not cover Schedule {drug_schedule}"
            f"{' (registered: ' + ', '.join(registered) + ')' if registered else ' (no DEA registration on file)'}."
        )
    return None


def refill_problem(drug_schedule: str, refills: int) -> str | None:
    if drug_schedule.startswith("2") and refills:
        return "Schedule II prescriptions cannot have refills (21 CFR 1306.12); issue separate prescriptions with earliest fill dates."
    if drug_schedule[:1] in ("3", "4") and refills > 5:
        return "Schedule III-IV prescriptions allow at most 5 refills within 6 months (21 CFR 1306.22)."
    return None


def telemedicine_finding(
    *, drug: str, drug_schedule: str, seen_in_person: bool, on: dt.date, flexibilities_end: dt.date
) -> Finding | None:
    """A controlled substance for a patient never seen in person (Ryan Haight Act; DEA/HHS
    temporary telemedicine flexibilities)."""
    if not drug_schedule or seen_in_person:
        return None
    if on <= flexibilities_end:
        return finding(
            "controlled-telemedicine-flexibility",
            Severity.MODERATE,
            [drug],
            message=(
                f"Controlled substance for a patient never seen in person: allowed under the DEA telemedicine "
                f"flexibilities until {flexibilities_end.isoformat()}."
            ),
            mechanism="The Ryan Haight Act requires an in-person evaluation; temporary DEA/HHS flexibilities waive it.",
            action=f"Arrange an in-person visit before {flexibilities_end.isoformat()}, or confirm a telemedicine exception applies.",
            source="dea-telemedicine-2026",
        )
    return finding(
        "controlled-telemedicine-in-person-required",
        Severity.MAJOR,
        [drug],
        message="Controlled substance for a patient never seen in person, after the telemedicine flexibilities ended.",
        mechanism="The Ryan Haight Act requires an in-person medical evaluation before prescribing controlled substances.",
        action="See the patient in person first, unless a DEA telemedicine exception applies (document it).",
        source="dea-telemedicine-2026",
    )
