"""Safety-check latency: one check of every knowledge-base drug as the order, against a
15-drug current regimen with two years of history. Target: median <= 0.2 ms, p99 <= 1 ms.
Also times loading the knowledge base (target < 200 ms).

Run: .venv/bin/python bench/safety_check.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dosewise.domain.knowledge.loader import load_knowledge  # noqa: E402
from dosewise.domain.safety import Lab, Medication, Order, PatientFacts, Sex, check  # noqa: E402

TODAY = dt.date(2026, 11, 27)
ROUNDS = 20


def regimen_with_history(drugs: list, rng: random.Random) -> list[Medication]:
    """15 current drugs plus two years of stopped ones (about 4 changes a month)."""
    current = rng.sample(drugs, 15)
    meds = [
        Medication(drug, Decimal(10), Decimal(1), TODAY - dt.timedelta(days=rng.randint(30, 700)))
        for drug in current
    ]
    for _ in range(100):
        drug = rng.choice(drugs)
        start = TODAY - dt.timedelta(days=rng.randint(30, 730))
        stop = start + dt.timedelta(days=rng.randint(7, 120))
        if stop < TODAY:
            meds.append(Medication(drug, Decimal(10), Decimal(2), start, stop))
    return meds


def main() -> None:
    started = time.perf_counter()
    knowledge = load_knowledge()
    load_ms = (time.perf_counter() - started) * 1000
    drugs = sorted(knowledge.drugs.values(), key=lambda drug: drug.name)
    rng = random.Random(7)
    regimen = regimen_with_history(drugs, rng)
    patient = PatientFacts(
        age=67,
        sex=Sex.FEMALE,
        pregnant=False,
        breastfeeding=False,
        allergies=("penicillin",),
        conditions=("F33.1", "I10"),
        labs=tuple(
            Lab("sodium", Decimal(134 + i % 5), "mmol/L", TODAY - dt.timedelta(days=30 * i))
            for i in range(24)
        ),
    )
    timings = []
    for _ in range(ROUNDS):
        for drug in drugs:
            order = Order(drug, Decimal(10), Decimal(1), TODAY)
            began = time.perf_counter_ns()
            check(order, regimen, patient, knowledge, on=TODAY)
            timings.append((time.perf_counter_ns() - began) / 1e6)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"knowledge base: {len(drugs)} drugs, loaded in {load_ms:.1f} ms (target < 200 ms)")
    print(f"regimen: 15 current drugs, {len(regimen) - 15} stopped in the last two years")
    print(f"checks: {len(timings)} ({ROUNDS} rounds x every drug as the order)")
    print(
        f"median {statistics.median(timings):.3f} ms   p99 {p99:.3f} ms   (targets: median <= 0.2 ms, p99 <= 1 ms)"
    )


if __name__ == "__main__":
    main()
