"""The measurement plan's write path: defaults saved once, items changed by the care team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical
from dosewise.monitoring import plans, services
from dosewise.monitoring.models import MeasurementPlan, MeasurementPlanItem
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent


def _items(patient: Patient) -> list[tuple[str, int | None, bool]]:
    return list(
        MeasurementPlanItem.objects.filter(plan__patient=patient)
        .order_by("id")
        .values_list("instrument", "interval_days", "at_dose_change")
    )


def _prescription(prescriber: Membership, patient: Patient, drug: str) -> Prescription:
    """Setup row: a current medication (the prescribing rules are not under test here)."""
    return Prescription.objects.create(
        organization=patient.organization,
        patient=patient,
        drug=drug,
        form="tablet",
        strength_mg=Decimal(10),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        sig="1 tablet daily",
        start_on=dt.date(2026, 1, 1),
        prescriber=prescriber.user,
    )


def test_default_plan_is_saved_once_from_diagnoses_and_medications(
    prescriber: Membership, patient: Patient
) -> None:
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    clinical.add_diagnosis(prescriber, patient, code="F43.10")
    _prescription(prescriber, patient, "quetiapine")
    plan = services.ensure_default_plan(prescriber, patient)
    assert _items(patient) == [("phq9", 28, False), ("pcl5", 30, False), ("aims", 182, False)]
    assert services.ensure_default_plan(prescriber, patient) == plan
    assert MeasurementPlan.objects.count() == 1
    event = AuditEvent.objects.get(action__startswith="measurement_plan")
    assert (event.action, event.patient) == ("measurement_plan.created", patient)
    assert event.detail["items"][0] == {
        "instrument": "phq9",
        "interval_days": 28,
        "at_dose_change": False,
    }


def test_set_plan_item_changes_an_interval_and_adds_an_instrument(
    prescriber: Membership, patient: Patient
) -> None:
    clinical.add_diagnosis(prescriber, patient, code="F32.1")
    services.set_plan_item(prescriber, patient, instrument="phq9", interval_days=14)
    services.set_plan_item(prescriber, patient, instrument="gad7", interval_days=365)
    assert _items(patient) == [("phq9", 14, False), ("gad7", 365, False)]
    assert list(
        AuditEvent.objects.filter(action__startswith="measurement_plan").values_list(
            "action", "detail"
        )
    ) == [
        ("measurement_plan.created", {"items": [
            {"instrument": "phq9", "interval_days": 28, "at_dose_change": False}]}),
        ("measurement_plan.item_set", {"instrument": "phq9", "interval_days": 14,
                                       "previous": 28}),
        ("measurement_plan.item_set", {"instrument": "gad7", "interval_days": 365,
                                       "previous": None}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("instrument", "interval", "errors"),
    [
        (
            "hamd",
            28,
            {
                "instrument": [
                    "Unknown instrument 'hamd'; choose one of "
                    "aims, asq, asrs, gad2, gad7, pcl5, phq2, phq9."
                ]
            },
        ),
        ("phq9", 6, {"interval_days": ["Must be between 7 and 365 days, got 6."]}),
        ("phq9", 366, {"interval_days": ["Must be between 7 and 365 days, got 366."]}),
        ("phq9", "28", {"interval_days": ["Must be a whole number of days."]}),
    ],
)
def test_set_plan_item_refuses_bad_input_and_writes_nothing(
    prescriber: Membership, patient: Patient, instrument: str, interval: object, errors: dict
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.set_plan_item(
            prescriber,
            patient,
            instrument=instrument,
            interval_days=interval,  # type: ignore[arg-type]
        )
    assert caught.value.message_dict == errors
    assert MeasurementPlan.objects.count() == MeasurementPlanItem.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="measurement_plan").exists()


def test_set_plan_item_needs_the_care_team(colleague: Membership, patient: Patient) -> None:
    with pytest.raises(NotOnCareTeam):
        services.set_plan_item(colleague, patient, instrument="phq9", interval_days=28)
    assert MeasurementPlan.objects.count() == MeasurementPlanItem.objects.count() == 0


def test_asrs_is_due_after_an_adhd_dose_change(prescriber: Membership, patient: Patient) -> None:
    clinical.add_diagnosis(prescriber, patient, code="F90.0")
    today = timezone.localdate()
    assessments.record_assessment(
        prescriber,
        patient,
        instrument="asrs",
        answers=[2, 2, 2, 3, 3, 3],
        answered_by="patient",
        mode="in-clinic",
        administered_at=timezone.now() - dt.timedelta(days=20),
    )
    stimulant = _prescription(prescriber, patient, "methylphenidate")
    RegimenEvent.objects.create(
        organization=patient.organization,
        patient=patient,
        prescription=stimulant,
        kind=RegimenEvent.Kind.DOSE_CHANGED,
        effective_on=today - dt.timedelta(days=5),
        reason=RegimenEvent.Reason.TITRATION,
        daily_mg=Decimal(20),
        author=prescriber.user,
    )
    facts = plans.facts_for([patient.pk])[patient.pk]
    [due] = facts.due(on=today)
    assert (due.instrument, due.due_on, due.overdue_days) == (
        "asrs",
        today - dt.timedelta(days=5),
        5,
    )
