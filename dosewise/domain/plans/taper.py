"""Taper plans: linear (equal steps) or hyperbolic (a fixed fraction of the current dose).

Clinical question: how to bring a dose down to zero in steps the patient can take and tolerate.
Sources (brief §5): Horowitz & Taylor, Lancet Psychiatry 2019 (hyperbolic tapering, steps
shrinking as the dose falls, down to doses below the smallest tablet, often via a liquid);
NICE NG222 (2022) (staged, proportionate reductions); for benzodiazepines the Joint Clinical
Practice Guideline on Benzodiazepine Tapering (ASAM et al., 2025): 5-10 % every 2-4 weeks,
typically no more than 25 % every 2 weeks, with the Ashton Manual (2002) for the practice.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import Drug, Form, Tag
from dosewise.domain.plans.doses import (
    fmt,
    is_liquid,
    liquid_forms,
    lowest_in,
    next_below,
    usable_forms,
)
from dosewise.domain.plans.model import Plan, PlanError, PlanStep, _Builder
from dosewise.domain.plans.resolve import drug_named

METHODS = ("hyperbolic", "linear")
MAX_STEPS = 60
# ASAM 2025: the pace "should typically not exceed 25 % every 2 weeks".
BENZODIAZEPINE_MAX_PERCENT_PER_14_DAYS = Decimal(25)
_HUNDRED = Decimal(100)


def taper(
    drug: str,
    *,
    from_mg: Decimal,
    start: dt.date,
    knowledge: Knowledge,
    method: str = "hyperbolic",
    step_percent: Decimal = Decimal(25),
    interval_days: int = 14,
) -> Plan:
    """Steps from `from_mg` a day down to zero, the first reduction on `start`.

    Each dose is rounded *up* to one the drug's forms can give (a smaller reduction, never a
    larger one), and hyperbolic steps never grow. When no form can give a dose within the
    allowed reduction, the taper ends there with a step to zero from that (smallest practical)
    dose, and the notes say so."""
    found = drug_named(knowledge, drug, "drug")
    steps, notes = _taper_steps(
        found,
        from_mg=from_mg,
        start=start,
        method=method,
        step_percent=step_percent,
        interval_days=interval_days,
    )
    return Plan(kind="taper", steps=steps, notes=notes)


# The top of the usual 5-25 % range (brief §5.1): how far rounding may stretch a step.
CEILING_PERCENT = Decimal(25)


def aimed_reduction_mg(
    method: str, from_mg: Decimal, current_mg: Decimal, step_percent: Decimal
) -> Decimal:
    """The reduction a step aims at: a share of the current dose (hyperbolic) or of the
    starting dose (linear)."""
    base = current_mg if method == "hyperbolic" else from_mg
    return base * step_percent / _HUNDRED


def max_reduction_mg(
    method: str,
    from_mg: Decimal,
    current_mg: Decimal,
    step_percent: Decimal,
    *,
    interval_days: int,
    benzodiazepine: bool,
) -> Decimal:
    """The largest reduction a step from `current_mg` may make when the strengths cannot give
    the aimed dose: 25 % of the current dose (or the aim, if larger); for a benzodiazepine,
    the per-step share that keeps any 14 days within 25 % (ASAM 2025)."""
    aim = aimed_reduction_mg(method, from_mg, current_mg, step_percent)
    if benzodiazepine:
        per_window = math.ceil(14 / interval_days)
        kept = (1 - CEILING_PERCENT / _HUNDRED) ** (Decimal(1) / per_window)
        return max(aim, current_mg * (1 - kept))
    return max(aim, current_mg * CEILING_PERCENT / _HUNDRED)


def _validate(
    drug: Drug, from_mg: Decimal, method: str, step_percent: Decimal, interval_days: int
) -> list[str]:
    notes: list[str] = []
    if method not in METHODS:
        raise PlanError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if not from_mg.is_finite() or from_mg <= 0:
        raise PlanError(f"from_mg: the current dose must be above 0 mg, not {from_mg}")
    if not step_percent.is_finite() or not Decimal(1) <= step_percent <= Decimal(50):
        raise PlanError(f"step_percent: must be between 1 and 50, not {step_percent}")
    if interval_days < 1 or interval_days > 84:
        raise PlanError(f"interval_days: must be between 1 and 84 days, not {interval_days}")
    if drug.dosing is None or not usable_forms(drug):
        raise PlanError(f"drug: the knowledge base has no oral forms for {drug.name}")
    if drug.has(Tag.BENZODIAZEPINE_LIKE):
        if method != "hyperbolic":
            raise PlanError(
                "method: benzodiazepine tapers reduce by a fraction of the current dose "
                "(hyperbolic); equal steps would exceed 25 % of the dose near the end (ASAM 2025)"
            )
        # Steps that fall inside one 14-day window, compounding.
        per_window = math.ceil(14 / interval_days)
        kept = (1 - step_percent / _HUNDRED) ** per_window
        if (1 - kept) * _HUNDRED > BENZODIAZEPINE_MAX_PERCENT_PER_14_DAYS:
            raise PlanError(
                f"step_percent: {fmt(step_percent)} % every {interval_days} days reduces a "
                "benzodiazepine by more than 25 % in 2 weeks (ASAM 2025 ceiling); use a smaller "
                "step or a longer interval_days"
            )
        notes.append(
            "Benzodiazepine taper (Joint Clinical Practice Guideline on Benzodiazepine Tapering, "
            "ASAM et al. 2025): start at 5-10 % every 2-4 weeks, typically no more than 25 % "
            "every 2 weeks; assess withdrawal at each step and slow or pause as needed."
        )
        if step_percent > 10 or interval_days < 14:
            notes.append(
                f"This plan reduces by {fmt(step_percent)} % every {interval_days} days, faster "
                "than the guideline's initial pace of 5-10 % every 2-4 weeks."
            )
        notes.append(
            "A longer-acting benzodiazepine (e.g. diazepam) may be used for the taper, at a dose "
            "the prescriber chooses: published equivalence tables disagree (e.g. alprazolam "
            "0.5-1 mg = diazepam 10 mg; Ashton Manual vs US tables), so no conversion is made here."
        )
    return notes


def _taper_steps(
    drug: Drug,
    *,
    from_mg: Decimal,
    start: dt.date,
    method: str,
    step_percent: Decimal,
    interval_days: int,
    prefer: Form | None = None,
) -> tuple[tuple[PlanStep, ...], tuple[str, ...]]:
    plan = _Builder()
    for text in _validate(drug, from_mg, method, step_percent, interval_days):
        plan.note(text)
    benzodiazepine = drug.has(Tag.BENZODIAZEPINE_LIKE)
    current = from_mg
    previous_step: Decimal | None = None
    oversized: list[tuple[Decimal, Decimal]] = []
    on = start
    form = prefer
    while True:
        target = current - aimed_reduction_mg(method, from_mg, current, step_percent)
        floor = current - max_reduction_mg(
            method,
            from_mg,
            current,
            step_percent,
            interval_days=interval_days,
            benzodiazepine=benzodiazepine,
        )
        if method == "hyperbolic" and previous_step is not None:
            # Aim for steps that never grow (rounding up one step must not make the next one
            # larger); when the forms cannot, the next dose down is the smallest step possible.
            target = max(target, current - previous_step)
        if target <= 0:
            break
        # Round up to a smaller reduction when a form can give one; else take the next dose
        # down, if it is within the allowed reduction.
        way = lowest_in(drug, target, current, prefer=form)
        if way is None:
            below = next_below(drug, current)
            if below is None:
                break
            if below.dose_mg < floor:
                # No form gives a dose within the allowed reduction. Tablets: go on to the next
                # dose they give, down to half the smallest tablet (the smallest practical
                # dose), and say so; stopping from a higher dose would be the larger jump. A
                # liquid already measured at its smallest volume step ends the taper.
                if is_liquid(below.form):
                    break
                oversized.append((current, below.dose_mg))
            way = below
        previous_step = current - way.dose_mg
        current = way.dose_mg
        form = way.form
        plan.steps.append(PlanStep(on, drug.name, current, f"{way.wording()} a day"))
        on += dt.timedelta(days=interval_days)
        if len(plan.steps) > MAX_STEPS:
            raise PlanError(
                f"step_percent: {fmt(step_percent)} % would need more than {MAX_STEPS} steps; "
                "use a larger step"
            )
    plan.steps.append(PlanStep(on, drug.name, Decimal(0), "stop"))
    if oversized:
        listed = ", ".join(
            f"{fmt(high)} -> {fmt(low)} mg ({fmt(((high - low) * 100 / high).quantize(Decimal(1)))} %)"
            for high, low in oversized
        )
        plan.note(
            f"Larger steps than allowed, because the strengths give no dose in between: {listed}. "
            "A liquid or compounded preparation would allow smaller steps."
        )
    if current > 0 and plan.steps[:-1]:
        plan.note(
            f"The last dose before stopping is {fmt(current)} mg a day, the smallest practical "
            "dose with the forms in the knowledge base"
            + (
                "."
                if liquid_forms(drug)
                else "; a liquid or compounded form would allow smaller final steps."
            )
        )
    elif not plan.steps[:-1]:
        plan.note(
            f"No form of {drug.name} can give a dose within {fmt(step_percent)} % below "
            f"{fmt(from_mg)} mg: the plan stops directly."
        )
    plan.note(
        "Hold a step, or return to the last tolerated dose, if withdrawal symptoms appear "
        "(Horowitz & Taylor 2019; NICE NG222)."
        if method == "hyperbolic"
        else "Equal (linear) steps are relatively larger near the end of a taper; a hyperbolic "
        "taper (Horowitz & Taylor 2019; NICE NG222) shrinks them as the dose falls."
    )
    plan.note("Tablets are assumed scored and may be halved; liquids are measured in 0.1 mL steps.")
    return tuple(plan.steps), tuple(plan.notes)
