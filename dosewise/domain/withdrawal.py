"""Withdrawal and side-effect check-in at a taper step (issue 7), and when to suggest holding.

The checklist names the common discontinuation symptoms of antidepressants and
benzodiazepines listed in ../shared/clinical/brief.md section 5 (5.1: dizziness, "brain zaps",
nausea, flu-like symptoms, irritability, vivid dreams — Horowitz & Taylor, Lancet Psychiatry
2019; NICE NG222 2022; 5.3: "assess withdrawal at each reduction; slow or pause if significant
symptoms" — ASAM/joint benzodiazepine tapering guideline 2025). It is a symptom checklist, not
a validated scale: there is no score and no published cut-off. Each symptom is rated 0 none,
1 mild, 2 moderate, 3 severe.

The hold rule (`suggest`) is Dosewise's own conservative rule, not a published threshold: the
brief's sources say to hold (or go back to the last tolerated dose) when withdrawal symptoms
appear, without a number. The suggestion is advice for the prescriber, who decides and uses the
plan's own "slow down" (repeat the step) or pause actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Symptom:
    """One checklist item: a stable code (stored with each check-in) and its label."""

    code: str
    label: str


CHECKLIST: tuple[Symptom, ...] = (
    Symptom("dizziness", "Dizziness or light-headedness"),
    Symptom("electric_sensations", 'Electric sensations ("brain zaps")'),
    Symptom("irritability_anxiety", "Irritability or anxiety"),
    Symptom("low_mood", "Low mood or tearfulness"),
    Symptom("sleep", "Insomnia or vivid dreams"),
    Symptom("nausea", "Nausea"),
    Symptom("flu_like", "Flu-like symptoms (aches, chills, tiredness)"),
    Symptom("sweating", "Sweating"),
    Symptom("tremor", "Tremor or shakiness"),
)
CODES: tuple[str, ...] = tuple(item.code for item in CHECKLIST)

NONE, MILD, MODERATE, SEVERE = 0, 1, 2, 3
RATINGS: dict[int, str] = {NONE: "none", MILD: "mild", MODERATE: "moderate", SEVERE: "severe"}

# Dosewise's own conservative thresholds (see the module docstring): not a published cut-off.
TOTAL_RISE_TO_HOLD = 3


class ChecklistError(ValueError):
    """A rating is missing or not one of 0–3; `field` is the symptom's code."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Suggestion:
    """Whether to suggest holding the current step, and why in words (empty when not)."""

    hold: bool
    reason: str


def ratings_from(answers: Mapping[str, object]) -> list[int]:
    """The ratings in checklist order from `{code: rating}`; every symptom must be rated 0–3.

    Accepts ints or their digit strings (form input); anything else names the symptom.
    """
    ratings: list[int] = []
    for item in CHECKLIST:
        value = answers.get(item.code)
        if value is None or value == "":
            raise ChecklistError(item.code, f"Rate {item.label.lower()} (0 none to 3 severe).")
        rating = _rating(value)
        if rating is None:
            raise ChecklistError(
                item.code, f"Rate {item.label.lower()} as 0 none, 1 mild, 2 moderate or 3 severe."
            )
        ratings.append(rating)
    unknown = sorted(set(answers) - set(CODES))
    if unknown:
        raise ChecklistError(unknown[0], f"Not on the checklist: {unknown[0]}.")
    return ratings


def _rating(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if number in RATINGS else None


def _check(ratings: list[int], field: str) -> None:
    if len(ratings) != len(CHECKLIST):
        raise ChecklistError(field, f"Give {len(CHECKLIST)} ratings, one per symptom.")
    for item, rating in zip(CHECKLIST, ratings, strict=True):
        if isinstance(rating, bool) or rating not in RATINGS:
            raise ChecklistError(item.code, f"Rate {item.label.lower()} from 0 to 3.")


def suggest(previous: list[int] | None, current: list[int]) -> Suggestion:
    """Should the prescriber consider holding the current taper step? (Dosewise's own rule.)

    Hold when any symptom is severe, or the total of the ratings rose by 3 or more since the
    previous check-in, or any symptom went from none to moderate or worse. With no previous
    check-in only "severe" applies. Ratings are in checklist order (`ratings_from`).
    """
    _check(current, "current")
    if previous is not None:
        _check(previous, "previous")
    reasons: list[str] = []
    severe = [item.label for item, rating in zip(CHECKLIST, current, strict=True) if rating == 3]
    if severe:
        reasons.append(f"severe: {', '.join(severe)}")
    if previous is not None:
        rise = sum(current) - sum(previous)
        if rise >= TOTAL_RISE_TO_HOLD:
            reasons.append(f"symptoms rose by {rise} points in total since the last check-in")
        new = [
            item.label
            for item, before, now in zip(CHECKLIST, previous, current, strict=True)
            if before == NONE and now >= MODERATE
        ]
        if new:
            reasons.append(f"new moderate or worse: {', '.join(new)}")
    if not reasons:
        return Suggestion(hold=False, reason="")
    text = "; ".join(reasons)
    return Suggestion(hold=True, reason=f"{text[0].upper()}{text[1:]}.")
