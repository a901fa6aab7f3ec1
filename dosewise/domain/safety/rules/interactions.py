"""Drug-drug interactions by mechanism (brief §3.2). Each pair involves the ordered drug and a
drug still present (current, or stopped less than five half-lives ago), so the order or a
current drug may be the trigger; pairs among current drugs were checked when they were ordered.
Washout after stopping is `rules/washout.py`."""

from __future__ import annotations

from dosewise.domain.knowledge.model import CypRole, Drug, QtRisk, Strength, Tag
from dosewise.domain.safety.facts import Context, Sex
from dosewise.domain.safety.findings import Finding, Severity, finding

_QT_DRUGS = (QtRisk.POSSIBLE, QtRisk.KNOWN)
# Labels that contraindicate use with other QT-prolonging drugs (brief I-05, I-06).
_QT_CONTRAINDICATED = frozenset({"ziprasidone", "pimozide", "thioridazine"})
_LINEZOLID_LIKE = frozenset({"linezolid", "methylene blue"})


def maoi_combinations(ctx: Context) -> list[Finding]:
    """MAOI with a serotonergic or sympathomimetic drug: serotonin syndrome or hypertensive
    crisis (brief I-01, I-02, I-27). Linezolid or methylene blue needed while on a serotonergic
    drug is a different, major finding (I-03)."""
    order = ctx.order.drug
    active_names = {med.drug.name for med in ctx.active}
    findings = []
    for other in ctx.others:
        if other.name not in active_names:
            continue  # stopped drugs: rules/washout.py decides with the label's intervals
        pair = (order, other)
        maoi = next((drug for drug in pair if drug.has(Tag.MAOI)), None)
        if maoi is None:
            continue
        partner = other if maoi is order else order
        if partner.has(Tag.MAOI):
            findings.append(
                finding(
                    "maoi-with-maoi",
                    Severity.CONTRAINDICATED,
                    [order.name, other.name],
                    message=f"{order.name} and {other.name} are both monoamine oxidase inhibitors.",
                    mechanism="Combined MAO inhibition: hypertensive crisis and serotonin syndrome.",
                    action="Do not combine; allow 14 days after stopping one MAOI before starting another.",
                    source="brief",
                )
            )
        elif maoi is order and order.name in _LINEZOLID_LIKE and partner.has(Tag.SEROTONERGIC):
            findings.append(
                finding(
                    "linezolid-with-serotonergic",
                    Severity.MAJOR,
                    [order.name, partner.name],
                    message=f"{order.name} is ordered for a patient taking {partner.name}.",
                    mechanism=f"{order.name} inhibits MAO; with a serotonergic drug it can cause serotonin syndrome.",
                    action=(
                        f"Use an alternative if possible. If {order.name} is urgent: stop {partner.name}, give "
                        f"{order.name}, monitor for serotonin toxicity for 2 weeks (5 weeks after fluoxetine) or "
                        f"until 24 hours after the last {order.name} dose; resume {partner.name} 24 hours after it."
                    ),
                    source="fda-ssri-linezolid-2012",
                )
            )
        else:
            findings.extend(_maoi_partner_findings(maoi, partner, ordered=order))
    return findings


def _maoi_partner_findings(maoi: Drug, partner: Drug, *, ordered: Drug) -> list[Finding]:
    """A drug may be both serotonergic and sympathomimetic (amphetamines): both mechanisms apply.
    The advice depends on which drug is new: the current one must be stopped and washed out."""
    findings = []
    if ordered is maoi:
        gap = partner.days_before_maoi or partner.washout_days
        advice = (
            f"Do not start {maoi.name} while {partner.name} is taken. If switching, stop {partner.name} "
            f"and wait {gap} days before starting {maoi.name}."
        )
    else:
        advice = (
            f"Do not start {partner.name} while {maoi.name} is taken. If switching, stop {maoi.name} "
            f"and wait 14 days before starting {partner.name}."
        )
    if partner.has(Tag.SEROTONERGIC):
        findings.append(
            finding(
                "maoi-with-serotonergic",
                Severity.CONTRAINDICATED,
                [maoi.name, partner.name],
                message=f"{partner.name} with the MAOI {maoi.name} is contraindicated.",
                mechanism="Serotonin syndrome (fatal cases reported).",
                action=advice,
                source="apa-mdd-2010",
            )
        )
    if partner.has(Tag.SYMPATHOMIMETIC):
        findings.append(
            finding(
                "maoi-with-sympathomimetic",
                Severity.CONTRAINDICATED,
                [maoi.name, partner.name],
                message=f"{partner.name} with the MAOI {maoi.name} is contraindicated.",
                mechanism="Noradrenaline release with MAO inhibition: hypertensive crisis.",
                action=advice,
                source="brief",
            )
        )
    return findings


def serotonergic_load(ctx: Context) -> list[Finding]:
    """Two or more serotonergic drugs without an MAOI: additive serotonergic effect (I-04)."""
    order = ctx.order.drug
    if not order.has(Tag.SEROTONERGIC) or order.has(Tag.MAOI):
        return []
    others = [drug for drug in ctx.others if drug.has(Tag.SEROTONERGIC) and not drug.has(Tag.MAOI)]
    if not others:
        return []
    drugs = [order.name, *(drug.name for drug in others)]
    severity = Severity.MAJOR if len(drugs) >= 3 else Severity.MODERATE
    return [
        finding(
            "serotonergic-load",
            severity,
            drugs,
            message=f"{len(drugs)} serotonergic drugs together: {', '.join(sorted(drugs))}.",
            mechanism="Additive serotonergic effect; risk of serotonin toxicity, highest at starts and dose increases.",
            action=(
                "Combine only with a reason; counsel the patient and watch for tremor, clonus, hyperreflexia, "
                "agitation and fever (Hunter criteria), especially in the first days and after dose rises."
            ),
            source="brief",
        )
    ]


def _qtc_limit(ctx: Context) -> int:
    return 470 if ctx.patient.sex is Sex.FEMALE else 450


def qt_prolongation(ctx: Context) -> list[Finding]:
    """QT-prolonging drugs together, or one with a long measured QTc (I-05, I-06)."""
    order = ctx.order.drug
    if order.qt_risk not in _QT_DRUGS:
        return []
    findings = []
    partners = [drug for drug in ctx.others if drug.qt_risk in _QT_DRUGS]
    if partners:
        names = [order.name, *(drug.name for drug in partners)]
        contraindicated = bool(_QT_CONTRAINDICATED & set(names))
        # Two drugs with only a "possible" label warning (lithium with quetiapine) are common and
        # usually tolerated: moderate. A drug with known, dose-related QT risk makes it major.
        known = any(drug.qt_risk is QtRisk.KNOWN for drug in (order, *partners))
        if contraindicated:
            severity = Severity.CONTRAINDICATED
        else:
            severity = Severity.MAJOR if known else Severity.MODERATE
        findings.append(
            finding(
                "qt-drugs-combined",
                severity,
                names,
                message=f"QT-prolonging drugs together: {', '.join(sorted(names))}.",
                mechanism="Additive QT prolongation; risk of torsades de pointes.",
                action=(
                    "Do not combine (the label contraindicates other QT-prolonging drugs)."
                    if contraindicated
                    else "Avoid if possible; otherwise baseline ECG and electrolytes (K, Mg), repeat the ECG at "
                    "steady state; stop or reduce if QTc > 500 ms or rises > 60 ms."
                ),
                source="brief",
            )
        )
    qtc = ctx.patient.latest("qtc")
    if qtc is None:
        return findings
    if qtc.value > 500 and order.name in _QT_CONTRAINDICATED:
        severity = Severity.CONTRAINDICATED
    elif qtc.value > _qtc_limit(ctx):
        severity = Severity.MAJOR
    else:
        return findings
    findings.append(
        finding(
            "qt-drug-with-long-qtc",
            severity,
            [order.name],
            message=f"{order.name} prolongs QT and the latest QTc was {qtc.value} ms on {qtc.on.isoformat()}.",
            mechanism="A QT-prolonging drug on top of an already long QTc: risk of torsades de pointes.",
            action="Choose a drug without QT effect, or correct K/Mg and get cardiology input; repeat the ECG.",
            source="brief",
        )
    )
    return findings


def opioid_with_cns_depressants(ctx: Context) -> list[Finding]:
    """Opioids with benzodiazepines, Z-drugs or other CNS depressants (I-08; FDA boxed 2016)."""
    order = ctx.order.drug
    others = ctx.others
    if order.has(Tag.OPIOID):
        partners = [
            drug for drug in others if drug.has(Tag.CNS_DEPRESSANT) and not drug.has(Tag.OPIOID)
        ]
    elif order.has(Tag.CNS_DEPRESSANT):
        partners = [drug for drug in others if drug.has(Tag.OPIOID)]
    else:
        return []
    if not partners:
        return []
    names = [order.name, *(drug.name for drug in partners)]
    return [
        finding(
            "opioid-with-cns-depressant",
            Severity.MAJOR,
            names,
            message=f"An opioid with a CNS depressant: {', '.join(sorted(names))}.",
            mechanism="Additive respiratory and CNS depression: profound sedation, coma, death (boxed warning).",
            action=(
                "Avoid; if unavoidable use the lowest doses for the shortest time, prescribe naloxone and counsel. "
                "Do not withhold buprenorphine or methadone for opioid use disorder because of a benzodiazepine."
            ),
            source="fda-opioid-benzo-2016",
        )
    ]


def _pair_with(ctx: Context, name: str, tag: Tag) -> tuple[Drug, Drug] | None:
    """(the drug called `name`, a partner with `tag`) when the order is one of them."""
    order = ctx.order.drug
    others = ctx.others
    if order.name == name:
        partner = next((drug for drug in others if drug.has(tag)), None)
        return (order, partner) if partner else None
    if order.has(tag):
        named = next((drug for drug in others if drug.name == name), None)
        return (named, order) if named else None
    return None


def lithium_level_raisers(ctx: Context) -> list[Finding]:
    """Lithium with NSAIDs, ACE inhibitors, ARBs or thiazides: lithium toxicity (I-09)."""
    pair = _pair_with(ctx, "lithium carbonate", Tag.RAISES_LITHIUM_LEVEL)
    if pair is None:
        return []
    lithium, raiser = pair
    return [
        finding(
            "lithium-clearance-reduced",
            Severity.MAJOR,
            [lithium.name, raiser.name],
            message=f"{raiser.name} raises lithium levels.",
            mechanism=f"{raiser.name} reduces renal lithium clearance; lithium toxicity can follow.",
            action=(
                f"Avoid {raiser.name} or reduce the lithium dose; check the lithium level 5-7 days after starting "
                "or stopping it, and counsel on dehydration and toxicity symptoms."
            ),
            source="brief",
        )
    ]


def valproate_combinations(ctx: Context) -> list[Finding]:
    """Valproate with lamotrigine (I-11) or a carbapenem (I-29)."""
    findings = []
    names = {ctx.order.drug.name, *(drug.name for drug in ctx.others)}
    if (
        "valproate" in names
        and "lamotrigine" in names
        and ctx.order.drug.name in ("valproate", "lamotrigine")
    ):
        findings.append(
            finding(
                "valproate-raises-lamotrigine",
                Severity.MAJOR,
                ["lamotrigine", "valproate"],
                message="Valproate roughly doubles lamotrigine levels.",
                mechanism="Valproate inhibits lamotrigine glucuronidation (UGT); serious rash risk rises with level.",
                action=(
                    "Use the valproate schedule: lamotrigine 25 mg every other day in weeks 1-2, 25 mg/day in "
                    "weeks 3-4, 50 mg/day week 5, 100 mg/day week 6 (target about 100 mg/day). Re-adjust if "
                    "valproate stops."
                ),
                source="brief",
            )
        )
    pair = _pair_with(ctx, "valproate", Tag.CARBAPENEM)
    if pair is not None:
        findings.append(
            finding(
                "valproate-with-carbapenem",
                Severity.MAJOR,
                [pair[0].name, pair[1].name],
                message=f"{pair[1].name} makes valproate levels collapse.",
                mechanism="Carbapenems lower valproate levels by 60-100% within a day: seizures or relapse.",
                action="Choose another antibiotic, or another mood stabilizer for the course.",
                source="brief",
            )
        )
    return findings


def _cyp_severity(perpetrator_strength: Strength, contraindicated: bool) -> Severity | None:
    if perpetrator_strength is Strength.STRONG:
        return Severity.CONTRAINDICATED if contraindicated else Severity.MAJOR
    if perpetrator_strength is Strength.MODERATE:
        return Severity.MODERATE
    return None  # weak perpetrators: not worth an alert


# Pairs whose metabolic interaction a dedicated rule already reports with the label's schedule.
_COVERED_PAIRS = frozenset({frozenset({"valproate", "lamotrigine"})})


def cyp_interactions(ctx: Context) -> list[Finding]:
    """Strong or moderate CYP inhibitors and inducers with substrates that depend on that
    enzyme (FDA CYP table; labels via brief I-14 to I-21). The substrate's label action (e.g.
    "use one-sixth of the dose") is quoted for strong perpetrators only, which is what labels
    describe; a moderate one gets the general advice."""
    order = ctx.order.drug
    findings = []
    for other in ctx.others:
        if frozenset({order.name, other.name}) in _COVERED_PAIRS:
            continue
        for victim, perpetrator in ((order, other), (other, order)):
            for substrate in victim.cyp_roles(CypRole.SUBSTRATE):
                if substrate.strength is Strength.WEAK:
                    continue
                for role in (CypRole.INHIBITOR, CypRole.INDUCER):
                    effect = next(
                        (e for e in perpetrator.cyp_roles(role) if e.enzyme == substrate.enzyme),
                        None,
                    )
                    if effect is None:
                        continue
                    inhibits = role is CypRole.INHIBITOR
                    contraindicated = (
                        substrate.contraindicated_with_strong_inhibitor
                        if inhibits
                        else substrate.contraindicated_with_strong_inducer
                    )
                    severity = _cyp_severity(effect.strength, contraindicated)
                    if severity is None:
                        continue
                    label_action = (
                        substrate.with_inhibitor_action
                        if inhibits
                        else substrate.with_inducer_action
                    )
                    direction = "raises" if inhibits else "lowers"
                    findings.append(
                        finding(
                            f"cyp-{'inhibition' if inhibits else 'induction'}",
                            severity,
                            [victim.name, perpetrator.name],
                            message=(
                                f"{perpetrator.name} ({effect.strength.value} {substrate.enzyme} "
                                f"{role.value}) {direction} {victim.name} levels."
                            ),
                            mechanism=(
                                f"{victim.name} depends on {substrate.enzyme}; {perpetrator.name} "
                                f"{'inhibits' if inhibits else 'induces'} it."
                            ),
                            action=(
                                "Do not combine (contraindicated in the label)."
                                if severity is Severity.CONTRAINDICATED
                                else label_action
                                or (
                                    f"Expect {'higher' if inhibits else 'lower'} {victim.name} exposure: adjust the "
                                    "dose and monitor effect and adverse effects"
                                    + (
                                        "; reverse the adjustment when the inducer stops (induction fades over 2-4 weeks)."
                                        if not inhibits
                                        else "."
                                    )
                                )
                            ),
                            source=substrate.source if label_action else effect.source,
                        )
                    )
    return findings


def seizure_threshold(ctx: Context) -> list[Finding]:
    """Drugs that lower the seizure threshold, together (I-22)."""
    order = ctx.order.drug
    if not order.has(Tag.LOWERS_SEIZURE_THRESHOLD):
        return []
    partners = [drug for drug in ctx.others if drug.has(Tag.LOWERS_SEIZURE_THRESHOLD)]
    if not partners:
        return []
    names = [order.name, *(drug.name for drug in partners)]
    return [
        finding(
            "seizure-threshold-lowered",
            Severity.MODERATE,
            names,
            message=f"Several drugs lower the seizure threshold: {', '.join(sorted(names))}.",
            mechanism="Additive lowering of the seizure threshold (bupropion's risk is dose-related).",
            action="Keep doses low (bupropion within its per-dose and daily limits); avoid if there are other seizure risks.",
            source="brief",
        )
    ]


def bleeding_risk(ctx: Context) -> list[Finding]:
    """SSRI/SNRI-type drugs with anticoagulants, antiplatelets or NSAIDs (I-23)."""
    everyone = [ctx.order.drug, *ctx.others]
    serotonergic = [drug for drug in everyone if drug.has(Tag.BLEEDING_RISK)]
    antithrombotic = [
        drug for drug in everyone if drug.has(Tag.ANTITHROMBOTIC) or drug.has(Tag.NSAID)
    ]
    involved = serotonergic + antithrombotic
    if not serotonergic or not antithrombotic or ctx.order.drug not in involved:
        return []
    severity = Severity.MAJOR if len(antithrombotic) >= 2 else Severity.MODERATE
    return [
        finding(
            "bleeding-risk",
            severity,
            [drug.name for drug in involved],
            message=f"Bleeding risk: {', '.join(sorted(drug.name for drug in involved))}.",
            mechanism="Serotonergic antidepressants deplete platelet serotonin; with antithrombotics or NSAIDs, bleeding (especially upper GI) rises.",
            action="Consider a proton-pump inhibitor for gastroprotection; check INR after changes with warfarin; counsel on bleeding signs.",
            source="brief",
        )
    ]


def anticholinergic_burden(ctx: Context) -> list[Finding]:
    """Anticholinergic Cognitive Burden total of 3 or more (I-24)."""
    order = ctx.order.drug
    if order.anticholinergic_burden == 0:
        return []
    everyone = [order, *ctx.others]
    contributing = [drug for drug in everyone if drug.anticholinergic_burden > 0]
    total = sum(drug.anticholinergic_burden for drug in contributing)
    if total < 3 or len(contributing) < 2:
        return []
    age = ctx.patient.age
    older = age is not None and age >= 65
    if age is None:
        ctx.note_unknown("age")
    return [
        finding(
            "anticholinergic-burden",
            Severity.MAJOR if older else Severity.MODERATE,
            [drug.name for drug in contributing],
            message=f"Anticholinergic burden score {total} ({', '.join(sorted(d.name for d in contributing))}).",
            mechanism="Anticholinergic effects add up: confusion, falls, delirium, constipation and ileus (clozapine).",
            action="Look for a less anticholinergic alternative; review the whole list, especially in older adults.",
            source="acb-boustani-2008",
        )
    ]


def smoking_change(ctx: Context) -> list[Finding]:
    """Smoking started or stopped recently with clozapine or olanzapine on board (I-17)."""
    changed = ctx.patient.smoking_changed_on
    if changed is None:
        return []
    days = (ctx.on - changed).days
    if not 0 <= days <= 30:
        return []
    sensitive = [drug for drug in (ctx.order.drug, *ctx.others) if drug.has(Tag.SMOKING_SENSITIVE)]
    if not sensitive:
        return []
    stopped = ctx.patient.smoker is False
    return [
        finding(
            "smoking-change",
            Severity.MAJOR,
            [drug.name for drug in sensitive],
            message=f"Smoking {'stopped' if stopped else 'changed'} on {changed.isoformat()} ({days} days ago).",
            mechanism="Tobacco smoke induces CYP1A2; after quitting, clozapine and olanzapine levels rise within days (smokers need about 50-100% higher clozapine doses).",
            action=(
                "On quitting: reduce clozapine by about 25-30% and check a level in about a week (local protocols vary); "
                "on restarting: levels fall, monitor response. Nicotine replacement does not induce CYP1A2."
            ),
            source="brief",
        )
    ]


RULES = (
    maoi_combinations,
    serotonergic_load,
    qt_prolongation,
    opioid_with_cns_depressants,
    lithium_level_raisers,
    valproate_combinations,
    cyp_interactions,
    seizure_threshold,
    bleeding_risk,
    anticholinergic_burden,
    smoking_change,
)
