"""What a plan is: dated steps, one per drug per change date, each dose holding until that
drug's next step (a dose of 0 means stop)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from dosewise.domain.safety.findings import Finding


@dataclass(frozen=True)
class PlanStep:
    """From `on`, take `daily_dose_mg` of `drug` (on each dosing day when `every_days` > 1)."""

    on: dt.date
    drug: str
    daily_dose_mg: Decimal
    take: str  # patient wording: "1 tablet of 50 mg a day", "stop"
    every_days: int = 1


@dataclass(frozen=True)
class Plan:
    """A titration, taper or switch: steps in date order, and notes the prescriber must read."""

    kind: str  # "titration" | "taper" | "switch"
    steps: tuple[PlanStep, ...]
    notes: tuple[str, ...]


class PlanError(ValueError):
    """Bad parameters; the message starts with the parameter's name."""


class PlanRefused(Exception):
    """The safety engine found a contraindicated day in the plan."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings


@dataclass
class _Builder:
    """Collects steps and notes while a planner works (not part of the interface)."""

    steps: list[PlanStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
