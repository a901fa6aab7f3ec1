"""Switch plans: from drug A to drug B directly, by tapering A then starting B, or by
cross-tapering (A down while B up), with the washout the labels require.

Clinical question: how to move from A to B without a contraindicated overlap. Sources (brief
§3.3, §5.5): NHS SPS switching guidance and Keks et al., Aust Prescr 2016 (strategies); APA 2010
and US labels (14 days after an MAOI; 5 weeks after fluoxetine before an MAOI; other intervals in
the knowledge base's `days_before_maoi`, else about five half-lives). Every change date is run
through the safety engine with the other drug as it stands that day (a tapered-off drug counts
as stopped on its stop date, so the washout rules apply); a contraindicated finding refuses the
plan. MAOIs are never cross-tapered (brief §5.5).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.knowledge.model import Drug, Tag
from dosewise.domain.plans.model import Plan, PlanError, PlanRefused, PlanStep, _Builder
from dosewise.domain.plans.resolve import drug_named
from dosewise.domain.plans.taper import _taper_steps
from dosewise.domain.plans.titration import titration_steps
from dosewise.domain.safety import Medication, Order, PatientFacts, check
from dosewise.domain.safety.findings import Finding, Severity, finding
from dosewise.domain.safety.rules.washout import MAOI_WASHOUT_DAYS

STRATEGIES = ("cross-taper", "taper-then-switch", "direct")
CROSS_TAPER_WEEKS = 4  # "usually over 2-4 weeks" (brief §5.5)


def required_gap_days(stopped: Drug, started: Drug) -> int:
    """Days between stopping `stopped` and starting `started` that the washout rules require
    (the same rules as dosewise.domain.safety.rules.washout)."""
    if stopped.has(Tag.MAOI) and any(
        started.has(tag) for tag in (Tag.SEROTONERGIC, Tag.SYMPATHOMIMETIC, Tag.MAOI)
    ):
        return 1 if stopped.name in ("linezolid", "methylene blue") else MAOI_WASHOUT_DAYS
    if started.has(Tag.MAOI) and (
        stopped.has(Tag.SEROTONERGIC) or stopped.has(Tag.SYMPATHOMIMETIC)
    ):
        return stopped.days_before_maoi or stopped.washout_days
    return 0


def switch(
    from_drug: str,
    from_mg: Decimal,
    to_drug: str,
    to_mg: Decimal,
    *,
    start: dt.date,
    knowledge: Knowledge,
    strategy: str = "cross-taper",
    patient: PatientFacts | None = None,
) -> Plan:
    """A plan from `from_drug` at `from_mg` a day to `to_drug` at `to_mg` a day, starting on
    `start`. Raises PlanRefused with the findings when any day would be contraindicated."""
    if strategy not in STRATEGIES:
        raise PlanError(f"strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    a = drug_named(knowledge, from_drug, "from_drug")
    b = drug_named(knowledge, to_drug, "to_drug")
    if a.name == b.name:
        raise PlanError(f"to_drug: {b.name} is the drug being switched from")
    if not from_mg.is_finite() or from_mg <= 0:
        raise PlanError(f"from_mg: must be above 0 mg, not {from_mg}")
    if not to_mg.is_finite() or to_mg <= 0:
        raise PlanError(f"to_mg: must be above 0 mg, not {to_mg}")
    facts = patient or PatientFacts()
    plan = _Builder()
    if strategy == "cross-taper" and (a.has(Tag.MAOI) or b.has(Tag.MAOI)):
        raise PlanRefused(
            "cross-taper: an MAOI is never cross-tapered",
            [_no_maoi_cross_taper(a, b)]
            + _contraindicated(_overlap_findings(a, from_mg, b, to_mg, start, facts, knowledge)),
        )
    if strategy == "direct":
        a_steps: tuple[PlanStep, ...] = (PlanStep(start, a.name, Decimal(0), "stop"),)
        b_start = start + dt.timedelta(days=required_gap_days(a, b))
        b_steps: tuple[PlanStep, ...] = (_b_direct(b, to_mg, b_start),)
        plan.note(
            "Direct switch: stop the first drug and start the second the next day, after any "
            "washout (mainly between similar short-half-life SSRIs/SNRIs; NHS SPS)."
        )
    elif strategy == "taper-then-switch":
        a_steps, taper_notes = _taper_a(a, from_mg, start)
        for text in taper_notes:
            plan.note(text)
        gap = required_gap_days(a, b)
        b_start = a_steps[-1].on + dt.timedelta(days=gap)
        b_steps, titration_notes = _b_up(b, to_mg, b_start)
        for text in titration_notes:
            plan.note(text)
    else:
        a_steps, taper_notes = _taper_a(a, from_mg, start)
        b_steps, titration_notes = _b_up(b, to_mg, start)
        for text in (*taper_notes, *titration_notes):
            plan.note(text)
        plan.note(
            "Cross-taper: watch for additive serotonergic and pharmacokinetic effects while both "
            "drugs are taken (brief §5.5)."
        )
    gap = required_gap_days(a, b)
    if gap:
        plan.note(
            f"Washout: {gap} days after the last dose of {a.name} before starting {b.name} "
            "(brief §3.3: 14 days after an MAOI; 5 weeks after fluoxetine before an MAOI; "
            "otherwise the label interval or about five half-lives)."
        )
    if a.name == "fluoxetine" and not b.has(Tag.MAOI):
        plan.note(
            "Fluoxetine lingers (norfluoxetine): consider waiting 4-7 days after stopping 20 mg "
            "before starting the next drug low; expect CYP2D6 inhibition for weeks (brief §5.5)."
        )
    steps = tuple(sorted((*a_steps, *b_steps), key=lambda s: (s.on, s.drug != a.name)))
    refusals = _contraindicated(_plan_findings(steps, a, b, facts, knowledge))
    if refusals:
        raise PlanRefused(f"{strategy}: the safety engine refuses a day of this plan", refusals)
    plan.note("Every change date was checked by the safety engine (no contraindicated day).")
    return Plan(kind="switch", steps=steps, notes=tuple(plan.notes))


def _taper_a(
    a: Drug, from_mg: Decimal, start: dt.date
) -> tuple[tuple[PlanStep, ...], tuple[str, ...]]:
    if a.has(Tag.BENZODIAZEPINE_LIKE):
        return _taper_steps(
            a,
            from_mg=from_mg,
            start=start,
            method="hyperbolic",
            step_percent=Decimal(10),
            interval_days=14,
        )
    # Switches taper over about 2-4 weeks (brief §5.5): a quarter of the dose a week.
    percent = Decimal(100) / CROSS_TAPER_WEEKS
    return _taper_steps(
        a, from_mg=from_mg, start=start, method="linear", step_percent=percent, interval_days=7
    )


def _b_direct(b: Drug, to_mg: Decimal, on: dt.date) -> PlanStep:
    steps, _ = titration_steps(
        b, to_mg=to_mg, start=on, from_mg=None, step_mg=to_mg, interval_days=1
    )
    last = steps[-1]
    return PlanStep(on, b.name, last.daily_dose_mg, last.take, last.every_days)


def _b_up(b: Drug, to_mg: Decimal, on: dt.date) -> tuple[tuple[PlanStep, ...], tuple[str, ...]]:
    dosing = b.dosing
    if dosing is None:
        raise PlanError(f"to_drug: the knowledge base has no dosing for {b.name}")
    if dosing.titration_step_mg == 0 or dosing.titration_interval_days == 0:
        # The label starts at the effective dose: no titration.
        return titration_steps(b, to_mg=to_mg, start=on, step_mg=to_mg, interval_days=7)
    return titration_steps(b, to_mg=to_mg, start=on)


def _no_maoi_cross_taper(a: Drug, b: Drug) -> Finding:
    maoi = a if a.has(Tag.MAOI) else b
    return finding(
        "cross-taper-with-maoi",
        Severity.CONTRAINDICATED,
        [a.name, b.name],
        message=f"{maoi.name} is an MAOI: it is never cross-tapered.",
        mechanism="Overlap of an MAOI with serotonergic or sympathomimetic drugs risks serotonin syndrome or hypertensive crisis.",
        action="Taper, wait the washout, then switch (strategy taper-then-switch).",
        source="brief",
    )


def _contraindicated(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, tuple[str, ...]], Finding] = {}
    for item in findings:
        if item.severity is Severity.CONTRAINDICATED:
            seen.setdefault((item.code, item.drugs), item)
    return sorted(seen.values(), key=Finding.sort_key)


def _overlap_findings(
    a: Drug,
    from_mg: Decimal,
    b: Drug,
    to_mg: Decimal,
    on: dt.date,
    facts: PatientFacts,
    knowledge: Knowledge,
) -> list[Finding]:
    return check(Order(b, to_mg, start=on), [Medication(a, from_mg)], facts, knowledge, on=on)


def _course(steps: tuple[PlanStep, ...], drug: Drug, already_taking: bool) -> list[Medication]:
    """The drug's plan as regimen entries: one per dose, each stopping at the next step."""
    own = [step for step in steps if step.drug == drug.name]
    meds = []
    for index, step in enumerate(own):
        if step.daily_dose_mg == 0:
            continue
        stop = own[index + 1].on if index + 1 < len(own) else None
        started = None if (already_taking and index == 0) else step.on
        meds.append(Medication(drug, step.daily_dose_mg, start=started, stop=stop))
    return meds


def _plan_findings(
    steps: tuple[PlanStep, ...], a: Drug, b: Drug, facts: PatientFacts, knowledge: Knowledge
) -> list[Finding]:
    a_course = _course(steps, a, already_taking=True)
    a_first = next(step for step in steps if step.drug == a.name)
    if a_first.daily_dose_mg == 0:
        # Stopped on the first day: it was taken until then.
        a_course = [Medication(a, None, start=None, stop=a_first.on)]
    elif a_course:
        first = a_course[0]
        a_course[0] = Medication(a, first.dose_mg, start=None, stop=first.stop)
    b_course = _course(steps, b, already_taking=False)
    found: list[Finding] = []
    for step in steps:
        if step.daily_dose_mg == 0:
            continue
        drug, others = (a, b_course) if step.drug == a.name else (b, a_course)
        own = a_course if drug is a else b_course
        before = [med for med in own if med.stop is not None and med.stop <= step.on]
        previous = before[-1:] if before else []
        regimen = [*others, *previous]
        order = Order(drug, step.daily_dose_mg, start=step.on)
        found.extend(check(order, regimen, facts, knowledge, on=step.on))
    return found
