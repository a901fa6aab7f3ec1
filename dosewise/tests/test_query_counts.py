"""The patient list and the chart cost a fixed number of queries, however big the record."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical
from dosewise.patients import services as patients
from dosewise.patients.models import Patient

TODAY = dt.date(2026, 11, 27)


def count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_record(prescriber: Membership, patient: Patient, n: int) -> None:
    for index in range(n):
        encounter = clinical.start_encounter(
            prescriber,
            patient,
            kind="follow-up",
            mode="telehealth",
            occurred_on=TODAY,
            today=TODAY,
            plan=f"Visit {index}",
        )
        clinical.sign_encounter(prescriber, encounter)
        clinical.add_diagnosis(
            prescriber,
            patient,
            code=["F33.1", "F41.1", "F43.10"][index % 3],
            encounter=encounter,
            today=TODAY,
        )
        patients.record_allergy(prescriber, patient, substance=f"Substance {index}")
        for instrument, answers in (("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1]), ("gad7", [2] * 7)):
            assessments.record_assessment(
                prescriber,
                patient,
                instrument=instrument,
                answers=answers,
                answered_by="patient",
                mode="in-clinic",
            )  # the PHQ-9 raises an open safety alert each time


# Pinned: a change here is a decision, not an accident. PostgreSQL takes one more query per
# audited request: the advisory lock that serialises the audit chain.
_AUDIT_LOCK = 1 if connection.vendor == "postgresql" else 0
PATIENT_LIST_QUERIES = 13 + _AUDIT_LOCK
# +1: the medication history (one query); +2: open safety alerts, scores for the measurement card
CHART_QUERIES = 22 + _AUDIT_LOCK
DEMOGRAPHICS_QUERIES = 13 + _AUDIT_LOCK


def test_patient_list_query_count_does_not_grow_with_patients(
    client_for, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    make_patient(prescriber.organization, "MRN-1")
    few = count_queries(client, reverse("patients:patient-list"))
    for index in range(2, 40):
        make_patient(prescriber.organization, f"MRN-{index}")
    many = count_queries(client, reverse("patients:patient-list"))
    assert few == many == PATIENT_LIST_QUERIES


def test_chart_query_count_does_not_grow_with_the_record(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    add_record(prescriber, patient, 1)
    small = count_queries(client, patient.get_absolute_url())
    add_record(prescriber, patient, 9)
    large = count_queries(client, patient.get_absolute_url())
    assert small == large == CHART_QUERIES


def test_demographics_page_query_count(
    client_for, front_desk: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    add_record(Membership.objects.get(role="prescriber"), patient, 3)
    assert count_queries(client_for(front_desk), patient.get_absolute_url()) == DEMOGRAPHICS_QUERIES
