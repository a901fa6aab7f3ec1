"""Prescription arithmetic and wording: the sig, quantity and days' supply, quantities in words.

Pure functions over Decimals; the prescribing service and the printable prescription use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

# When in the day a scheduled dose is taken, in the order of a day.
TIMINGS = ("morning", "noon", "evening", "bedtime")

_TIMING_WORDS = {
    "morning": "in the morning",
    "noon": "at noon",
    "evening": "in the evening",
    "bedtime": "at bedtime",
}
_FREQUENCY_WORDS = {
    Decimal(1): "once daily",
    Decimal(2): "twice daily",
    Decimal(3): "three times daily",
    Decimal(4): "four times daily",
}
_ROUTE_WORDS = {
    "oral": "by mouth",
    "sublingual": "under the tongue",
    "transdermal": "to the skin",
    "nasal": "in the nose",
    "intramuscular": "by intramuscular injection",
}


class SigError(ValueError):
    """The dose description does not make sense; the message names the field."""


@dataclass(frozen=True)
class Dose:
    """One administration: `amount` `unit`s of a product of `strength_mg` per unit."""

    amount: Decimal  # e.g. 1, 0.5, 2
    unit: str  # tablet, capsule, mL, patch, mg (for products dosed in mg directly)
    strength_mg: Decimal  # mg per unit; for "mg" the unit is 1 mg

    @property
    def mg(self) -> Decimal:
        return self.amount * (Decimal(1) if self.unit == "mg" else self.strength_mg)


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return {"0.5": "1/2", "0.25": "1/4", "1.5": "1 1/2"}.get(text, text)


def _plural(unit: str, amount: Decimal) -> str:
    if unit in ("mg", "mL") or amount <= 1:
        return unit
    return unit + "s"


def validate(
    dose: Dose, *, times_per_day: Decimal | None, prn: bool, prn_max_per_day: Decimal | None
) -> None:
    if dose.amount <= 0:
        raise SigError("dose_amount must be greater than 0")
    if dose.strength_mg <= 0:
        raise SigError("strength_mg must be greater than 0")
    if not prn and (times_per_day is None or times_per_day <= 0):
        raise SigError("times_per_day must be given for a scheduled medication")
    if prn and (prn_max_per_day is None or prn_max_per_day <= 0):
        raise SigError("prn_max_per_day must be given for an as-needed medication")


def sig(
    dose: Dose,
    *,
    route: str,
    times_per_day: Decimal | None,
    timings: tuple[str, ...] = (),
    prn: bool = False,
    prn_max_per_day: Decimal | None = None,
    prn_reason: str = "",
) -> str:
    """'Take 1 tablet (50 mg) by mouth once daily in the morning.'"""
    validate(dose, times_per_day=times_per_day, prn=prn, prn_max_per_day=prn_max_per_day)
    unknown = [timing for timing in timings if timing not in TIMINGS]
    if unknown:
        raise SigError(f"timings: unknown time of day {unknown[0]!r}; use {', '.join(TIMINGS)}")
    verb = {"transdermal": "Apply", "nasal": "Use", "intramuscular": "Give"}.get(route, "Take")
    what = f"{_number(dose.amount)} {_plural(dose.unit, dose.amount)}"
    if dose.unit != "mg":
        what += f" ({dose.mg.normalize():f} mg)"
    how = _ROUTE_WORDS.get(route, f"by {route} route")
    if prn:
        reason = f" for {prn_reason}" if prn_reason else ""
        return f"{verb} {what} {how} as needed{reason}; no more than {_number(prn_max_per_day or Decimal(0))} doses in 24 hours."
    if times_per_day is None:  # validate() refuses this; keeps the type narrow
        raise SigError("times_per_day must be given for a scheduled medication")
    if timings and len(timings) == times_per_day:
        when = " and ".join(_TIMING_WORDS[timing] for timing in TIMINGS if timing in timings)
        frequency = _FREQUENCY_WORDS.get(times_per_day, f"{_number(times_per_day)} times daily")
        separator = " " if times_per_day == 1 else ", "
        return f"{verb} {what} {how} {frequency}{separator}{when}."
    frequency = _FREQUENCY_WORDS.get(times_per_day, f"{_number(times_per_day)} times daily")
    return f"{verb} {what} {how} {frequency}."


def daily_units(
    dose: Dose, *, times_per_day: Decimal | None, prn: bool, prn_max_per_day: Decimal | None
) -> Decimal:
    per_day = prn_max_per_day if prn else times_per_day
    if per_day is None or per_day <= 0:
        raise SigError("prn_max_per_day" if prn else "times_per_day must be greater than 0")
    return dose.amount * per_day


def quantity_for(
    days_supply: int,
    dose: Dose,
    *,
    times_per_day: Decimal | None,
    prn: bool = False,
    prn_max_per_day: Decimal | None = None,
) -> Decimal:
    """Units to dispense for `days_supply` days, rounded up to whole units (half tablets count as one)."""
    if days_supply <= 0:
        raise SigError("days_supply must be greater than 0")
    units = (
        daily_units(dose, times_per_day=times_per_day, prn=prn, prn_max_per_day=prn_max_per_day)
        * days_supply
    )
    return (
        units.to_integral_value(rounding=ROUND_CEILING)
        if dose.unit in ("tablet", "capsule", "patch")
        else units
    )


def days_supply_for(
    quantity: Decimal,
    dose: Dose,
    *,
    times_per_day: Decimal | None,
    prn: bool = False,
    prn_max_per_day: Decimal | None = None,
) -> int:
    """Whole days a quantity lasts at the prescribed (or maximum as-needed) use."""
    if quantity <= 0:
        raise SigError("quantity must be greater than 0")
    per_day = daily_units(
        dose, times_per_day=times_per_day, prn=prn, prn_max_per_day=prn_max_per_day
    )
    return int((quantity / per_day).to_integral_value(rounding=ROUND_FLOOR))


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(number: Decimal) -> str:
    """Whole quantities in words, as controlled-substance prescriptions write them ('ninety')."""
    if number != number.to_integral_value() or number < 0 or number >= 10000:
        raise SigError("quantity in words needs a whole number from 0 to 9999")
    value = int(number)

    def below_hundred(n: int) -> str:
        if n < 20:
            return _ONES[n]
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")

    parts = []
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        parts.append(f"{below_hundred(thousands)} thousand")
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest or not parts:
        parts.append(below_hundred(rest))
    return " ".join(parts)
