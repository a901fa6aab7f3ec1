"""The drug knowledge base as plain, frozen values.

Every fact carries the id of its source (`sources.toml`) and a verification status:
- "verified": read in the named source (label text, guideline) by a person or in a session;
- "unverified": stated from the named source without re-reading it; must be checked before
  go-live (shown as such wherever the fact is used);
- "uncertain": sources conflict or the fact is time-sensitive.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class Verification(Enum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    UNCERTAIN = "uncertain"


class Tag(Enum):
    """Pharmacodynamic risk tags the interaction rules work on (brief §2.4)."""

    SEROTONERGIC = "serotonergic"
    MAOI = "maoi"
    SYMPATHOMIMETIC = "sympathomimetic"
    CNS_DEPRESSANT = "cns_depressant"
    OPIOID = "opioid"
    BENZODIAZEPINE_LIKE = "benzodiazepine_like"  # benzodiazepines and Z-drugs
    LOWERS_SEIZURE_THRESHOLD = "lowers_seizure_threshold"
    BLEEDING_RISK = "bleeding_risk"  # SSRIs/SNRIs: platelet serotonin depletion
    ANTITHROMBOTIC = "antithrombotic"  # anticoagulants, antiplatelets
    NSAID = "nsaid"
    RAISES_LITHIUM_LEVEL = "raises_lithium_level"
    HYPONATREMIA = "hyponatremia"
    ORTHOSTATIC = "orthostatic"
    METABOLIC = "metabolic"
    RAISES_BLOOD_PRESSURE = "raises_blood_pressure"
    NEUTROPENIA = "neutropenia"
    HEPATOTOXIC = "hepatotoxic"
    SEVERE_SKIN_REACTION = "severe_skin_reaction"
    # The label's BOXED warning is about serious rash (SJS/TEN): any rash reported on the drug
    # raises an urgent alert (issue 6; `dosewise/domain/side_effects.py`). Narrower than
    # `severe_skin_reaction`, which also covers warnings outside a box (oxcarbazepine).
    SERIOUS_RASH = "serious_rash"
    TERATOGENIC = "teratogenic"
    DEPENDENCE = "dependence"
    CARBAPENEM = "carbapenem"
    ESTROGEN = "estrogen"
    ANTIDEPRESSANT = "antidepressant"
    ANTIPSYCHOTIC = "antipsychotic"
    MOOD_STABILIZER = "mood_stabilizer"
    STIMULANT = "stimulant"
    SMOKING_SENSITIVE = "smoking_sensitive"  # levels change when tobacco smoking starts/stops


class QtRisk(Enum):
    """QT liability as the drug's US label describes it (CredibleMeds lists are non-commercial)."""

    NONE = "none"
    CONDITIONAL = "conditional"  # only with other risk factors or interacting drugs
    POSSIBLE = "possible"  # label warns of QT prolongation
    KNOWN = "known"  # label: known QT prolongation / torsades risk; dose-related


class CypRole(Enum):
    SUBSTRATE = "substrate"
    INHIBITOR = "inhibitor"
    INDUCER = "inducer"


class Strength(Enum):
    """FDA 2020 guidance: inhibitor strong >= 5-fold AUC rise, moderate 2-5, weak 1.25-2;
    inducer strong >= 80 % AUC fall, moderate 50-80, weak 20-50; substrate sensitivity
    `strong` = sensitive index substrate (>= 5-fold), `moderate` = 2-5-fold, `weak` = minor."""

    STRONG = "strong"
    MODERATE = "moderate"
    WEAK = "weak"


ENZYMES = ("CYP1A2", "CYP2B6", "CYP2C8", "CYP2C9", "CYP2C19", "CYP2D6", "CYP3A4", "UGT")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    version: str  # label revision date, guideline year, accessed date
    url: str = ""


@dataclass(frozen=True)
class CypEffect:
    """One metabolic role of a drug: it is a substrate, inhibitor or inducer of `enzyme`.

    For substrates, `with_inhibitor_action` / `with_inducer_action` say what the label asks
    when a strong (or the stated strength) perpetrator is added, e.g. "use one-half of the
    usual dose".
    """

    enzyme: str
    role: CypRole
    strength: Strength
    source: str
    verification: Verification
    with_inhibitor_action: str = ""
    with_inducer_action: str = ""
    # Whether the combination is contraindicated in the label (e.g. lurasidone + strong 3A4).
    contraindicated_with_strong_inhibitor: bool = False
    contraindicated_with_strong_inducer: bool = False


@dataclass(frozen=True)
class DoseLimit:
    """A lower maximum that applies in a situation (e.g. citalopram over 60: 20 mg/day)."""

    when: str  # one of LIMIT_CONDITIONS
    max_mg_per_day: Decimal
    source: str
    verification: Verification


# Situations a DoseLimit can name; the engine knows how to decide each one.
LIMIT_CONDITIONS = (
    "age_over_60",
    "age_65_or_over",
    "hepatic_impairment",
    "renal_impairment",
    "cyp2c19_poor_metabolizer",
    "cyp2d6_poor_metabolizer",
    "with_strong_cyp3a4_inhibitor",
    "with_strong_cyp2d6_inhibitor",
    "with_valproate",
    "with_enzyme_inducer",
    "bipolar_depression",
    "mdd_adjunct",
)


@dataclass(frozen=True)
class Form:
    form: str  # tablet, capsule, extended-release capsule, oral solution, patch, nasal spray
    strengths_mg: tuple[Decimal, ...]
    route: str = "oral"


@dataclass(frozen=True)
class Dosing:
    """Usual adult dosing for the main psychiatric indication (US label)."""

    forms: tuple[Form, ...]
    start_mg_per_day: Decimal
    min_therapeutic_mg_per_day: Decimal
    titration_step_mg: Decimal  # largest usual step (0: no titration)
    titration_interval_days: int  # shortest interval between steps (0: no titration)
    usual_max_mg_per_day: Decimal
    label_max_mg_per_day: Decimal  # 0 when dosed to a level (lithium)
    max_mg_per_dose: Decimal  # 0 when the label sets none
    limits: tuple[DoseLimit, ...]
    source: str
    verification: Verification
    note: str = ""


@dataclass(frozen=True)
class Drug:
    """One ingredient (or fixed combination) as the rules see it."""

    name: str  # canonical generic name, lower case
    synonyms: tuple[str, ...]  # brand names and other spellings
    rxcui: str  # RxNorm ingredient RxCUI; "" where not verified
    rxcui_source: str
    drug_class: str
    subclass: str
    is_psychotropic: bool
    dea_schedule: str  # "", "2", "2N", "3", "3N", "4", "5"
    tags: frozenset[Tag]
    qt_risk: QtRisk
    anticholinergic_burden: int  # Anticholinergic Cognitive Burden score, 0-3
    half_life_hours: Decimal
    metabolite_half_life_hours: Decimal  # longest active metabolite; 0 if none
    # Explicit label interval after stopping this drug before an MAOI may start (fluoxetine 35).
    days_before_maoi: int
    cyp: tuple[CypEffect, ...]
    boxed_warnings: tuple[str, ...]
    pregnancy: str
    lactation: str
    monitoring: tuple[str, ...]
    dosing: Dosing | None  # full dosing for psychotropics; optional for co-medications
    source: str
    verification: Verification
    clinical_drug_rxcuis: tuple[str, ...] = field(default=())

    # The rules ask these many times per check; computed once per drug (the values are frozen).
    @functools.cached_property
    def _tag_values(self) -> frozenset[str]:
        return frozenset(tag._value_ for tag in self.tags)

    @functools.cached_property
    def _cyp_by_role(self) -> dict[CypRole, tuple[CypEffect, ...]]:
        return {
            role: tuple(effect for effect in self.cyp if effect.role is role) for role in CypRole
        }

    def has(self, tag: Tag) -> bool:
        return tag._value_ in self._tag_values

    def cyp_roles(self, role: CypRole) -> tuple[CypEffect, ...]:
        return self._cyp_by_role[role]

    @functools.cached_property
    def washout_days(self) -> int:
        """About five half-lives of the drug and its longest-lived active metabolite."""
        longest = max(self.half_life_hours, self.metabolite_half_life_hours)
        return int((longest * 5 / 24).to_integral_value(rounding="ROUND_CEILING"))
