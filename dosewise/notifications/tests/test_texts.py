"""Reminder texts reveal no diagnosis, drug, test or rating scale: anyone may read a phone's
lock screen. Scanned against every drug name and synonym of the knowledge base, every rating
scale's name and title, and the patient's own diagnoses."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.scales import default_instruments
from dosewise.notifications import planning
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import NOW
from dosewise.patients.models import Patient

pytestmark = pytest.mark.django_db

# Diagnoses whose defaults call for every scale the plan knows (PHQ-9, GAD-7, PCL-5, ASRS).
DIAGNOSES = ("F33.1", "F41.1", "F43.10", "F90.0", "F31.81", "F20.9")


def forbidden_terms(patient: Patient) -> set[str]:
    knowledge = default_knowledge()
    terms = {name for drug in knowledge.drugs.values() for name in (drug.name, *drug.synonyms)}
    registry = default_instruments()
    for instrument_id in registry.ids:
        instrument = registry.get(instrument_id)
        terms |= {instrument_id, instrument.name, instrument.title}
    for description in Diagnosis.objects.filter(patient=patient).values_list(
        "description", flat=True
    ):
        terms.add(description)
        # Each telling word too ("depressive", "bipolar", "schizophrenia"), not only the phrase.
        terms |= set(re.findall(r"[A-Za-z]{6,}", description))
    # Tests named after what they monitor reveal the drug.
    terms |= {"level", "lithium level", "ANC", "clozapine", "blood count", "psychiatric"}
    return terms


def leaks(text: str, terms: set[str]) -> list[str]:
    return sorted(
        term
        for term in terms
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", text, re.IGNORECASE)
    )


def test_generated_reminders_name_no_drug_diagnosis_or_scale(patient, prescriber, book) -> None:  # type: ignore[no-untyped-def]
    for code in DIAGNOSES:
        clinical.add_diagnosis(prescriber, patient, code=code)
    book(patient, prescriber, NOW + dt.timedelta(hours=30), telehealth=True)

    planning.plan_all(now=NOW)

    reminders = list(Reminder.objects.filter(patient=patient))
    kinds = {reminder.kind for reminder in reminders}
    assert {Reminder.Kind.APPOINTMENT, Reminder.Kind.QUESTIONNAIRE_DUE} <= kinds
    terms = forbidden_terms(patient)
    assert len(terms) > 300  # the whole knowledge base, not an empty list
    for reminder in reminders:
        assert leaks(f"{reminder.subject}\n{reminder.body}", terms) == [], reminder.body


def test_the_scan_would_catch_a_leak(patient, prescriber) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F31.81")
    terms = forbidden_terms(patient)
    found = {term.lower() for term in leaks("Your Lithium level is due", terms)}
    assert found == {"lithium", "level", "lithium level"}
    assert "Bipolar" in leaks("Bipolar clinic reminder", terms)
    assert leaks("Please fill in your PHQ-9", terms) == ["PHQ-9"]
    assert leaks("A Zoloft refill", terms) != []
