"""`check()`: run every rule over one proposed order and return the findings, most severe first.

Rules are small functions `rule(context) -> list[Finding]` grouped by topic in `rules/`. The
engine adds the coverage findings: paediatric dosing is not checked, and facts the rules
needed but the input lacked (age, pregnancy status, ANC) are named in one `info` finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from dosewise.domain.knowledge.loader import Knowledge
from dosewise.domain.safety.facts import Context, Medication, Order, PatientFacts, build_context
from dosewise.domain.safety.findings import Finding, Severity, finding
from dosewise.domain.safety.rules import (
    controlled,
    dosing,
    duplicates,
    interactions,
    patient,
    washout,
)

Rule = Callable[[Context], list[Finding]]

RULES: tuple[Rule, ...] = (
    *interactions.RULES,
    *washout.RULES,
    *duplicates.RULES,
    *dosing.RULES,
    *patient.RULES,
    *controlled.RULES,
)


def _coverage(ctx: Context) -> list[Finding]:
    findings = []
    age = ctx.patient.age
    if age is not None and age < 18:
        findings.append(
            finding(
                "pediatric-not-checked",
                Severity.INFO,
                [ctx.order.drug.name],
                message=f"The patient is {age}: paediatric doses and indications are not checked.",
                mechanism="The knowledge base holds adult label dosing.",
                action="Check the dose against the paediatric label or a paediatric reference.",
                source="brief",
            )
        )
    if ctx.unknown_facts:
        findings.append(
            finding(
                "facts-unknown",
                Severity.INFO,
                [ctx.order.drug.name],
                message=f"Not checked because unknown: {', '.join(ctx.unknown_facts)}.",
                mechanism="Rules that need these facts stood aside rather than guess.",
                action=f"Record {', '.join(ctx.unknown_facts)} and check again.",
                source="brief",
            )
        )
    return findings


def check(
    order: Order,
    regimen: Iterable[Medication],
    patient: PatientFacts,
    knowledge: Knowledge,
    *,
    on: dt.date,
) -> list[Finding]:
    """All findings for `order` given the regimen (current, outside and stopped drugs) and the
    patient, sorted by severity, then code, then drugs. The same (code, drugs) appears once."""
    ctx = build_context(order, regimen, patient, knowledge, on)
    strongest: dict[tuple[str, tuple[str, ...]], Finding] = {}
    for rule in RULES:
        for item in rule(ctx):
            key = (item.code, item.drugs)
            if key not in strongest or item.severity.rank < strongest[key].severity.rank:
                strongest[key] = item
    found = list(strongest.values()) + _coverage(ctx)
    return sorted(found, key=Finding.sort_key)
