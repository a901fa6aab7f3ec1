"""Rating-scale definitions as plain, frozen values (loaded from `instruments/*.toml`).

An instrument is its items (official wording where the licence allows it, always a short label in
our own words), the answer options of each item, and a scoring definition: how the total is formed,
the severity bands, the positive-screen rule and the safety flags. Scoring itself is in
`scoring.py`; nothing here knows about a patient, a date or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Closed vocabulary: the alerting layer acts on every one of these, so an instrument file may not
# invent a new flag that nothing would act on.
FLAGS = ("suicide_risk", "acute_risk", "dsm5_criteria_met")


class Wording(Enum):
    """Whether the official item wording ships with Dosewise."""

    VERBATIM = "verbatim"  # every item carries the owner's wording, unaltered
    NOT_EMBEDDED = "not-embedded"  # licence for software redistribution not confirmed: labels only


class TotalKind(Enum):
    SUM = "sum"  # sum of the answers to `total_items`
    COUNT = "count"  # number of `total_items` answered at or above their own threshold


@dataclass(frozen=True)
class Option:
    """One answer option: the value scored, the printed label, the LOINC answer code if any."""

    value: int
    label: str
    loinc: str = ""


@dataclass(frozen=True)
class Item:
    """One question. `scored` items are the answers `score()` takes, numbered 1..n in order."""

    number: int
    label: str  # short, in our own words; used in messages and tables
    text: str  # the official wording, "" where the wording is not embedded
    options: tuple[Option, ...]
    scored: bool = True
    section: str = ""
    hint: str = ""  # the form's own guidance printed with the item (e.g. "If yes, how? When?")
    loinc: str = ""

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Condition:
    """Either "the total is at least `at_least`" (`items` empty) or "at least `count` of `items`
    are answered at or above `at_least`"."""

    at_least: int
    items: tuple[int, ...] = ()
    count: int = 1

    @property
    def on_total(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Rule:
    """Conditions joined by `any` (at least one holds) or `all` (every one holds)."""

    match: str  # "any" | "all"
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Flag:
    name: str  # one of FLAGS
    rule: Rule


@dataclass(frozen=True)
class Scoring:
    total_kind: TotalKind
    total_items: tuple[int, ...]
    count_thresholds: tuple[tuple[int, int], ...]  # (item, at_least) for TotalKind.COUNT
    total_min: int
    total_max: int
    total_label: str
    bands: tuple[Band, ...]
    positive: Rule | None  # None: not a screener (`positive` is null in the output)
    adjustable_threshold: bool  # the positive rule's total cut-off may be set by the caller
    flags: tuple[Flag, ...]

    @property
    def default_threshold(self) -> int | None:
        if not self.adjustable_threshold or self.positive is None:
            return None
        return self.positive.conditions[0].at_least


@dataclass(frozen=True)
class Instrument:
    """A loaded, validated instrument definition."""

    id: str  # the CLI and storage name: "phq9"
    name: str  # as printed and reported: "PHQ-9"
    title: str
    version: str
    wording: Wording
    wording_note: str
    copyright: str
    licence: str
    source: str
    wording_source: str
    verification: str
    recall_period: str
    stem: str
    instructions: str
    loinc: str
    total_loinc: str
    items: tuple[Item, ...]
    scoring: Scoring
    derived_from: str = ""  # "phq9" for the PHQ-2: its items are the PHQ-9's first two
    origin: str = "shipped"  # "shipped", or the path of a clinic-supplied file

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, number: int) -> Item:
        return self.items[number - 1]
