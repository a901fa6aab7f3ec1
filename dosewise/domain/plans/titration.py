"""Titration plans: from a starting dose up to a target by the label's step and interval.

Clinical question: how to reach a target dose no faster than the label allows and never above
its maximum (or the lower maximum of the situation, e.g. lamotrigine with valproate).
Lamotrigine follows its label escalation schedules as the brief gives them (§2.2 Table A row 20
and §3.2 rules I-11, I-12; knowledge note on lamotrigine). The brief's addendum says no label text
was reached for these schedules and secondary summaries disagree on weeks 6-7: they are marked
unverified in the plan's notes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import CypRole, Drug, Strength
from dosewise.domain.plans.doses import achievable, fmt, highest_in, way_for
from dosewise.domain.plans.model import Plan, PlanError, PlanStep, _Builder
from dosewise.domain.plans.resolve import drug_named

MAX_STEPS = 60
# The same list the safety engine's dose rules use (brief §3.2 I-12).
LAMOTRIGINE_INDUCERS = frozenset(
    {"carbamazepine", "phenytoin", "rifampin", "phenobarbital", "primidone"}
)

# (first day counted from the start, daily dose in mg, every_days)
_Schedule = tuple[tuple[int, Decimal, int], ...]
# Alone (brief Table A row 20; knowledge note): 25 mg/day weeks 1-2, 50 weeks 3-4, 100 week 5,
# 200 from week 6 (target 200).
LAMOTRIGINE_ALONE: _Schedule = (
    (0, Decimal(25), 1),
    (14, Decimal(50), 1),
    (28, Decimal(100), 1),
    (35, Decimal(200), 1),
)
# With valproate (brief I-11): 25 mg every other day weeks 1-2, 25/day weeks 3-4, 50 week 5,
# 100 week 6 (target about 100).
LAMOTRIGINE_WITH_VALPROATE: _Schedule = (
    (0, Decimal(25), 2),
    (14, Decimal(25), 1),
    (28, Decimal(50), 1),
    (35, Decimal(100), 1),
)
# With an enzyme inducer and no valproate (brief I-12): 50 mg/day weeks 1-2, 100 (divided)
# weeks 3-4, 200 week 5, 300 week 6, up to 400 week 7.
LAMOTRIGINE_WITH_INDUCER: _Schedule = (
    (0, Decimal(50), 1),
    (14, Decimal(100), 1),
    (28, Decimal(200), 1),
    (35, Decimal(300), 1),
    (42, Decimal(400), 1),
)


def titrate(
    drug: str,
    *,
    to_mg: Decimal,
    start: dt.date,
    knowledge: Knowledge,
    from_mg: Decimal | None = None,
    step_mg: Decimal | None = None,
    interval_days: int | None = None,
    with_drugs: tuple[str, ...] = (),
) -> Plan:
    """Steps up to `to_mg` a day: the first on `start` (the starting dose, or the first step
    above `from_mg`), then one every `interval_days`, each at most `step_mg` higher."""
    found = drug_named(knowledge, drug, "drug")
    others = tuple(drug_named(knowledge, name, "with_drugs") for name in with_drugs)
    steps, notes = titration_steps(
        found,
        to_mg=to_mg,
        start=start,
        from_mg=from_mg,
        step_mg=step_mg,
        interval_days=interval_days,
        others=others,
    )
    return Plan(kind="titration", steps=steps, notes=notes)


def _limit_applies(when: str, others: tuple[Drug, ...]) -> bool | None:
    """Whether a situational maximum applies given the other drugs (None: depends on facts
    about the patient the planner is not given)."""
    names = {other.name for other in others}
    if when == "with_valproate":
        return "valproate" in names
    if when == "with_enzyme_inducer":
        return bool(names & LAMOTRIGINE_INDUCERS)
    if when in ("with_strong_cyp3a4_inhibitor", "with_strong_cyp2d6_inhibitor"):
        enzyme = "CYP3A4" if "3a4" in when else "CYP2D6"
        return any(
            effect.enzyme == enzyme and effect.strength is Strength.STRONG
            for other in others
            for effect in other.cyp_roles(CypRole.INHIBITOR)
        )
    return None


def maximum_for(drug: Drug, others: tuple[Drug, ...], notes: _Builder) -> Decimal | None:
    """The lowest maximum that applies (None: dosed to a level, no mg maximum)."""
    assert drug.dosing is not None  # noqa: S101 - callers check
    maximum = drug.dosing.label_max_mg_per_day or None
    for limit in drug.dosing.limits:
        applies = _limit_applies(limit.when, others)
        if applies is None:
            notes.note(
                f"Not checked here: {drug.name} has a lower maximum of "
                f"{fmt(limit.max_mg_per_day)} mg/day when {limit.when.replace('_', ' ')}."
            )
        elif applies and (maximum is None or limit.max_mg_per_day < maximum):
            maximum = limit.max_mg_per_day
    return maximum


def _lamotrigine_schedule(others: tuple[Drug, ...]) -> tuple[_Schedule, str]:
    names = {other.name for other in others}
    if "valproate" in names:
        return LAMOTRIGINE_WITH_VALPROATE, "with valproate (brief §3.2 I-11)"
    if names & LAMOTRIGINE_INDUCERS:
        return LAMOTRIGINE_WITH_INDUCER, "with an enzyme inducer (brief §3.2 I-12)"
    return LAMOTRIGINE_ALONE, "without valproate or an inducer (brief §2.2 Table A)"


def titration_steps(
    drug: Drug,
    *,
    to_mg: Decimal,
    start: dt.date,
    from_mg: Decimal | None = None,
    step_mg: Decimal | None = None,
    interval_days: int | None = None,
    others: tuple[Drug, ...] = (),
) -> tuple[tuple[PlanStep, ...], tuple[str, ...]]:
    dosing = drug.dosing
    if dosing is None:
        raise PlanError(f"drug: the knowledge base has no dosing for {drug.name}")
    if not to_mg.is_finite() or to_mg <= 0:
        raise PlanError(f"to_mg: the target must be above 0 mg, not {to_mg}")
    if from_mg is not None and (not from_mg.is_finite() or from_mg < 0):
        raise PlanError(f"from_mg: must be 0 mg or more, not {from_mg}")
    if from_mg is not None and from_mg >= to_mg:
        raise PlanError(
            f"from_mg: {fmt(from_mg)} mg is not below the target {fmt(to_mg)} mg (use a taper)"
        )
    if step_mg is not None and (not step_mg.is_finite() or step_mg <= 0):
        raise PlanError(f"step_mg: must be above 0 mg, not {step_mg}")
    if interval_days is not None and not 1 <= interval_days <= 84:
        raise PlanError(f"interval_days: must be between 1 and 84 days, not {interval_days}")
    plan = _Builder()
    maximum = maximum_for(drug, others, plan)
    if maximum is not None and to_mg > maximum:
        raise PlanError(
            f"to_mg: {fmt(to_mg)} mg/day is above the maximum of {fmt(maximum)} mg/day for "
            f"{drug.name}{' with ' + ', '.join(o.name for o in others) if others else ''}"
        )
    if maximum is None:
        plan.note(f"{drug.name} is dosed to a serum level: check levels at each step.")
    if not achievable(drug, to_mg, modified=True):
        raise PlanError(f"to_mg: {fmt(to_mg)} mg/day cannot be given with {drug.name}'s strengths")
    if drug.name == "lamotrigine":
        if step_mg is not None or interval_days is not None:
            raise PlanError(
                "step_mg: lamotrigine follows its label schedule (rash risk); step_mg and "
                "interval_days cannot be changed"
            )
        _lamotrigine(plan, drug, to_mg, start, from_mg, others)
    else:
        _by_steps(plan, drug, to_mg, start, from_mg, step_mg, interval_days)
    plan.note(
        f"Dosing: {drug.name} label as summarised in the knowledge base ({dosing.source}, {dosing.verification.value})."
    )
    return tuple(plan.steps), tuple(plan.notes)


def _step(on: dt.date, drug: Drug, dose: Decimal, every_days: int = 1) -> PlanStep:
    way = way_for(drug, dose, modified=True)
    if way is None:  # pragma: no cover - callers pass achievable doses
        raise PlanError(f"to_mg: {fmt(dose)} mg cannot be given with {drug.name}'s strengths")
    when = (
        "every other day"
        if every_days == 2
        else (f"every {every_days} days" if every_days > 1 else "a day")
    )
    return PlanStep(on, drug.name, dose, f"{way.wording()} {when}", every_days)


def _lamotrigine(
    plan: _Builder,
    drug: Drug,
    to_mg: Decimal,
    start: dt.date,
    from_mg: Decimal | None,
    others: tuple[Drug, ...],
) -> None:
    schedule, which = _lamotrigine_schedule(others)
    plan.note(
        f"Lamotrigine label escalation {which}; unverified: the brief's label check found no "
        "label text for the schedules and secondary summaries disagree on weeks 6-7. Check "
        "against LAMICTAL Table 5. Faster titration raises the risk of serious rash (SJS/TEN)."
    )
    entries = [
        (day, dose, every) for day, dose, every in schedule if from_mg is None or dose > from_mg
    ]
    offset = entries[0][0] if entries else 0
    last_day = -7
    last_dose = from_mg or Decimal(0)
    for day, dose, every in entries:
        on = start + dt.timedelta(days=day - offset)
        if dose >= to_mg:
            plan.steps.append(_step(on, drug, to_mg))
            return
        plan.steps.append(_step(on, drug, dose, every))
        last_day, last_dose = day - offset, dose
    # Beyond the schedule (e.g. alone above 200 mg): weekly steps of at most 100 mg.
    assert drug.dosing is not None  # noqa: S101
    day = last_day
    while last_dose < to_mg:
        day += drug.dosing.titration_interval_days
        nxt = min(last_dose + drug.dosing.titration_step_mg, to_mg)
        plan.steps.append(_step(start + dt.timedelta(days=day), drug, nxt))
        last_dose = nxt
    plan.note("Above the label schedule's target, steps follow the knowledge base (100 mg weekly).")


def _by_steps(
    plan: _Builder,
    drug: Drug,
    to_mg: Decimal,
    start: dt.date,
    from_mg: Decimal | None,
    step_mg: Decimal | None,
    interval_days: int | None,
) -> None:
    assert drug.dosing is not None  # noqa: S101
    step = step_mg if step_mg is not None else drug.dosing.titration_step_mg
    interval = interval_days if interval_days is not None else drug.dosing.titration_interval_days
    if from_mg is None:
        first = min(drug.dosing.start_mg_per_day, to_mg)
        if not achievable(drug, first, modified=True):
            raise PlanError(f"to_mg: the starting dose {fmt(first)} mg cannot be given")
        plan.steps.append(_step(start, drug, first))
        current = first
        on = start + dt.timedelta(days=interval or 1)
    else:
        current = from_mg
        on = start
    if current < to_mg and (step <= 0 or interval <= 0):
        raise PlanError(
            f"step_mg: the knowledge base has no titration step or interval for {drug.name}; "
            "give step_mg and interval_days"
        )
    while current < to_mg:
        way = highest_in(drug, current, min(current + step, to_mg), modified=True)
        if way is None:
            raise PlanError(
                f"step_mg: no dose between {fmt(current)} and {fmt(current + step)} mg can be "
                f"given with {drug.name}'s strengths; use a larger step"
            )
        current = way.dose_mg
        plan.steps.append(_step(on, drug, current))
        on += dt.timedelta(days=interval)
        if len(plan.steps) > MAX_STEPS:
            raise PlanError(f"step_mg: more than {MAX_STEPS} steps; use a larger step")
    if step_mg is not None and step_mg > drug.dosing.titration_step_mg > 0:
        plan.note(
            f"The step of {fmt(step_mg)} mg is larger than the label's usual step of "
            f"{fmt(drug.dosing.titration_step_mg)} mg."
        )
    if interval_days is not None and interval_days < drug.dosing.titration_interval_days:
        plan.note(
            f"The interval of {interval_days} days is shorter than the label's "
            f"{drug.dosing.titration_interval_days} days."
        )
