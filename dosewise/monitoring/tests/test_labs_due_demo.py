"""The demo clinic's lab monitoring (`seed_lab_monitoring`), on `dosewise.demo.seed(patients=12)`:
a lithium patient with one level overdue, a clozapine patient on weekly ANC, an SGA patient with
the 12-week metabolic labs due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dosewise import demo
from dosewise.accounts.models import Membership
from dosewise.clinical.observation_models import Observation
from dosewise.monitoring import labs_due
from dosewise.monitoring.labs_demo import seed_lab_monitoring
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription

pytestmark = pytest.mark.django_db


def _members(organization: object) -> tuple[Membership, Membership]:
    prescriber = Membership.objects.get(organization=organization, user__username="dr.patel")
    nurse = Membership.objects.get(organization=organization, user__username="nurse.garcia")
    return prescriber, nurse


def _rows(mrn: str, today: dt.date) -> dict[str, labs_due.LabRequirementRow]:
    patient = Patient.objects.get(mrn=mrn, organization__is_demo=True)
    rows = labs_due.requirements_for([patient.pk], today=today)[patient.pk]
    return {row.requirement: row for row in rows}


def test_demo_lithium_clozapine_and_sga_patients() -> None:
    today = timezone.localdate()
    organization, created = demo.seed(patients=12, today=today)
    assert created
    prescriber, nurse = _members(organization)

    seed_lab_monitoring(prescriber, nurse, today=today)

    lithium = _rows("DW-1006", today)
    level = lithium["lithium-level-maintenance"]
    assert level.status == "overdue"
    assert level.satisfied_by is not None
    assert level.satisfied_by.shown == "0.7 mmol/L"
    assert level.reason.startswith("every 3 months; last ")  # first year
    assert lithium["lithium-level-after-change"].status == "done"
    assert {
        lithium[key].status for key in ("lithium-renal", "lithium-thyroid", "lithium-calcium")
    } == {"done"}

    clozapine = _rows("DW-1010", today)
    anc = clozapine["clozapine-anc"]
    assert (anc.status, anc.due_on) == ("done", today + dt.timedelta(days=4))
    assert anc.satisfied_by is not None
    assert anc.satisfied_by.effective_on == today - dt.timedelta(days=3)
    weekly = Observation.objects.filter(patient__mrn="DW-1010", test="anc").values_list(
        "effective_on", flat=True
    )
    gaps = sorted(weekly)
    assert len(gaps) == 11
    assert {(later - earlier).days for earlier, later in zip(gaps[1:], gaps[2:], strict=False)} == {
        7
    }
    assert clozapine["sga-weight"].drugs == ("clozapine",)
    cloz = Prescription.objects.get(patient__mrn="DW-1010", drug="clozapine", status="active")
    assert cloz.patient.care_team.current().filter(user=cloz.prescriber).exists()

    sga = _rows("DW-1012", today)
    assert {
        key: sga[key].status
        for key in ("sga-weight", "sga-glucose", "sga-lipids", "sga-blood-pressure")
    } == {
        "sga-weight": "due",
        "sga-glucose": "due",
        "sga-lipids": "due",
        "sga-blood-pressure": "due",
    }
    assert sga["sga-waist"].status == "done"

    # Every result was recorded by the nurse, who is on each care team.
    recorders = set(
        Observation.objects.filter(patient__mrn__in=["DW-1006", "DW-1010", "DW-1012"]).values_list(
            "recorded_by__username", flat=True
        )
    )
    assert recorders == {"nurse.garcia"}
    # The organization's list shows them, overdue first.
    rows = labs_due.due_rows(prescriber, today=today)
    assert rows[0].requirement.status == "overdue"
    assert {"DW-1006", "DW-1012"} <= {row.patient.mrn for row in rows}


def test_seeding_twice_adds_nothing_and_a_small_clinic_is_fine() -> None:
    today = timezone.localdate()
    organization, _ = demo.seed(patients=12, today=today)
    prescriber, nurse = _members(organization)
    seed_lab_monitoring(prescriber, nurse, today=today)
    count = Observation.objects.count()

    seed_lab_monitoring(prescriber, nurse, today=today)

    assert Observation.objects.count() == count


def test_small_demo_without_those_patients_is_skipped() -> None:
    today = timezone.localdate()
    organization, _ = demo.seed(patients=3, today=today)
    prescriber, nurse = _members(organization)
    seed_lab_monitoring(prescriber, nurse, today=today)
    assert Observation.objects.count() == 0
