"""Dose checks against the label: maxima per day and per dose, situation-specific maxima
(citalopram over 60...), and starts or steps faster than the label's titration."""

from __future__ import annotations

from decimal import Decimal

from dosewise.domain.knowledge.model import CypRole, DoseLimit, Dosing, Strength, Tag
from dosewise.domain.safety.facts import Context
from dosewise.domain.safety.findings import Finding, Severity, finding

_INDUCERS_OF_LAMOTRIGINE = frozenset(
    {"carbamazepine", "phenytoin", "rifampin", "phenobarbital", "primidone"}
)


# Situations the check input does not carry yet, in the words the clinician records them.
_UNRECORDED = {
    "hepatic_impairment": "hepatic impairment",
    "cyp2c19_poor_metabolizer": "CYP2C19 metabolizer status",
    "cyp2d6_poor_metabolizer": "CYP2D6 metabolizer status",
    "mdd_adjunct": "whether this is adjunctive treatment of depression",
}


def _fmt(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def _limit_applies(ctx: Context, limit: DoseLimit) -> bool | None:
    """True/False, or None when a fact needed to decide is unknown."""
    age = ctx.patient.age
    present = ctx.present
    when = limit.when
    if when in ("age_over_60", "age_65_or_over"):
        if age is None:
            ctx.note_unknown("age")
            return None
        return age > 60 if when == "age_over_60" else age >= 65
    if when == "with_strong_cyp3a4_inhibitor":
        return any(
            e.enzyme == "CYP3A4" and e.strength is Strength.STRONG
            for drug in present
            for e in drug.cyp_roles(CypRole.INHIBITOR)
        )
    if when == "with_strong_cyp2d6_inhibitor":
        return any(
            e.enzyme == "CYP2D6" and e.strength is Strength.STRONG
            for drug in present
            for e in drug.cyp_roles(CypRole.INHIBITOR)
        )
    if when == "with_valproate":
        return any(drug.name == "valproate" for drug in present)
    if when == "with_enzyme_inducer":
        return any(drug.name in _INDUCERS_OF_LAMOTRIGINE for drug in present)
    if when == "bipolar_depression":
        if not ctx.patient.conditions:
            ctx.note_unknown("diagnoses")
            return None
        return ctx.patient.has_condition("F31.3", "F31.4", "F31.5")
    if when == "renal_impairment":
        egfr = ctx.patient.latest("egfr")
        if egfr is None:
            ctx.note_unknown("kidney function (eGFR)")
            return None
        return egfr.value < 30  # labels' renal caps are for severe impairment (CrCl < 30)
    # Not in the input: say so rather than assume the lower maximum does not apply.
    ctx.note_unknown(_UNRECORDED[when])
    return None


def dose_limits(ctx: Context) -> list[Finding]:
    order = ctx.order
    dosing = order.drug.dosing
    if dosing is None:
        return []
    findings = []
    daily = order.daily_mg
    name = order.drug.name
    if dosing.label_max_mg_per_day and daily > dosing.label_max_mg_per_day:
        findings.append(
            finding(
                "dose-above-label-maximum",
                Severity.MAJOR,
                [name],
                message=f"{name} {_fmt(daily)} mg/day is above the label maximum of {_fmt(dosing.label_max_mg_per_day)} mg/day.",
                mechanism="Doses above the label maximum were not shown to be safe; adverse effects are dose-related.",
                action=f"Reduce to at most {_fmt(dosing.label_max_mg_per_day)} mg/day, or document why a higher dose is needed.",
                source=dosing.source,
            )
        )
    if dosing.max_mg_per_dose and order.dose_mg > dosing.max_mg_per_dose:
        findings.append(
            finding(
                "dose-above-single-dose-maximum",
                Severity.MAJOR,
                [name],
                message=f"{name} {_fmt(order.dose_mg)} mg in one dose is above the label's {_fmt(dosing.max_mg_per_dose)} mg per dose.",
                mechanism="Peak-related adverse effects (for bupropion, seizures) rise with single-dose size.",
                action=f"Split the daily dose so no single dose exceeds {_fmt(dosing.max_mg_per_dose)} mg.",
                source=dosing.source,
            )
        )
    for limit in dosing.limits:
        if daily <= limit.max_mg_per_day:
            continue
        applies = _limit_applies(ctx, limit)
        if not applies:
            continue
        findings.append(
            finding(
                "dose-above-situational-maximum",
                Severity.MAJOR,
                [name],
                message=(
                    f"{name} {_fmt(daily)} mg/day is above {_fmt(limit.max_mg_per_day)} mg/day, the maximum "
                    f"{limit.when.replace('_', ' ')}."
                ),
                mechanism="A lower maximum applies in this situation (higher exposure or risk, e.g. QT prolongation).",
                action=f"Reduce to at most {_fmt(limit.max_mg_per_day)} mg/day.",
                source=limit.source,
            )
        )
    return findings


def _lamotrigine_start(ctx: Context) -> Decimal:
    """First-fortnight daily dose from the label schedules (25; 12.5 with valproate; 50 with inducers)."""
    names = {drug.name for drug in ctx.present}
    if "valproate" in names:
        return Decimal("12.5")
    if names & _INDUCERS_OF_LAMOTRIGINE:
        return Decimal(50)
    return Decimal(25)


def titration(ctx: Context) -> list[Finding]:
    """A start above the label's starting dose, or a step bigger or sooner than its titration."""
    order = ctx.order
    dosing: Dosing | None = order.drug.dosing
    if dosing is None:
        return []
    name = order.drug.name
    daily = order.daily_mg
    previous = ctx.previous
    if previous is None:
        start = _lamotrigine_start(ctx) if name == "lamotrigine" else dosing.start_mg_per_day
        if daily <= start:
            return []
        rash = order.drug.has(Tag.SEVERE_SKIN_REACTION) and name == "lamotrigine"
        return [
            finding(
                "start-above-label-starting-dose",
                Severity.MAJOR if rash else Severity.MODERATE,
                [name],
                message=f"{name} starts at {_fmt(daily)} mg/day; the label starts at {_fmt(start)} mg/day.",
                mechanism=(
                    "Starting lamotrigine faster than its schedule raises the risk of serious rash (SJS/TEN)."
                    if rash
                    else "Starting above the label's dose raises early adverse effects and drop-out."
                ),
                action=f"Start at {_fmt(start)} mg/day and titrate per label{' (see the note)' if dosing.note else ''}.",
                source=dosing.source,
            )
        ]
    before = previous.daily_mg
    if before is None or daily <= before or dosing.titration_step_mg == 0:
        return []
    findings = []
    step = daily - before
    if step > dosing.titration_step_mg:
        findings.append(
            finding(
                "dose-step-too-large",
                Severity.MODERATE,
                [name],
                message=f"{name} rises by {_fmt(step)} mg/day; the label's usual step is up to {_fmt(dosing.titration_step_mg)} mg.",
                mechanism="Large increases raise adverse effects before the benefit of the last step is known.",
                action=f"Increase by at most {_fmt(dosing.titration_step_mg)} mg/day at a time.",
                source=dosing.source,
            )
        )
    if previous.start is not None and ctx.order.start is not None:
        days = (ctx.order.start - previous.start).days
        if days < dosing.titration_interval_days:
            findings.append(
                finding(
                    "dose-step-too-soon",
                    Severity.MODERATE,
                    [name],
                    message=f"{name} was last changed {days} day(s) ago; the label waits at least {dosing.titration_interval_days} days between steps.",
                    mechanism="The previous dose has not reached steady state or shown its effect yet.",
                    action=f"Wait until {dosing.titration_interval_days} days after the last change.",
                    source=dosing.source,
                )
            )
    return findings


RULES = (dose_limits, titration)
