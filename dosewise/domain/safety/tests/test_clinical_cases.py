"""Clinical cases: one row per situation, each naming the source of its expected answer.

A row says which findings MUST appear (code -> severity) and which must NOT (alert fatigue is a
safety problem too). Regimen shorthand: "sertraline 50" is 50 mg once daily, started 60 days
ago; "bupropion 150x2" twice daily; "fluoxetine 20 stopped 20" stopped 20 days ago; "... since 3"
started 3 days ago; "... supply 30" a 30-day supply.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.safety import Lab, Medication, Order, PatientFacts, Sex, check

TODAY = dt.date(2026, 11, 27)
KNOWLEDGE = default_knowledge()
ADULT = {"age": 40, "sex": "female", "pregnant": False, "breastfeeding": False}

_MED = re.compile(
    r"^(?P<drug>.+?) (?P<dose>[\d.]+)(?:x(?P<times>[\d.]+))?"
    r"(?: since (?P<since>\d+))?(?: stopped (?P<stopped>\d+))?(?: supply (?P<supply>\d+))?(?: refills (?P<refills>\d+))?$"
)


def _parts(text: str) -> dict[str, Any]:
    match = _MED.match(text)
    assert match, text
    return match.groupdict()


def medication(text: str) -> Medication:
    parts = _parts(text)
    since = int(parts["since"] or 60)
    stopped = parts["stopped"]
    return Medication(
        drug=KNOWLEDGE.find(parts["drug"]),
        dose_mg=Decimal(parts["dose"]),
        times_per_day=Decimal(parts["times"] or 1),
        start=TODAY - dt.timedelta(days=max(since, int(stopped or 0) + 1)),
        stop=None if stopped is None else TODAY - dt.timedelta(days=int(stopped)),
        days_supply=int(parts["supply"]) if parts["supply"] else None,
    )


def order(text: str) -> Order:
    parts = _parts(text)
    return Order(
        drug=KNOWLEDGE.find(parts["drug"]),
        dose_mg=Decimal(parts["dose"]),
        times_per_day=Decimal(parts["times"] or 1),
        start=TODAY,
        refills=int(parts["refills"] or 0),
    )


def patient(**facts: Any) -> PatientFacts:
    merged = {**ADULT, **facts}
    labs = tuple(
        Lab(test, Decimal(str(value)), unit, TODAY - dt.timedelta(days=3))
        for test, value, unit in merged.pop("labs", ())
    )
    sex = Sex(merged.pop("sex"))
    return PatientFacts(sex=sex, labs=labs, **merged)


@dataclass(frozen=True)
class Case:
    name: str
    order: str
    meds: tuple[str, ...] = ()
    expect: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    patient: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def C(
    name: str,
    order: str,
    *meds: str,
    expect: dict[str, str] | None = None,
    absent: tuple[str, ...] = (),
    source: str,
    **facts: Any,
) -> Case:  # noqa: N802
    return Case(name, order, meds, expect or {}, absent, facts, source)


QUIET = (
    "maoi-with-serotonergic",
    "serotonergic-load",
    "qt-drugs-combined",
    "cyp-inhibition",
    "cyp-induction",
    "duplicate-class",
)

CASES = (
    # --- MAOIs (brief I-01, I-02, I-27; APA 2010) ---------------------------------------------
    C(
        "MAOI ordered on an SSRI",
        "phenelzine 15x3",
        "sertraline 50",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="APA 2010; sertraline label",
    ),
    C(
        "SSRI ordered on an MAOI",
        "sertraline 50",
        "phenelzine 15x3",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="APA 2010; sertraline label",
    ),
    C(
        "SNRI with tranylcypromine",
        "venlafaxine 75",
        "tranylcypromine 10x2",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="venlafaxine label",
    ),
    C(
        "Mirtazapine with isocarboxazid",
        "mirtazapine 15",
        "isocarboxazid 10x2",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="mirtazapine label",
    ),
    C(
        "Fluoxetine with selegiline patch",
        "fluoxetine 20",
        "selegiline transdermal 6",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="Emsam label",
    ),
    C(
        "Tramadol with phenelzine",
        "tramadol 50x2",
        "phenelzine 15x3",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="brief I-01",
    ),
    C(
        "Dextromethorphan with phenelzine",
        "dextromethorphan 30",
        "phenelzine 15x3",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="brief I-01",
    ),
    C(
        "St John's wort with tranylcypromine",
        "st john's wort 300x3",
        "tranylcypromine 10x2",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="brief I-01",
    ),
    C(
        "Clomipramine with phenelzine",
        "clomipramine 25",
        "phenelzine 15x3",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="brief I-01",
    ),
    C(
        "Fentanyl ordered on linezolid",
        "fentanyl 0.025",
        "linezolid 600x2",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="brief I-01",
    ),
    C(
        "SSRI started during linezolid",
        "sertraline 50",
        "linezolid 600x2",
        expect={"maoi-with-serotonergic": "contraindicated"},
        source="SSRI labels 2012 (brief I-03)",
    ),
    C(
        "Stimulant with phenelzine",
        "methylphenidate 10x2",
        "phenelzine 15x3",
        expect={"maoi-with-sympathomimetic": "contraindicated"},
        source="methylphenidate label (brief I-27)",
    ),
    C(
        "Lisdexamfetamine with tranylcypromine",
        "lisdexamfetamine 30",
        "tranylcypromine 10x2",
        expect={
            "maoi-with-sympathomimetic": "contraindicated",
            "maoi-with-serotonergic": "contraindicated",
        },
        source="brief I-27; I-01 (amphetamines serotonergic)",
    ),
    C(
        "Bupropion with phenelzine",
        "bupropion 150",
        "phenelzine 15x3",
        expect={"maoi-with-sympathomimetic": "contraindicated"},
        source="bupropion label (brief I-02)",
    ),
    C(
        "Pseudoephedrine with phenelzine",
        "pseudoephedrine 60",
        "phenelzine 15x3",
        expect={"maoi-with-sympathomimetic": "contraindicated"},
        source="brief I-02",
    ),
    C(
        "Atomoxetine with selegiline patch",
        "atomoxetine 40",
        "selegiline transdermal 6",
        expect={"maoi-with-sympathomimetic": "contraindicated"},
        source="atomoxetine label",
    ),
    C(
        "Two MAOIs",
        "tranylcypromine 10",
        "phenelzine 15x3",
        expect={"maoi-with-maoi": "contraindicated"},
        source="brief §3.3",
    ),
    C(
        "Linezolid needed on an SSRI",
        "linezolid 600x2",
        "sertraline 100",
        expect={"linezolid-with-serotonergic": "major"},
        absent=("maoi-with-serotonergic",),
        source="FDA DSC 2011/2012 (brief I-03)",
    ),
    C(
        "Methylene blue needed on an SNRI",
        "methylene blue 100",
        "venlafaxine 150",
        expect={"linezolid-with-serotonergic": "major"},
        source="FDA DSC 2011 (brief I-03)",
    ),
    C(
        "Linezolid needed on duloxetine",
        "linezolid 600x2",
        "duloxetine 60",
        expect={"linezolid-with-serotonergic": "major"},
        source="FDA DSC 2011",
    ),
    C(
        "MAOI with a benzodiazepine is quiet",
        "lorazepam 1",
        "phenelzine 15x3",
        absent=("maoi-with-serotonergic", "maoi-with-sympathomimetic"),
        source="brief I-01 (benzodiazepines not serotonergic)",
    ),
    C(
        "MAOI with acetaminophen is quiet",
        "acetaminophen 500",
        "phenelzine 15x3",
        absent=("maoi-with-serotonergic", "maoi-with-sympathomimetic"),
        source="brief I-01",
    ),
    # --- Washout (brief §3.3) ---------------------------------------------------------------
    C(
        "MAOI 20 days after fluoxetine",
        "phenelzine 15",
        "fluoxetine 20 stopped 20",
        expect={"washout-before-maoi": "contraindicated"},
        source="APA 2010: 5 weeks after fluoxetine",
    ),
    C(
        "MAOI 34 days after fluoxetine",
        "phenelzine 15",
        "fluoxetine 20 stopped 34",
        expect={"washout-before-maoi": "contraindicated"},
        source="APA 2010",
    ),
    C(
        "MAOI 36 days after fluoxetine is allowed",
        "phenelzine 15",
        "fluoxetine 20 stopped 36",
        absent=("washout-before-maoi", "maoi-with-serotonergic"),
        source="APA 2010",
    ),
    C(
        "MAOI 10 days after sertraline",
        "phenelzine 15",
        "sertraline 50 stopped 10",
        expect={"washout-before-maoi": "contraindicated"},
        source="brief §3.3 (14 days)",
    ),
    C(
        "MAOI 15 days after sertraline is allowed",
        "phenelzine 15",
        "sertraline 50 stopped 15",
        absent=("washout-before-maoi",),
        source="brief §3.3",
    ),
    C(
        "MAOI 18 days after vortioxetine",
        "phenelzine 15",
        "vortioxetine 10 stopped 18",
        expect={"washout-before-maoi": "contraindicated"},
        source="vortioxetine label: 21 days",
    ),
    C(
        "MAOI 6 days after venlafaxine",
        "tranylcypromine 10",
        "venlafaxine 75 stopped 6",
        expect={"washout-before-maoi": "contraindicated"},
        source="venlafaxine label: 7 days",
    ),
    C(
        "MAOI 8 days after venlafaxine is allowed",
        "tranylcypromine 10",
        "venlafaxine 75 stopped 8",
        absent=("washout-before-maoi",),
        source="venlafaxine label: 7 days",
    ),
    C(
        "MAOI 4 days after duloxetine",
        "phenelzine 15",
        "duloxetine 60 stopped 4",
        expect={"washout-before-maoi": "contraindicated"},
        source="duloxetine label: 5 days",
    ),
    C(
        "MAOI 6 days after duloxetine is allowed",
        "phenelzine 15",
        "duloxetine 60 stopped 6",
        absent=("washout-before-maoi",),
        source="duloxetine label: 5 days",
    ),
    C(
        "MAOI 7 days after bupropion",
        "phenelzine 15",
        "bupropion 150 stopped 7",
        expect={"washout-before-maoi": "contraindicated"},
        source="brief §3.3",
    ),
    C(
        "SSRI 10 days after phenelzine",
        "sertraline 50",
        "phenelzine 15x3 stopped 10",
        expect={"washout-after-maoi": "contraindicated"},
        source="APA 2010: 14 days after an MAOI",
    ),
    C(
        "SSRI 15 days after phenelzine is allowed",
        "sertraline 50",
        "phenelzine 15x3 stopped 15",
        absent=("washout-after-maoi",),
        source="APA 2010",
    ),
    C(
        "Stimulant 5 days after tranylcypromine",
        "methylphenidate 10x2",
        "tranylcypromine 10x2 stopped 5",
        expect={"washout-after-maoi": "contraindicated"},
        source="stimulant labels: 14 days",
    ),
    C(
        "MAOI 5 days after another MAOI",
        "phenelzine 15",
        "tranylcypromine 10x2 stopped 5",
        expect={"washout-after-maoi": "contraindicated"},
        source="NHS SPS via brief §3.3",
    ),
    C(
        "SSRI the day linezolid stopped",
        "sertraline 50",
        "linezolid 600x2 stopped 0",
        expect={"washout-after-maoi": "contraindicated"},
        source="SSRI labels: 24 h after linezolid",
    ),
    C(
        "SSRI 2 days after linezolid is allowed",
        "sertraline 50",
        "linezolid 600x2 stopped 2",
        absent=("washout-after-maoi",),
        source="SSRI labels: 24 h",
    ),
    C(
        "Benzodiazepine after an MAOI is quiet",
        "lorazepam 1",
        "phenelzine 15x3 stopped 3",
        absent=("washout-after-maoi",),
        source="brief §3.3",
    ),
    # --- Serotonergic load (brief I-04) -------------------------------------------------------
    C(
        "Tramadol on an SSRI",
        "tramadol 50x2",
        "sertraline 100",
        expect={"serotonergic-load": "moderate"},
        source="FDA 2016 opioid-serotonin communication",
    ),
    C(
        "Triptan on escitalopram",
        "sumatriptan 50",
        "escitalopram 10",
        expect={"serotonergic-load": "moderate"},
        source="brief I-04",
    ),
    C(
        "Buspirone on sertraline",
        "buspirone 7.5x2",
        "sertraline 50",
        expect={"serotonergic-load": "moderate"},
        source="brief I-04",
    ),
    C(
        "Three serotonergic drugs",
        "tramadol 50x2",
        "sertraline 100",
        "trazodone 50",
        expect={"serotonergic-load": "major"},
        source="brief I-04 (major with 3 or more)",
    ),
    C(
        "Fentanyl on duloxetine",
        "fentanyl 0.025",
        "duloxetine 60",
        expect={"serotonergic-load": "moderate"},
        source="FDA 2016",
    ),
    C(
        "Dextromethorphan on fluoxetine",
        "dextromethorphan 30x3",
        "fluoxetine 20",
        expect={"serotonergic-load": "moderate"},
        source="brief I-04",
    ),
    C(
        "SSRI with lorazepam is quiet",
        "sertraline 50",
        "lorazepam 1",
        absent=QUIET,
        source="no serotonergic partner",
    ),
    C(
        "SSRI with acetaminophen is quiet",
        "sertraline 50",
        "acetaminophen 500x3",
        absent=QUIET,
        source="no interaction",
    ),
    # --- QT (brief I-05, I-06, I-07) ----------------------------------------------------------
    C(
        "Citalopram with ondansetron",
        "citalopram 20",
        "ondansetron 8x2",
        expect={"qt-drugs-combined": "major"},
        source="brief I-05",
    ),
    C(
        "Ziprasidone with methadone",
        "ziprasidone 40x2",
        "methadone 30",
        expect={"qt-drugs-combined": "contraindicated"},
        source="ziprasidone label (brief I-06)",
    ),
    C(
        "Haloperidol with citalopram",
        "haloperidol 5",
        "citalopram 20",
        expect={"qt-drugs-combined": "major"},
        source="brief I-05",
    ),
    C(
        "Clarithromycin with quetiapine (QT)",
        "clarithromycin 500x2",
        "quetiapine 100",
        expect={"qt-drugs-combined": "major"},
        source="brief I-05",
    ),
    C(
        "Citalopram with QTc 480 ms (man)",
        "citalopram 20",
        expect={"qt-drug-with-long-qtc": "major"},
        sex="male",
        labs=[("qtc", 480, "ms")],
        source="brief I-05: > 450 ms men",
    ),
    C(
        "Citalopram with QTc 460 ms (woman) is quiet",
        "citalopram 20",
        absent=("qt-drug-with-long-qtc",),
        labs=[("qtc", 460, "ms")],
        source="brief I-05: > 470 ms women",
    ),
    C(
        "Ziprasidone with QTc 510 ms",
        "ziprasidone 20x2",
        expect={"qt-drug-with-long-qtc": "contraindicated"},
        labs=[("qtc", 510, "ms")],
        source="ziprasidone label (brief I-05)",
    ),
    C(
        "Sertraline with a long QTc is quiet",
        "sertraline 50",
        absent=("qt-drug-with-long-qtc",),
        labs=[("qtc", 520, "ms")],
        source="sertraline not QT-listed in brief",
    ),
    C(
        "Citalopram 60 mg",
        "citalopram 60",
        expect={"dose-above-label-maximum": "major"},
        source="citalopram label: 40 mg max",
    ),
    C(
        "Citalopram 40 mg at 65",
        "citalopram 40",
        "citalopram 20 since 30",
        expect={"dose-above-situational-maximum": "major"},
        age=65,
        source="citalopram label: 20 mg over 60",
    ),
    C(
        "Citalopram 20 mg at 65 is quiet",
        "citalopram 20",
        absent=("dose-above-situational-maximum", "dose-above-label-maximum"),
        age=65,
        source="citalopram label",
    ),
    C(
        "Citalopram 40 mg at 50 is within label",
        "citalopram 40",
        "citalopram 20 since 30",
        absent=("dose-above-situational-maximum", "dose-above-label-maximum"),
        age=50,
        source="citalopram label",
    ),
    # --- Opioids and CNS depressants (brief I-08) ---------------------------------------------
    C(
        "Oxycodone on alprazolam",
        "oxycodone 5x4",
        "alprazolam 0.5x3",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA DSC 2016",
    ),
    C(
        "Lorazepam on methadone",
        "lorazepam 1x2",
        "methadone 60",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA DSC 2016",
    ),
    C(
        "Zolpidem on hydrocodone",
        "zolpidem 5",
        "hydrocodone 5x3",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA DSC 2016",
    ),
    C(
        "Clonazepam on buprenorphine",
        "clonazepam 0.5x2",
        "buprenorphine 8x2",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA 2016/2017",
    ),
    C(
        "Morphine on diazepam",
        "morphine 15x2",
        "diazepam 5x2",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA DSC 2016",
    ),
    C(
        "Tramadol on clonazepam",
        "tramadol 50",
        "clonazepam 0.5",
        expect={"opioid-with-cns-depressant": "major"},
        source="FDA DSC 2016",
    ),
    C(
        "Oxycodone with sertraline has no CNS finding",
        "oxycodone 5",
        "sertraline 50",
        absent=("opioid-with-cns-depressant",),
        source="sertraline not a CNS depressant",
    ),
    C(
        "Lorazepam with acetaminophen is quiet",
        "lorazepam 1",
        "acetaminophen 500",
        absent=("opioid-with-cns-depressant",),
        source="no opioid",
    ),
    # --- Lithium (brief I-09, §4.1) -------------------------------------------------------------
    C(
        "Ibuprofen on lithium",
        "ibuprofen 400x3",
        "lithium carbonate 300x3",
        expect={"lithium-clearance-reduced": "major"},
        source="lithium label (brief I-09)",
    ),
    C(
        "Naproxen on lithium",
        "naproxen 500x2",
        "lithium carbonate 300x3",
        expect={"lithium-clearance-reduced": "major"},
        source="brief I-09",
    ),
    C(
        "Lithium on lisinopril",
        "lithium carbonate 300x2",
        "lisinopril 10",
        expect={"lithium-clearance-reduced": "major"},
        source="brief I-09",
    ),
    C(
        "Enalapril on lithium",
        "enalapril 5",
        "lithium carbonate 300x2",
        expect={"lithium-clearance-reduced": "major"},
        source="brief I-09",
    ),
    C(
        "Losartan on lithium",
        "losartan 50",
        "lithium carbonate 300x2",
        expect={"lithium-clearance-reduced": "major"},
        source="brief I-09",
    ),
    C(
        "Hydrochlorothiazide on lithium",
        "hydrochlorothiazide 25",
        "lithium carbonate 300x2",
        expect={"lithium-clearance-reduced": "major"},
        source="brief I-09",
    ),
    C(
        "Aspirin on lithium is quiet",
        "aspirin 81",
        "lithium carbonate 300x2",
        absent=("lithium-clearance-reduced",),
        source="brief I-09: not aspirin",
    ),
    C(
        "Acetaminophen on lithium is quiet",
        "acetaminophen 500x3",
        "lithium carbonate 300x2",
        absent=("lithium-clearance-reduced",),
        source="brief I-09",
    ),
    C(
        "Furosemide on lithium is quiet",
        "furosemide 20",
        "lithium carbonate 300x2",
        absent=("lithium-clearance-reduced",),
        source="brief I-09: loop diuretics smaller, variable",
    ),
    C(
        "Ibuprofen with a high lithium level",
        "ibuprofen 400x3",
        "lithium carbonate 300x3",
        expect={"lithium-level-high": "major", "lithium-clearance-reduced": "major"},
        labs=[("lithium", 1.4, "mmol/L")],
        source="brief §4.1",
    ),
    C(
        "Lithium with a level of 0.8 is quiet",
        "lithium carbonate 300x3",
        "lithium carbonate 300x2 since 30",
        absent=("lithium-level-high",),
        labs=[("lithium", 0.8, "mmol/L")],
        source="brief §4.1 (0.6-1.0 maintenance)",
    ),
    C(
        "Lithium with eGFR 25",
        "lithium carbonate 300x2",
        expect={"lithium-reduced-kidney-function": "major"},
        labs=[("egfr", 25, "mL/min/1.73m2")],
        source="brief §4.1",
    ),
    C(
        "Lithium with eGFR 50",
        "lithium carbonate 300x2",
        expect={"lithium-reduced-kidney-function": "moderate"},
        labs=[("egfr", 50, "mL/min/1.73m2")],
        source="brief §4.1",
    ),
    C(
        "Lithium with eGFR 90 is quiet",
        "lithium carbonate 300x2",
        absent=("lithium-reduced-kidney-function",),
        labs=[("egfr", 90, "mL/min/1.73m2")],
        source="brief §4.1",
    ),
    # --- Valproate and lamotrigine (brief I-11, I-12, I-29) ----------------------------------------
    C(
        "Lamotrigine 25 mg on valproate",
        "lamotrigine 25",
        "valproate 500x2",
        expect={
            "valproate-raises-lamotrigine": "major",
            "start-above-label-starting-dose": "major",
        },
        source="lamotrigine label: 25 mg every other day with valproate",
    ),
    C(
        "Lamotrigine 12.5 mg on valproate",
        "lamotrigine 12.5",
        "valproate 500x2",
        expect={"valproate-raises-lamotrigine": "major"},
        absent=("start-above-label-starting-dose",),
        source="lamotrigine label",
    ),
    C(
        "Valproate added to lamotrigine",
        "valproate 250x2",
        "lamotrigine 100x2",
        expect={"valproate-raises-lamotrigine": "major"},
        source="lamotrigine label",
    ),
    C(
        "Lamotrigine started at 50 mg",
        "lamotrigine 50",
        expect={"start-above-label-starting-dose": "major"},
        source="lamotrigine label: 25 mg weeks 1-2",
    ),
    C(
        "Lamotrigine started at 25 mg is quiet",
        "lamotrigine 25",
        absent=("start-above-label-starting-dose",),
        source="lamotrigine label",
    ),
    C(
        "Lamotrigine 50 mg on carbamazepine",
        "lamotrigine 50",
        "carbamazepine 200x2",
        absent=("start-above-label-starting-dose",),
        source="lamotrigine label: inducer schedule 50 mg",
    ),
    C(
        "Meropenem on valproate",
        "meropenem 1000x3",
        "valproate 500x2",
        expect={"valproate-with-carbapenem": "major"},
        source="valproate label (brief I-29)",
    ),
    C(
        "Valproate on meropenem",
        "valproate 500x2",
        "meropenem 1000x3",
        expect={"valproate-with-carbapenem": "major"},
        source="valproate label",
    ),
    # --- CYP (FDA table; brief I-14 to I-21) --------------------------------------------------------
    C(
        "Fluvoxamine added to clozapine",
        "fluvoxamine 50",
        "clozapine 300",
        expect={"cyp-inhibition": "major"},
        source="clozapine label: one-third dose",
    ),
    C(
        "Ciprofloxacin added to clozapine",
        "ciprofloxacin 500x2",
        "clozapine 300",
        expect={"cyp-inhibition": "major"},
        source="clozapine label",
    ),
    C(
        "Clozapine started on fluvoxamine",
        "clozapine 12.5",
        "fluvoxamine 100",
        expect={"cyp-inhibition": "major"},
        source="clozapine label",
    ),
    C(
        "Fluoxetine added to aripiprazole",
        "fluoxetine 20",
        "aripiprazole 10",
        expect={"cyp-inhibition": "major"},
        source="aripiprazole label: half dose",
    ),
    C(
        "Paroxetine added to atomoxetine",
        "paroxetine 20",
        "atomoxetine 80",
        expect={"cyp-inhibition": "major"},
        source="atomoxetine label",
    ),
    C(
        "Bupropion added to tamoxifen",
        "bupropion 150",
        "tamoxifen 20",
        expect={"cyp-inhibition": "major"},
        source="brief I-18 (JCO 2010)",
    ),
    C(
        "Paroxetine added to tamoxifen",
        "paroxetine 20",
        "tamoxifen 20",
        expect={"cyp-inhibition": "major"},
        source="brief I-18",
    ),
    C(
        "Ketoconazole added to quetiapine",
        "ketoconazole 200",
        "quetiapine 300",
        expect={"cyp-inhibition": "major"},
        source="quetiapine label: one-sixth dose",
    ),
    C(
        "Clarithromycin added to lurasidone",
        "clarithromycin 500x2",
        "lurasidone 40",
        expect={"cyp-inhibition": "contraindicated"},
        source="lurasidone label",
    ),
    C(
        "Lurasidone on itraconazole",
        "lurasidone 40",
        "itraconazole 200",
        expect={"cyp-inhibition": "contraindicated"},
        source="lurasidone label",
    ),
    C(
        "Rifampin added to lurasidone",
        "rifampin 600",
        "lurasidone 40",
        expect={"cyp-induction": "contraindicated"},
        source="lurasidone label",
    ),
    C(
        "Carbamazepine added to quetiapine",
        "carbamazepine 200x2",
        "quetiapine 300",
        expect={"cyp-induction": "major"},
        source="quetiapine label: up to 5-fold",
    ),
    C(
        "Carbamazepine added to lurasidone",
        "carbamazepine 200x2",
        "lurasidone 40",
        expect={"cyp-induction": "contraindicated"},
        source="lurasidone label",
    ),
    C(
        "St John's wort with quetiapine",
        "st john's wort 300x3",
        "quetiapine 300",
        expect={"cyp-induction": "major"},
        source="brief I-21",
    ),
    C(
        "Phenytoin added to aripiprazole",
        "phenytoin 100x3",
        "aripiprazole 10",
        expect={"cyp-induction": "major"},
        source="aripiprazole label: double dose",
    ),
    C(
        "Fluvoxamine with duloxetine",
        "fluvoxamine 50",
        "duloxetine 60",
        expect={"cyp-inhibition": "major"},
        source="duloxetine label (brief I-16)",
    ),
    C(
        "Sertraline (weak 2D6) with aripiprazole is quiet on CYP",
        "sertraline 50",
        "aripiprazole 10",
        absent=("cyp-inhibition",),
        source="FDA table: sertraline weak 2D6 inhibitor",
    ),
    C(
        "Escitalopram with aripiprazole is quiet on CYP",
        "escitalopram 10",
        "aripiprazole 10",
        absent=("cyp-inhibition",),
        source="FDA table",
    ),
    C(
        "Erythromycin (moderate 3A4) with quetiapine",
        "erythromycin 500x2",
        "quetiapine 300",
        expect={"cyp-inhibition": "moderate"},
        source="FDA table: moderate 3A4 inhibitor",
    ),
    # --- Seizure threshold (brief I-22) ---------------------------------------------------------
    C(
        "Bupropion on tramadol",
        "bupropion 150",
        "tramadol 50x2",
        expect={"seizure-threshold-lowered": "moderate"},
        source="bupropion label",
    ),
    C(
        "Bupropion with a seizure disorder",
        "bupropion 150",
        expect={"bupropion-contraindicated-condition": "contraindicated"},
        conditions=("G40.909",),
        source="bupropion label",
    ),
    C(
        "Bupropion with bulimia",
        "bupropion 150",
        expect={"bupropion-contraindicated-condition": "contraindicated"},
        conditions=("F50.20",),
        source="bupropion label",
    ),
    C(
        "Bupropion with anorexia",
        "bupropion 150",
        expect={"bupropion-contraindicated-condition": "contraindicated"},
        conditions=("F50.00",),
        source="bupropion label",
    ),
    C(
        "Bupropion with depression only is quiet",
        "bupropion 150",
        absent=("bupropion-contraindicated-condition", "seizure-threshold-lowered"),
        conditions=("F33.1",),
        source="bupropion label",
    ),
    C(
        "Bupropion 450 mg/day",
        "bupropion 450",
        "bupropion 300 since 30",
        absent=("dose-above-label-maximum",),
        source="bupropion XL label: 450 mg",
    ),
    C(
        "Bupropion 600 mg/day",
        "bupropion 300x2",
        "bupropion 450 since 30",
        expect={"dose-above-label-maximum": "major"},
        source="bupropion label",
    ),
    # --- Bleeding (brief I-23) ---------------------------------------------------------------------
    C(
        "Sertraline on warfarin",
        "sertraline 50",
        "warfarin 5",
        expect={"bleeding-risk": "moderate"},
        source="SSRI labels (brief I-23)",
    ),
    C(
        "Ibuprofen on an SSRI",
        "ibuprofen 400x3",
        "escitalopram 10",
        expect={"bleeding-risk": "moderate"},
        source="brief I-23",
    ),
    C(
        "SSRI on warfarin and aspirin",
        "sertraline 50",
        "warfarin 5",
        "aspirin 81",
        expect={"bleeding-risk": "major"},
        source="brief I-23: major with 2 antithrombotics",
    ),
    C(
        "Duloxetine on apixaban",
        "duloxetine 60",
        "apixaban 5x2",
        expect={"bleeding-risk": "moderate"},
        source="brief I-23",
    ),
    C(
        "Apixaban ordered on venlafaxine",
        "apixaban 5x2",
        "venlafaxine 75",
        expect={"bleeding-risk": "moderate"},
        source="brief I-23",
    ),
    C(
        "Acetaminophen on an SSRI is quiet",
        "acetaminophen 500",
        "sertraline 50",
        absent=("bleeding-risk",),
        source="brief I-23",
    ),
    # --- Anticholinergic burden (brief I-24) ------------------------------------------------------
    C(
        "Paroxetine with hydroxyzine at 40",
        "hydroxyzine 25",
        "paroxetine 20",
        expect={"anticholinergic-burden": "moderate"},
        source="Boustani 2008 ACB",
    ),
    C(
        "Paroxetine with hydroxyzine at 75",
        "hydroxyzine 25",
        "paroxetine 20",
        expect={"anticholinergic-burden": "major"},
        age=75,
        source="ACB; brief I-24 major at 65+",
    ),
    # --- Smoking (brief I-17) --------------------------------------------------------------------------
    C(
        "Stopped smoking on clozapine",
        "clozapine 300",
        "clozapine 300 since 90",
        expect={"smoking-change": "major"},
        smoker=False,
        smoking_changed_on=TODAY - dt.timedelta(days=10),
        source="clozapine label; brief I-17",
    ),
    C(
        "Stopped smoking on olanzapine",
        "sertraline 50",
        "olanzapine 10",
        expect={"smoking-change": "major"},
        smoker=False,
        smoking_changed_on=TODAY - dt.timedelta(days=5),
        source="brief I-17",
    ),
    C(
        "Stopped smoking long ago is quiet",
        "clozapine 300",
        "clozapine 300 since 90",
        absent=("smoking-change",),
        smoker=False,
        smoking_changed_on=TODAY - dt.timedelta(days=200),
        source="brief I-17",
    ),
    C(
        "Stopped smoking on sertraline is quiet",
        "sertraline 50",
        absent=("smoking-change",),
        smoker=False,
        smoking_changed_on=TODAY - dt.timedelta(days=5),
        source="sertraline not CYP1A2-dependent",
    ),
    # --- Duplicate therapy ---------------------------------------------------------------------------------
    C(
        "Two SSRIs",
        "sertraline 50",
        "escitalopram 10",
        expect={"duplicate-class": "moderate"},
        source="brief §3.4",
    ),
    C(
        "Two benzodiazepines",
        "alprazolam 0.5",
        "clonazepam 0.5x2",
        expect={"duplicate-class": "moderate"},
        source="brief §3.4",
    ),
    C(
        "Two antipsychotics",
        "risperidone 2",
        "quetiapine 200",
        expect={"duplicate-class": "moderate"},
        source="APA 2020",
    ),
    C(
        "Two stimulants",
        "lisdexamfetamine 30",
        "methylphenidate 10x2",
        expect={"duplicate-class": "moderate"},
        source="brief §3.4",
    ),
    C(
        "SSRI plus bupropion is not a duplicate",
        "bupropion 150",
        "sertraline 50",
        absent=("duplicate-class",),
        source="different classes",
    ),
    C(
        "SSRI plus mirtazapine is not a duplicate",
        "mirtazapine 15",
        "sertraline 50",
        absent=("duplicate-class",),
        source="different classes",
    ),
    # --- Dosing ---------------------------------------------------------------------------------------------
    C(
        "Sertraline 250 mg",
        "sertraline 250",
        "sertraline 200 since 30",
        expect={"dose-above-label-maximum": "major"},
        source="Zoloft label: 200 mg",
    ),
    C(
        "Sertraline started at 100 mg",
        "sertraline 100",
        expect={"start-above-label-starting-dose": "moderate"},
        source="Zoloft label: 50 mg start",
    ),
    C(
        "Sertraline started at 50 mg is quiet",
        "sertraline 50",
        absent=("start-above-label-starting-dose", "dose-above-label-maximum"),
        source="Zoloft label",
    ),
    C(
        "Sertraline 50 to 100 after 2 weeks is quiet",
        "sertraline 100",
        "sertraline 50 since 14",
        absent=("dose-step-too-large", "dose-step-too-soon"),
        source="Zoloft label: weekly steps",
    ),
    C(
        "Sertraline 50 to 150 in one step",
        "sertraline 150",
        "sertraline 50 since 14",
        expect={"dose-step-too-large": "moderate"},
        source="Zoloft label: 25-50 mg steps",
    ),
    C(
        "Sertraline raised after 3 days",
        "sertraline 100",
        "sertraline 50 since 3",
        expect={"dose-step-too-soon": "moderate"},
        source="Zoloft label: 1 week between changes",
    ),
    C(
        "Sertraline dose lowered is quiet",
        "sertraline 50",
        "sertraline 100 since 3",
        absent=("dose-step-too-large", "dose-step-too-soon", "duplicate-class"),
        source="decreases are not titration",
    ),
    C(
        "Bupropion 600 mg in one dose",
        "bupropion 600",
        "bupropion 450 since 30",
        expect={"dose-above-single-dose-maximum": "major", "dose-above-label-maximum": "major"},
        source="bupropion XL label: 450 mg",
    ),
    C(
        "Quetiapine 800 mg is within the label",
        "quetiapine 400x2",
        "quetiapine 600 since 30",
        absent=("dose-above-label-maximum",),
        source="quetiapine label: 800 mg",
    ),
    C(
        "Quetiapine 1000 mg",
        "quetiapine 500x2",
        "quetiapine 800 since 30",
        expect={"dose-above-label-maximum": "major"},
        source="quetiapine label: 800 mg",
    ),
    C(
        "Aripiprazole 40 mg",
        "aripiprazole 40",
        "aripiprazole 30 since 30",
        expect={"dose-above-label-maximum": "major"},
        source="aripiprazole label: 30 mg",
    ),
    C(
        "Alprazolam 12 mg",
        "alprazolam 3x4",
        "alprazolam 2x3 since 30",
        expect={"dose-above-label-maximum": "major"},
        source="alprazolam label",
    ),
    C(
        "Lithium has no mg ceiling",
        "lithium carbonate 600x3",
        "lithium carbonate 300x3 since 30",
        absent=("dose-above-label-maximum",),
        source="lithium label: dose to level",
    ),
    # --- Patient: allergies ----------------------------------------------------------------------------------
    C(
        "Allergy to the drug",
        "sertraline 50",
        expect={"allergy": "contraindicated"},
        allergies=("sertraline",),
        source="allergy record",
    ),
    C(
        "Allergy recorded by brand",
        "sertraline 50",
        expect={"allergy": "contraindicated"},
        allergies=("Zoloft",),
        source="allergy record",
    ),
    C(
        "Carbamazepine allergy, oxcarbazepine ordered",
        "oxcarbazepine 300x2",
        expect={"allergy-cross-reactivity": "major"},
        allergies=("carbamazepine",),
        source="oxcarbazepine label: 25-30% cross-sensitivity",
    ),
    C(
        "Penicillin allergy is irrelevant",
        "sertraline 50",
        absent=("allergy", "allergy-cross-reactivity"),
        allergies=("penicillin",),
        source="no cross-reactivity",
    ),
    # --- Patient: pregnancy and breastfeeding -------------------------------------------------------------------
    C(
        "Valproate in pregnancy",
        "valproate 500x2",
        expect={"pregnancy-teratogen": "major"},
        pregnant=True,
        source="valproate label",
    ),
    C(
        "Carbamazepine in pregnancy",
        "carbamazepine 200x2",
        expect={"pregnancy-teratogen": "major"},
        pregnant=True,
        source="carbamazepine label",
    ),
    C(
        "Valproate, pregnancy unknown",
        "valproate 500x2",
        expect={"facts-unknown": "info"},
        pregnant=None,
        source="engine: unknown facts named",
    ),
    C(
        "Valproate for a man: no pregnancy question",
        "valproate 500x2",
        absent=("facts-unknown", "pregnancy-teratogen"),
        sex="male",
        pregnant=None,
        source="engine",
    ),
    C(
        "Valproate, could become pregnant",
        "valproate 500x2",
        expect={"valproate-childbearing-potential": "moderate"},
        childbearing_potential=True,
        source="valproate label",
    ),
    C(
        "Sertraline when breastfeeding",
        "sertraline 50",
        expect={"breastfeeding": "info"},
        breastfeeding=True,
        source="brief §2.4",
    ),
    C(
        "Sertraline in pregnancy has no teratogen finding",
        "sertraline 50",
        absent=("pregnancy-teratogen",),
        pregnant=True,
        source="brief §2.4",
    ),
    # --- Patient: age ----------------------------------------------------------------------------------------------
    C(
        "Antidepressant at 19",
        "sertraline 50",
        expect={"antidepressant-under-25": "moderate"},
        age=19,
        source="antidepressant boxed warning",
    ),
    C(
        "Antidepressant at 30 is quiet",
        "sertraline 50",
        absent=("antidepressant-under-25",),
        age=30,
        source="boxed warning applies under 25",
    ),
    C(
        "Antipsychotic at 80 with dementia",
        "quetiapine 25",
        expect={"antipsychotic-dementia": "major"},
        age=80,
        conditions=("F03.90",),
        source="antipsychotic boxed warning",
    ),
    C(
        "Antipsychotic at 80 without dementia is quiet",
        "quetiapine 25",
        absent=("antipsychotic-dementia",),
        age=80,
        conditions=("F31.81",),
        source="boxed warning is about dementia",
    ),
    C(
        "Patient aged 15",
        "sertraline 25",
        expect={"pediatric-not-checked": "info", "antidepressant-under-25": "moderate"},
        age=15,
        source="engine coverage",
    ),
    C(
        "Age unknown",
        "sertraline 50",
        expect={"facts-unknown": "info"},
        age=None,
        source="engine coverage",
    ),
    # --- Patient: conditions --------------------------------------------------------------------------------------
    C(
        "SSRI alone in bipolar II",
        "sertraline 50",
        expect={"antidepressant-monotherapy-in-bipolar": "major"},
        conditions=("F31.81",),
        source="guidelines (brief §6)",
    ),
    C(
        "SSRI in bipolar with lithium is quiet",
        "sertraline 50",
        "lithium carbonate 300x3",
        absent=("antidepressant-monotherapy-in-bipolar",),
        conditions=("F31.81",),
        source="guidelines",
    ),
    C(
        "SSRI in bipolar with quetiapine is quiet",
        "sertraline 50",
        "quetiapine 300",
        absent=("antidepressant-monotherapy-in-bipolar",),
        conditions=("F31.32",),
        source="guidelines",
    ),
    C(
        "SSRI in unipolar depression is quiet",
        "sertraline 50",
        absent=("antidepressant-monotherapy-in-bipolar",),
        conditions=("F33.1",),
        source="guidelines",
    ),
    # --- Patient: labs --------------------------------------------------------------------------------------------
    C(
        "Clozapine with ANC 400",
        "clozapine 300",
        "clozapine 300 since 90",
        expect={"clozapine-low-anc": "contraindicated"},
        labs=[("anc", 400, "/uL")],
        source="clozapine label",
    ),
    C(
        "Clozapine with ANC 1200",
        "clozapine 300",
        "clozapine 300 since 90",
        expect={"clozapine-low-anc": "major"},
        labs=[("anc", 1200, "/uL")],
        source="clozapine label",
    ),
    C(
        "Clozapine with ANC 2500 is quiet",
        "clozapine 300",
        "clozapine 300 since 90",
        absent=("clozapine-low-anc", "facts-unknown"),
        labs=[("anc", 2500, "/uL")],
        source="clozapine label",
    ),
    C(
        "Clozapine without an ANC",
        "clozapine 12.5",
        expect={"facts-unknown": "info"},
        source="engine coverage",
    ),
    C(
        "SSRI with sodium 128",
        "sertraline 50",
        expect={"low-sodium": "major"},
        labs=[("sodium", 128, "mmol/L")],
        source="brief I-25",
    ),
    C(
        "SSRI with sodium 138 is quiet",
        "sertraline 50",
        absent=("low-sodium",),
        labs=[("sodium", 138, "mmol/L")],
        source="brief I-25",
    ),
    # --- Controlled substances (21 CFR 1306) ------------------------------------------------------------------
    C(
        "Schedule II with a refill",
        "methylphenidate 10x2 refills 1",
        expect={"schedule-ii-refills": "contraindicated"},
        source="21 CFR 1306.12",
    ),
    C(
        "Schedule II without refills is quiet",
        "methylphenidate 10x2 refills 0",
        absent=("schedule-ii-refills",),
        source="21 CFR 1306.12",
    ),
    C(
        "Schedule IV with 6 refills",
        "alprazolam 0.25x3 refills 6",
        expect={"schedule-iii-iv-refills": "contraindicated"},
        source="21 CFR 1306.22",
    ),
    C(
        "Schedule IV with 5 refills is allowed",
        "alprazolam 0.25x3 refills 5",
        absent=("schedule-iii-iv-refills",),
        source="21 CFR 1306.22",
    ),
    C(
        "Non-controlled with 11 refills is quiet",
        "sertraline 50 refills 11",
        absent=("schedule-iii-iv-refills", "schedule-ii-refills"),
        source="not controlled",
    ),
    C(
        "Early stimulant refill",
        "methylphenidate 10x2",
        "methylphenidate 10x2 since 10 supply 30",
        expect={"controlled-early-refill": "moderate"},
        source="brief §7",
    ),
    C(
        "On-time stimulant refill is quiet",
        "methylphenidate 10x2",
        "methylphenidate 10x2 since 29 supply 30",
        absent=("controlled-early-refill",),
        source="brief §7",
    ),
)


def _facts(case: Case) -> PatientFacts:
    return patient(**case.patient)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_clinical_case(case: Case) -> None:
    assert case.source, "every case names the source of its expected answer"
    findings = check(
        order(case.order),
        [medication(text) for text in case.meds],
        _facts(case),
        KNOWLEDGE,
        on=TODAY,
    )
    found = {item.code: item.severity.value for item in findings}
    expected = case.expect
    assert {code: found.get(code) for code in expected} == expected, [f.code for f in findings]
    unexpected = [code for code in case.absent if code in found]
    assert unexpected == [], findings


def test_there_are_at_least_150_cases_with_both_kinds() -> None:
    assert len(CASES) >= 150
    assert sum(1 for case in CASES if case.absent and not case.expect) >= 40  # must stay quiet
    assert sum(1 for case in CASES if case.expect) >= 100  # must flag
