"""The patient's own facts: allergies, pregnancy and breastfeeding, age-related boxed warnings,
conditions that contraindicate a drug, and the latest laboratory values."""

from __future__ import annotations

from decimal import Decimal

from dosewise.domain.knowledge.model import Drug, Tag
from dosewise.domain.safety.facts import Context, Sex
from dosewise.domain.safety.findings import Finding, Severity, finding

# Groups with documented cross-sensitivity (aromatic anticonvulsants: labels of carbamazepine,
# oxcarbazepine and phenytoin; about 25-30 % of carbamazepine-allergic patients react to
# oxcarbazepine). Source id: "brief" until a label source is attached.
CROSS_REACTING = (frozenset({"carbamazepine", "oxcarbazepine", "phenytoin", "lamotrigine"}),)


def _names(drug: Drug) -> set[str]:
    return {drug.name, *drug.synonyms}


def _normalised(entries: tuple[str, ...]) -> set[str]:
    return {" ".join(entry.lower().split()) for entry in entries}


def _matches(drug: Drug, entries: set[str]) -> bool:
    return bool(entries & _names(drug)) or bool(drug.rxcui and drug.rxcui in entries)


def allergy(ctx: Context) -> list[Finding]:
    """A recorded allergy contraindicates the drug; a recorded intolerance (a non-immune adverse
    reaction such as nausea) is a reason to think again, not a contraindication."""
    order = ctx.order.drug
    allergies = _normalised(ctx.patient.allergies)
    if _matches(order, allergies):
        return [
            finding(
                "allergy",
                Severity.CONTRAINDICATED,
                [order.name],
                message=f"The patient is recorded as allergic to {order.name}.",
                mechanism="Re-exposure to a drug that caused an allergic reaction can cause a worse one.",
                action="Do not prescribe; choose another drug, or verify the allergy record first.",
                source="brief",
            )
        ]
    if _matches(order, _normalised(ctx.patient.intolerances)):
        return [
            finding(
                "intolerance",
                Severity.MODERATE,
                [order.name],
                message=f"The patient has a recorded intolerance to {order.name}.",
                mechanism="The same adverse effect is likely to recur, often dose-related.",
                action="Check what happened last time; if prescribing again, start low and go slow, and tell the patient what to watch for.",
                source="brief",
            )
        ]
    if not allergies:
        return []
    for group in CROSS_REACTING:
        if order.name not in group:
            continue
        culprits = sorted(name for name in group - {order.name} if name in allergies)
        if culprits:
            return [
                finding(
                    "allergy-cross-reactivity",
                    Severity.MAJOR,
                    [order.name, *culprits],
                    message=f"Allergy to {', '.join(culprits)}: {order.name} can cross-react.",
                    mechanism="Aromatic anticonvulsants share cross-sensitivity (rash, hypersensitivity syndrome).",
                    action="Prefer a drug outside the group; if used, counsel and watch closely for rash.",
                    source="brief",
                )
            ]
    return []


def pregnancy_and_lactation(ctx: Context) -> list[Finding]:
    order = ctx.order.drug
    patient = ctx.patient
    findings = []
    if order.has(Tag.TERATOGENIC):
        if patient.pregnant:
            findings.append(
                finding(
                    "pregnancy-teratogen",
                    Severity.MAJOR,
                    [order.name],
                    message=f"{order.name} in pregnancy: known fetal risk.",
                    mechanism=order.pregnancy or "Teratogenic drug.",
                    action="Use a safer alternative when one exists; otherwise document the decision with the patient and arrange specialist fetal monitoring.",
                    source=order.source,
                )
            )
        elif patient.pregnant is None and patient.sex is not Sex.MALE:
            ctx.note_unknown("pregnancy status")
        elif patient.childbearing_potential and order.name == "valproate":
            findings.append(
                finding(
                    "valproate-childbearing-potential",
                    Severity.MODERATE,
                    ["valproate"],
                    message="Valproate for a patient who could become pregnant.",
                    mechanism="Neural tube defects and lower IQ after fetal exposure.",
                    action="Prefer an alternative; if used, ensure effective contraception and a documented discussion of the risks.",
                    source=order.source,
                )
            )
    if patient.breastfeeding and order.is_psychotropic:
        findings.append(
            finding(
                "breastfeeding",
                Severity.INFO,
                [order.name],
                message=f"The patient is breastfeeding: {order.lactation}",
                mechanism="Drug passes into breast milk to a varying degree.",
                action="Weigh the benefit against infant exposure; monitor the infant as the note suggests.",
                source=order.source,
            )
        )
    return findings


def age_warnings(ctx: Context) -> list[Finding]:
    """Boxed warnings tied to age: antidepressants under 25; antipsychotics in older adults
    with dementia."""
    order = ctx.order.drug
    age = ctx.patient.age
    if age is None:
        if order.has(Tag.ANTIDEPRESSANT) or order.has(Tag.ANTIPSYCHOTIC):
            ctx.note_unknown("age")
        return []
    findings = []
    if order.has(Tag.ANTIDEPRESSANT) and age < 25:
        findings.append(
            finding(
                "antidepressant-under-25",
                Severity.MODERATE,
                [order.name],
                message=f"Antidepressant for a {age}-year-old: boxed warning on suicidal thoughts and behaviours under 25.",
                mechanism="Higher rates of suicidal thinking in children, adolescents and young adults early in treatment.",
                action="Tell the patient and family what to watch for; follow up weekly to every two weeks in the first months and after dose changes.",
                source=order.source,
            )
        )
    if (
        order.has(Tag.ANTIPSYCHOTIC)
        and age >= 65
        and ctx.patient.has_condition("F01", "F02", "F03", "G30", "G31.0", "G31.83")
    ):
        findings.append(
            finding(
                "antipsychotic-dementia",
                Severity.MAJOR,
                [order.name],
                message="Antipsychotic for an older adult with dementia: boxed warning of increased mortality.",
                mechanism="Higher death rates (cardiovascular, infection) in elderly patients with dementia-related psychosis.",
                action="Use non-drug approaches first; if needed, lowest dose, shortest time, documented consent and review.",
                source=order.source,
            )
        )
    return findings


def conditions(ctx: Context) -> list[Finding]:
    """Conditions that contraindicate or complicate the ordered drug."""
    order = ctx.order.drug
    patient = ctx.patient
    findings = []
    if order.name == "bupropion":
        seizure = patient.has_condition("G40", "R56")
        eating = patient.has_condition("F50.0", "F50.2")
        if seizure or eating:
            findings.append(
                finding(
                    "bupropion-contraindicated-condition",
                    Severity.CONTRAINDICATED,
                    ["bupropion"],
                    message=f"Bupropion with {'a seizure disorder' if seizure else 'an eating disorder (anorexia or bulimia)'}.",
                    mechanism="Bupropion lowers the seizure threshold; seizure risk is higher with these conditions.",
                    action="Do not prescribe bupropion; choose another antidepressant.",
                    source=order.source,
                )
            )
    if order.has(Tag.ANTIDEPRESSANT) and patient.has_condition("F31"):
        stabilized = any(
            drug.has(Tag.MOOD_STABILIZER) or drug.has(Tag.ANTIPSYCHOTIC) for drug in ctx.present
        )
        if not stabilized:
            findings.append(
                finding(
                    "antidepressant-monotherapy-in-bipolar",
                    Severity.MAJOR,
                    [order.name],
                    message="Antidepressant for bipolar disorder without a mood stabilizer or antipsychotic.",
                    mechanism="Antidepressant monotherapy can switch bipolar depression into mania or rapid cycling.",
                    action="Add or continue a mood stabilizer or antipsychotic; or choose a treatment approved for bipolar depression.",
                    source="brief",
                )
            )
    return findings


def labs(ctx: Context) -> list[Finding]:
    """Latest lithium level, clozapine ANC, sodium and eGFR against the ordered drug (§4)."""
    order = ctx.order.drug
    names = {order.name, *(drug.name for drug in ctx.present)}
    findings = []
    lithium = ctx.patient.latest("lithium")
    involves_lithium = order.name == "lithium carbonate" or (
        "lithium carbonate" in names and order.has(Tag.RAISES_LITHIUM_LEVEL)
    )
    if involves_lithium and lithium is not None and lithium.value > Decimal("1.2"):
        severity = Severity.MAJOR
        findings.append(
            finding(
                "lithium-level-high",
                severity,
                sorted({"lithium carbonate", order.name}),
                message=f"Latest lithium level {lithium.value} mmol/L on {lithium.on.isoformat()} is above 1.2 mmol/L.",
                mechanism="Lithium toxicity rises steeply above the maintenance range (0.6-1.0 mmol/L).",
                action="Hold or reduce lithium, check for toxicity (tremor, ataxia, confusion, vomiting), repeat the level and renal function now.",
                source="brief",
            )
        )
    if order.name == "clozapine":
        anc = ctx.patient.latest("anc")
        if anc is None:
            ctx.note_unknown("ANC")
        elif anc.value < 1500:
            severe = anc.value < 500
            findings.append(
                finding(
                    "clozapine-low-anc",
                    Severity.CONTRAINDICATED if severe else Severity.MAJOR,
                    ["clozapine"],
                    message=f"Latest ANC {anc.value}/uL on {anc.on.isoformat()} with clozapine.",
                    mechanism="Clozapine can cause severe neutropenia (ANC < 500/uL).",
                    action=(
                        "Interrupt clozapine; repeat ANC daily until > 1000/uL; haematology input."
                        if severe
                        else "Check ANC more often per the label's table; interrupt if below 1000/uL (general population)."
                    ),
                    source=order.source,
                )
            )
    sodium = ctx.patient.latest("sodium")
    if order.has(Tag.HYPONATREMIA) and sodium is not None and sodium.value < 130:
        findings.append(
            finding(
                "low-sodium",
                Severity.MAJOR,
                [order.name],
                message=f"Latest sodium {sodium.value} mmol/L on {sodium.on.isoformat()}; {order.name} can lower it further.",
                mechanism="SIADH-type hyponatraemia (older adults and diuretic users most at risk).",
                action="Correct and find the cause first; if started, recheck sodium within 2-4 weeks.",
                source="brief",
            )
        )
    egfr = ctx.patient.latest("egfr")
    if order.name == "lithium carbonate" and egfr is not None and egfr.value < 60:
        severe = egfr.value < 30
        findings.append(
            finding(
                "lithium-reduced-kidney-function",
                Severity.MAJOR if severe else Severity.MODERATE,
                ["lithium carbonate"],
                message=f"Latest eGFR {egfr.value} mL/min/1.73m2 on {egfr.on.isoformat()} with lithium.",
                mechanism="Lithium is cleared by the kidney; reduced function raises levels and lithium can worsen kidney function.",
                action=(
                    "Avoid lithium unless a specialist decides otherwise; if used, low dose and frequent levels."
                    if severe
                    else "Lower doses, more frequent levels and renal monitoring (every 3 months)."
                ),
                source="brief",
            )
        )
    return findings


RULES = (allergy, pregnancy_and_lactation, age_warnings, conditions, labs)
