"""The inputs of a safety check, as plain values, and the context the rules share."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import Drug

# Lab tests the rules read, with the only unit each is accepted in.
LAB_UNITS = {
    "lithium": "mmol/L",
    "valproate": "mcg/mL",
    "anc": "/uL",
    "qtc": "ms",
    "sodium": "mmol/L",
    "potassium": "mmol/L",
    "egfr": "mL/min/1.73m2",
    "alt": "U/L",
}
# LOINC codes accepted in place of the short names.
LAB_LOINC = {
    "14334-7": "lithium",
    "4086-5": "valproate",
    "751-8": "anc",
    "8636-3": "qtc",
    "2951-2": "sodium",
    "2823-3": "potassium",
    "62238-1": "egfr",
    "33914-3": "egfr",
    "1742-6": "alt",
}


class Sex(Enum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Lab:
    test: str  # one of LAB_UNITS
    value: Decimal
    unit: str
    on: dt.date


@dataclass(frozen=True)
class PatientFacts:
    """What the rules know about the patient; None means not known (never 'no')."""

    age: int | None = None
    sex: Sex = Sex.UNKNOWN
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    childbearing_potential: bool | None = None
    weight_kg: Decimal | None = None
    smoker: bool | None = None
    smoking_changed_on: dt.date | None = None
    allergies: tuple[str, ...] = ()
    intolerances: tuple[str, ...] = ()  # non-immune adverse reactions (nausea, sedation)
    conditions: tuple[str, ...] = ()  # ICD-10-CM codes
    labs: tuple[Lab, ...] = ()

    def latest(self, test: str) -> Lab | None:
        matching = [lab for lab in self.labs if lab.test == test]
        return max(matching, key=lambda lab: lab.on) if matching else None

    def has_condition(self, *prefixes: str) -> bool:
        return any(
            code.upper().startswith(prefix) for code in self.conditions for prefix in prefixes
        )


@dataclass(frozen=True)
class Medication:
    """A drug in the regimen (current, outside, or stopped) with its dose."""

    drug: Drug
    dose_mg: Decimal | None = None
    times_per_day: Decimal | None = None
    start: dt.date | None = None
    stop: dt.date | None = None
    refills: int | None = None
    days_supply: int | None = None

    @property
    def daily_mg(self) -> Decimal | None:
        if self.dose_mg is None:
            return None
        return self.dose_mg * (self.times_per_day or Decimal(1))

    def is_active(self, on: dt.date) -> bool:
        started = self.start is None or self.start <= on
        return started and (self.stop is None or self.stop > on)


@dataclass(frozen=True)
class Order:
    """The proposed prescription (a new drug, or a new dose of a current one)."""

    drug: Drug
    dose_mg: Decimal
    times_per_day: Decimal = Decimal(1)
    start: dt.date | None = None
    refills: int = 0
    days_supply: int | None = None

    @property
    def daily_mg(self) -> Decimal:
        return self.dose_mg * self.times_per_day


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at, computed once per check."""

    order: Order
    patient: PatientFacts
    knowledge: Knowledge
    on: dt.date
    active: tuple[Medication, ...]  # current, excluding the ordered drug itself
    recently_stopped: tuple[tuple[Medication, int], ...]  # (medication, days since stop)
    previous: Medication | None  # the ordered drug in the current regimen (a dose change)
    unknown_facts: list[str] = field(default_factory=list)

    @functools.cached_property
    def present(self) -> tuple[Drug, ...]:
        """Drugs still acting: current ones and those stopped less than five half-lives ago."""
        lingering = [
            med.drug for med, days in self.recently_stopped if days < med.drug.washout_days
        ]
        return tuple(dict.fromkeys([med.drug for med in self.active] + lingering))

    @functools.cached_property
    def others(self) -> tuple[Drug, ...]:
        """Drugs present other than the ordered one."""
        return tuple(drug for drug in self.present if drug.name != self.order.drug.name)

    def note_unknown(self, fact: str) -> None:
        if fact not in self.unknown_facts:
            self.unknown_facts.append(fact)


def build_context(
    order: Order,
    regimen: Iterable[Medication],
    patient: PatientFacts,
    knowledge: Knowledge,
    on: dt.date,
) -> Context:
    active: list[Medication] = []
    stopped: list[tuple[Medication, int]] = []
    previous: Medication | None = None
    for med in regimen:
        if med.is_active(on):
            if med.drug.name == order.drug.name:
                previous = med
            else:
                active.append(med)
        elif med.stop is not None and med.stop <= on:
            stopped.append((med, (on - med.stop).days))
    # Keep only the most recent stop of each drug.
    latest: dict[str, tuple[Medication, int]] = {}
    for med, days in stopped:
        if med.drug.name not in latest or days < latest[med.drug.name][1]:
            latest[med.drug.name] = (med, days)
    return Context(
        order=order,
        patient=patient,
        knowledge=knowledge,
        on=on,
        active=tuple(active),
        recently_stopped=tuple(latest.values()),
        previous=previous,
    )
