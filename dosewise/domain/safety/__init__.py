"""The prescribing safety engine: pure rules over plain values (see docs/safety-rules.md)."""

from dosewise.domain.safety.engine import RULES, check
from dosewise.domain.safety.facts import Lab, Medication, Order, PatientFacts, Sex
from dosewise.domain.safety.findings import Finding, Severity

__all__ = [
    "RULES",
    "Finding",
    "Lab",
    "Medication",
    "Order",
    "PatientFacts",
    "Severity",
    "Sex",
    "check",
]
