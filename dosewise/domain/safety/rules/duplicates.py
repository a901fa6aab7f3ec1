"""Duplicate therapy: two drugs of the same class (two SSRIs, two benzodiazepines, two
antipsychotics) running together (brief §3.4; APA 2020 on antipsychotic polypharmacy)."""

from __future__ import annotations

from dosewise.domain.knowledge.model import Drug, Tag
from dosewise.domain.safety.facts import Context
from dosewise.domain.safety.findings import Finding, Severity, finding


def _same_class(a: Drug, b: Drug) -> str | None:
    if a.has(Tag.ANTIPSYCHOTIC) and b.has(Tag.ANTIPSYCHOTIC):
        return "antipsychotics"
    if a.has(Tag.BENZODIAZEPINE_LIKE) and b.has(Tag.BENZODIAZEPINE_LIKE):
        return "benzodiazepines or Z-drugs"
    if a.has(Tag.STIMULANT) and b.has(Tag.STIMULANT):
        return "stimulants"
    if a.subclass and a.subclass == b.subclass and a.drug_class == b.drug_class:
        return f"{a.subclass.upper() if len(a.subclass) <= 5 else a.subclass}s"
    return None


def duplicate_therapy(ctx: Context) -> list[Finding]:
    order = ctx.order.drug
    findings = []
    for med in ctx.active:
        group = _same_class(order, med.drug)
        if group is None:
            continue
        findings.append(
            finding(
                "duplicate-class",
                Severity.MODERATE,
                [order.name, med.drug.name],
                message=f"Two {group}: {order.name} and {med.drug.name}.",
                mechanism="Same-class combinations add adverse effects with little evidence of added benefit.",
                action=(
                    f"If this is a cross-taper, record the plan to stop {med.drug.name}; otherwise document the reason "
                    "for combining two drugs of the same class."
                ),
                source="brief",
            )
        )
    return findings


RULES = (duplicate_therapy,)
