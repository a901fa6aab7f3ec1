"""Properties that hold for any regimen: order does not matter, an unrelated drug never hides a
finding, and no pair of known drugs crashes the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Tag
from dosewise.domain.safety import Finding, Medication, Order, PatientFacts, Sex, check

TODAY = dt.date(2026, 11, 27)
KNOWLEDGE = default_knowledge()
NAMES = sorted(KNOWLEDGE.drugs)

drug_names = st.sampled_from(NAMES)
patients = st.builds(
    PatientFacts,
    age=st.one_of(st.none(), st.integers(0, 100)),
    sex=st.sampled_from(list(Sex)),
    pregnant=st.one_of(st.none(), st.booleans()),
    breastfeeding=st.one_of(st.none(), st.booleans()),
)


def medication(name: str, days_ago: int, stopped_days_ago: int | None) -> Medication:
    stop = (
        None
        if stopped_days_ago is None
        else TODAY - dt.timedelta(days=min(stopped_days_ago, days_ago))
    )
    return Medication(
        KNOWLEDGE.drugs[name], Decimal(10), Decimal(1), TODAY - dt.timedelta(days=days_ago), stop
    )


medications = st.builds(
    medication,
    drug_names,
    st.integers(1, 700),
    st.one_of(st.none(), st.integers(0, 60)),
)


def run(order_name: str, regimen: list[Medication], patient: PatientFacts) -> list[Finding]:
    order = Order(KNOWLEDGE.drugs[order_name], Decimal(10), Decimal(1), TODAY)
    return check(order, regimen, patient, KNOWLEDGE, on=TODAY)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(drug_names, st.lists(medications, max_size=8), patients, st.randoms(use_true_random=False))
def test_findings_do_not_depend_on_regimen_order(order_name, regimen, patient, random) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(regimen)
    random.shuffle(shuffled)
    assert run(order_name, regimen, patient) == run(order_name, shuffled, patient)


def _keys(findings: list[Finding]) -> set[tuple[str, tuple[str, ...]]]:
    return {(item.code, item.drugs) for item in findings if item.code != "facts-unknown"}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(drug_names, st.lists(medications, max_size=6), patients, medications)
def test_adding_an_unrelated_drug_never_removes_a_finding(
    order_name, regimen, patient, extra
) -> None:  # type: ignore[no-untyped-def]
    # Unrelated: not the ordered drug (that would make the order a dose change), not already in
    # the regimen, and not a drug whose presence is itself the remedy (a mood stabilizer or
    # antipsychotic answers "antidepressant alone in bipolar disorder").
    assume(extra.drug.name != order_name)
    assume(extra.drug.name not in {med.drug.name for med in regimen})
    assume(not (extra.drug.has(Tag.MOOD_STABILIZER) or extra.drug.has(Tag.ANTIPSYCHOTIC)))
    before = run(order_name, regimen, patient)
    after = run(order_name, [*regimen, extra], patient)
    # A new drug can join an existing finding (its drug list grows), never make one vanish:
    # every earlier code is still reported for at least the earlier drugs.
    for code, drugs in _keys(before):
        assert any(c == code and set(drugs) <= set(d) for c, d in _keys(after)), (code, drugs)


def test_every_pair_of_known_drugs_checks_without_error() -> None:
    patient = PatientFacts(age=40, sex=Sex.FEMALE, pregnant=False, breastfeeding=False)
    for order_name in NAMES:
        for other in NAMES:
            regimen = [
                Medication(
                    KNOWLEDGE.drugs[other], Decimal(10), Decimal(1), TODAY - dt.timedelta(days=30)
                )
            ]
            findings = run(order_name, regimen, patient)
            assert findings == sorted(findings, key=Finding.sort_key)
            assert all(
                item.drugs and item.message and item.action and item.source for item in findings
            )
