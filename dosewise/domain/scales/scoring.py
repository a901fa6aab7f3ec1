"""Pure scoring of a rating-scale administration: answers in, total, band, screen and flags out.

Which clinical question each rule answers, and its source, is in the instrument file
(`instruments/<id>.toml`) and in `docs/rating-scales.md`. The rules here are generic over that
data: a total (sum, or count of answers at or above a per-item threshold), the severity band the
total falls in, a positive-screen rule and named flags. An incomplete or out-of-range answer is
an error naming the item: a partial score is never returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from dosewise.domain.scales.loader import Instruments, default_instruments
from dosewise.domain.scales.model import Condition, Instrument, Item, Rule, TotalKind


class ScoreInputError(ValueError):
    """Answers (or a cut-off) that cannot be scored; `item` is the item number at fault, if any."""

    def __init__(self, message: str, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class Score:
    """One scored administration.

    `band` is None for instruments without severity bands; `positive` is None for instruments
    that are not screeners; `flags` are drawn from `model.FLAGS`, in the instrument's order.
    """

    instrument: str  # the instrument's printed name, e.g. "PHQ-9"
    total: int
    band: str | None
    positive: bool | None
    flags: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The `dosewise score` JSON shape, keys in this order."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "positive": self.positive,
            "flags": list(self.flags),
        }


def score(
    instrument_id: str,
    answers: Sequence[int | None],
    *,
    threshold: int | None = None,
    instruments: Instruments | None = None,
) -> Score:
    """Score `answers` (the scored items' values, in item order) for one instrument.

    `threshold` replaces the default total cut-off of an instrument whose cut-off is adjustable
    (the PCL-5: 33 by default, 31-33 depending on the population). Raises UnknownInstrument or
    ScoreInputError.
    """
    registry = instruments if instruments is not None else default_instruments()
    return score_instrument(registry.get(instrument_id), answers, threshold=threshold)


def score_instrument(
    instrument: Instrument, answers: Sequence[int | None], *, threshold: int | None = None
) -> Score:
    """`score()` for an already loaded instrument."""
    values = validate_answers(instrument, answers)
    scoring = instrument.scoring
    positive_rule = scoring.positive
    if threshold is not None:
        positive_rule = _with_threshold(instrument, threshold)
    total = _total(instrument, values)
    band = next((b.label for b in scoring.bands if b.low <= total <= b.high), None)
    if scoring.bands and band is None:  # the loader makes bands cover the range: unreachable
        raise ScoreInputError(f"{instrument.name}: total {total} is in no band")
    return Score(
        instrument=instrument.name,
        total=total,
        band=band,
        positive=None if positive_rule is None else _holds(positive_rule, total, values),
        flags=tuple(flag.name for flag in scoring.flags if _holds(flag.rule, total, values)),
    )


def validate_answers(instrument: Instrument, answers: Sequence[int | None]) -> tuple[int, ...]:
    """Every scored item answered with one of its option values, or ScoreInputError naming it."""
    items = instrument.scored_items
    expected = len(items)
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ScoreInputError(f"{instrument.name}: answers must be a list of {expected} numbers")
    given = len(answers)
    if given < expected:
        missing = items[given]
        raise ScoreInputError(
            f"{instrument.name} needs {expected} answers (items 1-{expected}), got {given}: "
            f"{_name(missing)} is missing",
            missing.number,
        )
    if given > expected:
        raise ScoreInputError(
            f"{instrument.name} takes {expected} answers (items 1-{expected}), got {given}: "
            f"there is no item {expected + 1} to score"
        )
    values = []
    for item, answer in zip(items, answers, strict=True):
        if answer is None:
            raise ScoreInputError(f"{instrument.name} {_name(item)} is not answered", item.number)
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ScoreInputError(
                f"{instrument.name} {_name(item)}: {answer!r} is not a whole number", item.number
            )
        if answer not in item.values:
            raise ScoreInputError(
                f"{instrument.name} {_name(item)}: {answer} is not an answer; {_allowed(item)}",
                item.number,
            )
        values.append(answer)
    return tuple(values)


def _name(item: Item) -> str:
    return f"item {item.number} ({item.label})"


def _allowed(item: Item) -> str:
    values = item.values
    if len(values) == 2:
        first, second = item.options
        return f"give {first.value} ({first.label}) or {second.value} ({second.label})"
    if values == tuple(range(values[0], values[-1] + 1)):
        return f"give {values[0]}-{values[-1]}"
    return f"give one of {', '.join(str(value) for value in values)}"


def _with_threshold(instrument: Instrument, threshold: int) -> Rule:
    scoring = instrument.scoring
    if scoring.positive is None or not scoring.adjustable_threshold:
        raise ScoreInputError(f"{instrument.name} has no adjustable cut-off")
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise ScoreInputError(f"{instrument.name} cut-off {threshold!r} is not a whole number")
    if not scoring.total_min < threshold <= scoring.total_max:
        raise ScoreInputError(
            f"{instrument.name} cut-off {threshold} must be within "
            f"{scoring.total_min + 1}-{scoring.total_max}"
        )
    return Rule(
        match=scoring.positive.match,
        conditions=(replace(scoring.positive.conditions[0], at_least=threshold),),
    )


def _total(instrument: Instrument, values: tuple[int, ...]) -> int:
    scoring = instrument.scoring
    if scoring.total_kind is TotalKind.SUM:
        return sum(values[number - 1] for number in scoring.total_items)
    return sum(1 for number, at_least in scoring.count_thresholds if values[number - 1] >= at_least)


def _condition_holds(condition: Condition, total: int, values: tuple[int, ...]) -> bool:
    if condition.on_total:
        return total >= condition.at_least
    met = sum(1 for number in condition.items if values[number - 1] >= condition.at_least)
    return met >= condition.count


def _holds(rule: Rule, total: int, values: tuple[int, ...]) -> bool:
    results = [_condition_holds(condition, total, values) for condition in rule.conditions]
    return any(results) if rule.match == "any" else all(results)
