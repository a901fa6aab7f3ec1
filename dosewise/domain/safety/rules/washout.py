"""Recently stopped drugs still count (brief §3.3, §3.4.2). A label's explicit interval wins
(14 days after an MAOI; 5 weeks after fluoxetine before an MAOI); otherwise about five
half-lives of the drug and its active metabolite. Direction matters."""

from __future__ import annotations

from dosewise.domain.knowledge.model import Drug, Tag
from dosewise.domain.safety.facts import Context
from dosewise.domain.safety.findings import Finding, Severity, finding

MAOI_WASHOUT_DAYS = 14


def _needs_gap_after_maoi(drug: Drug) -> bool:
    return any(drug.has(tag) for tag in (Tag.SEROTONERGIC, Tag.SYMPATHOMIMETIC, Tag.MAOI))


def washout(ctx: Context) -> list[Finding]:
    order = ctx.order.drug
    findings = []
    for med, days in ctx.recently_stopped:
        stopped = med.drug
        if stopped.name == order.name:
            continue
        if stopped.has(Tag.MAOI) and _needs_gap_after_maoi(order):
            # Starting a serotonergic drug after linezolid: 24 h is enough (SSRI labels, 2012).
            required = 1 if stopped.name in ("linezolid", "methylene blue") else MAOI_WASHOUT_DAYS
            if days < required:
                findings.append(
                    finding(
                        "washout-after-maoi",
                        Severity.CONTRAINDICATED,
                        [order.name, stopped.name],
                        message=(
                            f"{stopped.name} was stopped {days} day(s) ago; {order.name} needs a gap of "
                            f"{required} day(s)."
                        ),
                        mechanism="MAO inhibition outlasts the drug (irreversible inhibitors need about two weeks for new enzyme).",
                        action=f"Wait until {required - days} more day(s) have passed since {stopped.name} was stopped.",
                        source="apa-mdd-2010",
                    )
                )
        elif order.has(Tag.MAOI) and (
            stopped.has(Tag.SEROTONERGIC) or stopped.has(Tag.SYMPATHOMIMETIC)
        ):
            if order.name in ("linezolid", "methylene blue"):
                continue  # an urgent antibiotic after a stopped SSRI: the active-drug rule covers current ones
            required = stopped.days_before_maoi or stopped.washout_days
            if days < required:
                findings.append(
                    finding(
                        "washout-before-maoi",
                        Severity.CONTRAINDICATED,
                        [order.name, stopped.name],
                        message=(
                            f"{stopped.name} was stopped {days} day(s) ago; an MAOI may start {required} days "
                            "after it."
                        ),
                        mechanism=f"{stopped.name} (and its active metabolite) is still present: serotonin syndrome or hypertensive crisis.",
                        action=f"Wait {required - days} more day(s) before starting {order.name}.",
                        source="apa-mdd-2010" if stopped.days_before_maoi else "brief",
                    )
                )
    return findings


RULES = (washout,)
