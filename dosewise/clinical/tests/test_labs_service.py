"""Recording labs and vitals: conversion to the canonical unit, interpretation, urgent alerts
for critical results, blood pressure as two rows, benign ethnic neutropenia."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import observations
from dosewise.clinical.models import SafetyAlert
from dosewise.clinical.observation_models import Observation
from dosewise.domain.safety.facts import Lab
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing

TODAY = dt.date(2026, 11, 27)

pytestmark = pytest.mark.django_db


def record(actor: Membership, patient: Patient, test: str, value: str, unit: str) -> Observation:
    return observations.record_observation(
        actor, patient, test=test, value=value, unit=unit, effective_on=TODAY, today=TODAY
    )


def on_clozapine(actor: Membership, patient: Patient) -> None:
    prescribing.record_outside_medication(
        actor,
        patient,
        drug="clozapine",
        dose_amount=Decimal(1),
        dose_unit="tablet",
        strength_mg=Decimal(100),
        times_per_day=Decimal(2),
        source="outside",
        form="tablet",
        start_on=dt.date(2026, 6, 1),
    )


def test_keeps_the_entered_value_and_stores_the_canonical_one(
    prescriber: Membership, patient: Patient
) -> None:
    obs = record(prescriber, patient, "14334-7", "0.9", "mEq/L")
    assert (obs.test, obs.loinc_code, obs.value, obs.unit) == (
        "lithium",
        "14334-7",
        Decimal("0.900"),
        "mmol/L",
    )
    assert (obs.entered_value, obs.entered_unit) == (Decimal("0.9"), "mEq/L")
    assert (obs.interpretation, obs.reference_low, obs.reference_high) == (
        "normal",
        Decimal("0.6"),
        Decimal("1.2"),
    )
    assert obs.reference_text == "0.6-1.2 mmol/L (target range)"
    assert obs.shown_entered == "0.9 mEq/L"
    event = AuditEvent.objects.get(action="observation.create")
    assert event.detail == {"test": "lithium", "interpretation": "normal"}


def test_converted_results_reach_the_safety_engine_in_its_units(
    prescriber: Membership, patient: Patient
) -> None:
    record(prescriber, patient, "lithium", "1.3", "mEq/L")
    record(prescriber, patient, "anc", "1.8", "10*9/L")
    record(prescriber, patient, "hba1c", "48", "mmol/mol")  # not an engine test: left out
    assert observations.latest_labs(patient, on=TODAY) == (
        Lab("anc", Decimal("1800.000"), "/uL", TODAY),
        Lab("lithium", Decimal("1.300"), "mmol/L", TODAY),
    )


def test_critical_lithium_raises_an_urgent_alert_in_the_same_write(
    prescriber: Membership, patient: Patient
) -> None:
    obs = record(prescriber, patient, "lithium", "1.6", "mmol/L")
    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.observation, alert.patient, alert.resolved_at) == (
        "critical_lab",
        obs,
        patient,
        None,
    )
    assert alert.reason.startswith(
        "Lithium level 1.6 mmol/L: critical (at or above 1.5 mmol/L): lithium toxicity likely"
    )
    assert obs.interpretation == "critical-high"
    assert list(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))[
        -2:
    ] == ["observation.create", "safety-alert.raise"]


@pytest.mark.parametrize(
    ("test", "value", "unit", "flag", "alerts", "source"),
    [
        ("lithium", "1.3", "mmol/L", "high", 0, "brief §4.1: above target, not critical"),
        ("lithium", "1.5", "mEq/L", "critical-high", 1, "brief §4.1: >= 1.5 critical"),
        ("qtc", "510", "ms", "critical-high", 1, "brief §4.8: QTc > 500 ms"),
        ("qtc", "0.5", "s", "high", 0, "brief §4.8: 500 ms is not above 500"),
        ("anc", "1200", "/uL", "low", 0, "no clozapine: below the reference range only"),
        ("sodium", "125", "mmol/L", "low", 0, "no critical limit is sourced for sodium"),
    ],
)
def test_flags_and_alerts(
    prescriber: Membership,
    patient: Patient,
    test: str,
    value: str,
    unit: str,
    flag: str,
    alerts: int,
    source: str,
) -> None:
    obs = record(prescriber, patient, test, value, unit)
    assert (obs.interpretation, SafetyAlert.objects.count()) == (flag, alerts), source


@pytest.mark.parametrize(
    ("anc", "ben", "flag", "alerts", "source"),
    [
        ("1600", False, "normal", 0, "brief §4.5 normal >= 1500"),
        ("1200", False, "low", 0, "brief §4.5 mild: continue, 3x weekly"),
        ("800", False, "critical-low", 1, "brief §4.5 moderate: interrupt"),
        ("300", False, "critical-low", 1, "brief §4.5 severe: interrupt"),
        ("1200", True, "normal", 0, "brief §4.5 BEN normal >= 1000"),
        ("800", True, "critical-low", 1, "brief §4.5 BEN 500-999: haematology consult"),
    ],
)
def test_clozapine_anc_follows_the_label(
    prescriber: Membership,
    patient: Patient,
    anc: str,
    ben: bool,
    flag: str,
    alerts: int,
    source: str,
) -> None:
    on_clozapine(prescriber, patient)
    if ben:
        observations.set_benign_ethnic_neutropenia(prescriber, patient, value=True)
        patient.refresh_from_db()
    obs = record(prescriber, patient, "anc", anc, "/uL")
    assert (obs.interpretation, SafetyAlert.objects.count()) == (flag, alerts), source


def test_mild_neutropenia_on_clozapine_shows_the_label_action(
    prescriber: Membership, patient: Patient
) -> None:
    on_clozapine(prescriber, patient)
    obs = record(prescriber, patient, "anc", "1.2", "10*3/uL")
    assert obs.interpretation_note == (
        "ANC 1200 /uL on clozapine: mild neutropenia (label table, general population)."
    )
    assert obs.value == Decimal("1200.000")


def test_blood_pressure_is_one_entry_and_two_rows(nurse: Membership, patient: Patient) -> None:
    systolic, diastolic = observations.record_blood_pressure(
        nurse, patient, systolic="128", diastolic="82", unit="mmHg", effective_on=TODAY, today=TODAY
    )
    assert [(o.test, o.value, o.interpretation) for o in (systolic, diastolic)] == [
        ("bp_systolic", Decimal("128.000"), "high"),
        ("bp_diastolic", Decimal("82.000"), "high"),
    ]
    assert (systolic.loinc, diastolic.loinc) == ("8480-6", "8462-4")


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field", "message"),
    [
        ("80", "120", "value", "The diastolic pressure must be below the systolic."),
        ("128", "abc", "value", "Enter the result as a number."),
        ("900", "80", "value", None),
    ],
)
def test_bad_blood_pressure_writes_nothing(
    nurse: Membership, patient: Patient, systolic: str, diastolic: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        observations.record_blood_pressure(
            nurse,
            patient,
            systolic=systolic,
            diastolic=diastolic,
            unit="mmHg",
            effective_on=TODAY,
            today=TODAY,
        )
    assert list(caught.value.message_dict) == [field]
    if message:
        assert caught.value.message_dict[field] == [message]
    assert Observation.objects.count() == 0


def test_parse_blood_pressure() -> None:
    assert observations.parse_blood_pressure(" 128 / 82 ") == ("128", "82")
    with pytest.raises(ValidationError, match="systolic/diastolic"):
        observations.parse_blood_pressure("128")


def test_coded_result(prescriber: Membership, patient: Patient) -> None:
    obs = record(prescriber, patient, "57979-7", "Positive", "")
    assert (obs.test, obs.value, obs.value_code, obs.interpretation) == (
        "hla_b1502",
        None,
        "positive",
        "abnormal",
    )
    assert obs.shown_value == "Positive (allele present)"
    assert SafetyAlert.objects.count() == 0  # abnormal, not critical


@pytest.mark.parametrize(
    ("test", "value", "unit", "field", "message"),
    [
        ("1234-5", "1", "mmol/L", "test", None),
        (
            "lithium",
            "1",
            "mg/dL",
            "unit",
            "Lithium level is not recorded in mg/dL; accepted units: mmol/L, mEq/L.",
        ),
        ("glucose_fasting", "400", "mmol/L", "value", None),
        ("hla_b1502", "maybe", "", "value", "Answer HLA-B*15:02 with one of: positive, negative."),
        (
            "hla_b1502",
            "positive",
            "mg/dL",
            "unit",
            "HLA-B*15:02 is a coded result: it takes no unit.",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    prescriber: Membership,
    patient: Patient,
    test: str,
    value: str,
    unit: str,
    field: str,
    message: str | None,
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(prescriber, patient, test, value, unit)
    assert list(caught.value.message_dict) == [field]
    if message:
        assert caught.value.message_dict[field] == [message]
    assert (Observation.objects.count(), AuditEvent.objects.count()) == (0, before)


def test_benign_ethnic_neutropenia_is_audited_and_for_the_care_team(
    prescriber: Membership, colleague: Membership, patient: Patient
) -> None:
    observations.set_benign_ethnic_neutropenia(prescriber, patient, value=True)
    patient.refresh_from_db()
    assert patient.benign_ethnic_neutropenia is True
    event = AuditEvent.objects.get(action="patient.benign-ethnic-neutropenia")
    assert event.detail == {"benign_ethnic_neutropenia": True}
    # Unchanged: no second event.
    observations.set_benign_ethnic_neutropenia(prescriber, patient, value=True)
    assert AuditEvent.objects.filter(action="patient.benign-ethnic-neutropenia").count() == 1
    with pytest.raises(NotOnCareTeam):
        observations.set_benign_ethnic_neutropenia(colleague, patient, value=False)
    patient.refresh_from_db()
    assert patient.benign_ethnic_neutropenia is True


def test_entered_in_error_leaves_the_engine(prescriber: Membership, patient: Patient) -> None:
    obs = record(prescriber, patient, "lithium", "1.0", "mmol/L")
    observations.mark_observation_entered_in_error(prescriber, obs, reason="Wrong patient")
    assert observations.latest_labs(patient, on=TODAY) == ()
    assert [o.status for o in observations.results(patient)] == ["entered-in-error"]


def test_entered_in_error_closes_the_critical_alert_it_raised(
    prescriber: Membership, patient: Patient
) -> None:
    obs = record(prescriber, patient, "lithium", "1.8", "mmol/L")
    alert = SafetyAlert.objects.open().get(observation=obs)
    observations.mark_observation_entered_in_error(prescriber, obs, reason="Wrong patient")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert alert.safety_assessment == (
        "Closed: the lab result was entered in error (Wrong patient)."
    )
    assert AuditEvent.objects.filter(action="safety-alert.resolve").count() == 1
