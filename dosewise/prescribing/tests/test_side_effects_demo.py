"""The demo clinic's side-effect reports (`seed_side_effects`, called by `dosewise.demo.seed`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dosewise import demo
from dosewise.clinical.models import SafetyAlert
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.side_effect_models import SideEffectReport
from dosewise.prescribing.side_effects_demo import seed_side_effects

pytestmark = pytest.mark.django_db

STORY_REPORTS = [
    ("DW-1001", "nausea", "mild", "continue", ("sertraline",)),
    ("DW-1002", "sexual_dysfunction", "moderate", "stopped", ("escitalopram",)),
    ("DW-1008", "insomnia", "mild", "continue", ("methylphenidate",)),
    ("DW-1009", "sedation", "mild", "continue", ("paroxetine",)),
    ("DW-1009", "weight_gain", "moderate", "continue", ("paroxetine",)),
]


def _rows() -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    return sorted(
        (report.patient.mrn, report.symptom, report.severity, report.action, drugs)
        for report in SideEffectReport.objects.select_related("patient")
        for drugs in [tuple(report.suspected.values_list("drug", flat=True))]
    )


def test_twelve_patients_get_the_story_reports_by_their_care_team_and_no_alert() -> None:
    today = timezone.localdate()
    organization, created = demo.seed(patients=12, today=today)
    assert created

    seed_side_effects(organization, today=today)  # again: adds nothing

    assert _rows() == STORY_REPORTS
    for report in SideEffectReport.objects.select_related("patient"):
        assert report.patient.care_team.current().filter(user=report.recorded_by).exists()
    assert not SafetyAlert.objects.filter(side_effect__isnull=False).exists()


def test_the_bipolar_ii_patient_has_an_open_serious_rash_alert_on_lamotrigine() -> None:
    today = timezone.localdate()
    organization, _ = demo.seed(patients=15, today=today)
    seed_side_effects(organization, today=today)

    assert _rows() == sorted(
        [*STORY_REPORTS, ("DW-1015", "rash", "moderate", "stopped", ("lamotrigine",))]
    )
    rash = SideEffectReport.objects.get(symptom="rash")
    assert rash.onset_on == today - dt.timedelta(days=2)
    assert rash.recorded_by.username == "nurse.garcia"
    alert = SafetyAlert.objects.get(side_effect__isnull=False)
    assert (alert.patient.mrn, alert.kind, alert.side_effect_id, alert.resolved_at) == (
        "DW-1015",
        "serious_rash",
        rash.pk,
        None,
    )
    # Stopping the prescription is left to the prescriber (the report's page links to it).
    lamotrigine = Prescription.objects.filter(patient__mrn="DW-1015", drug="lamotrigine")
    assert sorted(lamotrigine.values_list("status", flat=True)) == ["active", "stopped"]


def test_a_small_clinic_gets_only_the_reports_of_its_patients() -> None:
    today = timezone.localdate()
    organization, _ = demo.seed(patients=2, today=today)

    seed_side_effects(organization, today=today)

    assert _rows() == STORY_REPORTS[:2]
