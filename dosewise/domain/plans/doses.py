"""Which daily doses a drug's forms can give, and how to say them to the patient.

Assumptions (docs/plans.md): a plain immediate-release tablet is scored and may be halved
(never modified-release, orally disintegrating, sublingual or chewable tablets, never capsules);
at most one half tablet a day and at most six pieces; a liquid is measured in 0.1 mL steps with
a 1 mL oral syringe, its concentration read from the form's name ("oral concentrate (20 mg/mL)").
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from dosewise.domain.knowledge.model import Drug, Form

MAX_PIECES = 6
LIQUID_STEP_ML = Decimal("0.1")
MAX_LIQUID_ML = Decimal(30)
_HALF = Decimal("0.5")
_LIQUID_WORDS = ("solution", "concentrate", "suspension")
_NOT_SPLIT = ("extended", "delayed", "sustained", "disintegrating", "sublingual", "chewable")
_NOT_ORAL_SOLID = ("transdermal", "spray", "injection", "patch", "device")
_CONCENTRATION = re.compile(r"([0-9.]+)\s*mg\s*/\s*([0-9.]*)\s*mL", re.IGNORECASE)


def canon(amount: Decimal) -> Decimal:
    """12.50 -> 12.5, 1E+2 -> 100: one spelling per amount (no exponent)."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.normalize()


def fmt(amount: Decimal) -> str:
    """12.50 -> '12.5', 100 -> '100'."""
    return f"{canon(amount):f}"


def is_liquid(form: Form) -> bool:
    return any(word in form.form.lower() for word in _LIQUID_WORDS)


def is_modified_release(form: Form) -> bool:
    name = form.form.lower()
    return any(word in name for word in ("extended", "delayed", "sustained", "(xl", "(sr"))


def can_halve(form: Form) -> bool:
    name = form.form.lower()
    return "tablet" in name and not any(word in name for word in _NOT_SPLIT)


def concentration_mg_per_ml(form: Form) -> Decimal | None:
    match = _CONCENTRATION.search(form.form)
    if match is None:
        return None
    per = Decimal(match.group(2)) if match.group(2) else Decimal(1)
    return Decimal(match.group(1)) / per


@dataclass(frozen=True)
class Way:
    """One way to give a daily dose: pieces of one form, or a volume of one liquid."""

    form: Form
    dose_mg: Decimal
    pieces: tuple[tuple[Decimal, int, int], ...] = ()  # (strength, whole tablets, halves)
    volume_ml: Decimal = Decimal(0)

    def wording(self) -> str:
        if self.volume_ml:
            return f"{fmt(self.volume_ml)} mL of the {self.form.form} ({fmt(self.dose_mg)} mg)"
        noun = _noun(self.form)
        parts = []
        for strength, whole, halves in self.pieces:
            if whole:
                plural = "s" if whole > 1 else ""
                parts.append(f"{whole} {noun}{plural} of {fmt(strength)} mg")
            if halves:
                parts.append(f"1/2 {noun} of {fmt(strength)} mg")
        return " and ".join(parts)


def _noun(form: Form) -> str:
    name = form.form.lower()
    if "capsule" in name:
        return "capsule"
    if "tablet" in name:
        return "tablet"
    return form.form


@functools.cache
def ways_for_form(form: Form) -> dict[Decimal, Way]:
    """Every daily dose this form can give, each with its simplest way (fewest pieces)."""
    ways: dict[Decimal, Way] = {}
    if is_liquid(form):
        concentration = concentration_mg_per_ml(form)
        if concentration is None:
            return ways
        volume = LIQUID_STEP_ML
        while volume <= MAX_LIQUID_ML:
            dose = canon(volume * concentration)
            ways.setdefault(dose, Way(form, dose, volume_ml=volume))
            volume += LIQUID_STEP_ML
        return ways
    strengths = sorted(set(form.strengths_mg), reverse=True)
    for count in range(1, MAX_PIECES + 1):
        for combo in itertools.combinations_with_replacement(strengths, count):
            _add(ways, form, combo, None)
    if can_halve(form):
        for half_of in strengths:
            _add(ways, form, (), half_of)
            for count in range(1, MAX_PIECES):
                for combo in itertools.combinations_with_replacement(strengths, count):
                    _add(ways, form, combo, half_of)
    return ways


def _add(
    ways: dict[Decimal, Way], form: Form, whole: tuple[Decimal, ...], half_of: Decimal | None
) -> None:
    dose = sum(whole, Decimal(0)) + (half_of * _HALF if half_of is not None else Decimal(0))
    dose = canon(dose)
    # Whole tablets first: a half counts as two pieces (splitting is a chore and less exact).
    pieces_count = len(whole) + (2 if half_of is not None else 0)
    known = ways.get(dose)
    if known is not None and _piece_count(known) <= pieces_count:
        return
    pieces = []
    for strength in sorted(
        set(whole) | ({half_of} if half_of is not None else set()), reverse=True
    ):
        pieces.append((strength, whole.count(strength), 1 if strength == half_of else 0))
    ways[dose] = Way(form, dose, pieces=tuple(pieces))


def _piece_count(way: Way) -> int:
    return sum(whole + 2 * halves for _, whole, halves in way.pieces)


def usable_forms(drug: Drug, *, modified: bool = False) -> tuple[Form, ...]:
    """Oral forms a plan may use: immediate-release solids and liquids when there are any,
    otherwise the modified-release solids (taken whole). With `modified` (titrations, where the
    patient keeps the form), modified-release forms too, after the immediate-release ones."""
    if drug.dosing is None:
        return ()
    oral = [
        form
        for form in drug.dosing.forms
        if form.route == "oral"
        and not any(word in form.form.lower() for word in _NOT_ORAL_SOLID)
        and (not is_liquid(form) or concentration_mg_per_ml(form) is not None)
    ]
    immediate = [form for form in oral if not is_modified_release(form)]
    if modified:
        return tuple(immediate + [form for form in oral if is_modified_release(form)])
    return tuple(immediate or oral)


def solid_forms(drug: Drug, *, modified: bool = False) -> tuple[Form, ...]:
    return tuple(form for form in usable_forms(drug, modified=modified) if not is_liquid(form))


def liquid_forms(drug: Drug) -> tuple[Form, ...]:
    return tuple(form for form in usable_forms(drug) if is_liquid(form))


def way_for(
    drug: Drug, dose_mg: Decimal, prefer: Form | None = None, *, modified: bool = False
) -> Way | None:
    """The way to give exactly `dose_mg` a day: the preferred form, then solids, then liquids."""
    dose = canon(dose_mg)
    order = (
        ([prefer] if prefer is not None else [])
        + list(solid_forms(drug, modified=modified))
        + list(liquid_forms(drug))
    )
    for form in order:
        way = ways_for_form(form).get(dose)
        if way is not None:
            return way
    return None


def achievable(drug: Drug, dose_mg: Decimal, *, modified: bool = False) -> bool:
    return way_for(drug, dose_mg, modified=modified) is not None


def lowest_in(drug: Drug, low: Decimal, below: Decimal, prefer: Form | None = None) -> Way | None:
    """The lowest dose in [low, below) that a form can give: the preferred form first, then any
    solid form, then a liquid (a patient switches to a liquid only when tablets cannot do it)."""
    groups: list[tuple[Form, ...]] = []
    if prefer is not None:
        groups.append((prefer,))
    groups.append(solid_forms(drug))
    groups.append(liquid_forms(drug))
    for group in groups:
        best: Way | None = None
        for form in group:
            for dose, way in ways_for_form(form).items():
                if low <= dose < below and (best is None or dose < best.dose_mg):
                    best = way
        if best is not None:
            return best
    return None


def highest_in(
    drug: Drug,
    above: Decimal,
    high: Decimal,
    prefer: Form | None = None,
    *,
    modified: bool = False,
) -> Way | None:
    """The highest dose in (above, high] that the preferred form, else a solid form, else a
    liquid can give."""
    groups: list[tuple[Form, ...]] = [(prefer,)] if prefer is not None else []
    groups += [solid_forms(drug, modified=modified), liquid_forms(drug)]
    for group in groups:
        best: Way | None = None
        for form in group:
            for dose, way in ways_for_form(form).items():
                if above < dose <= high and (best is None or dose > best.dose_mg):
                    best = way
        if best is not None:
            return best
    return None


def next_below(drug: Drug, current: Decimal) -> Way | None:
    """The highest dose below `current` that any form can give (solids first on a tie)."""
    best: Way | None = None
    for form in (*solid_forms(drug), *liquid_forms(drug)):
        for dose, way in ways_for_form(form).items():
            if dose < current and (best is None or dose > best.dose_mg):
                best = way
    return best
