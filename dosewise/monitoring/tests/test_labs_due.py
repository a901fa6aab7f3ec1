"""Regimen-driven lab monitoring read from the database: the reader (`labs_due`), its fixed
query count, the patient's Monitoring page, the organization's Labs due list and the API, with
each persona."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import observations
from dosewise.clinical import services as clinical
from dosewise.clinical.observation_models import Observation
from dosewise.domain.lab_monitoring import TEST_IDS, default_protocols
from dosewise.domain.labs import catalogue
from dosewise.monitoring import labs_due
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.services import OrderInput
from dosewise.tests.api_support import actions_since, api_as, audit_mark, problem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
_AUDIT_LOCK = 1 if connection.vendor == "postgresql" else 0


def lithium_order(indication: object, start: dt.date) -> OrderInput:
    return OrderInput(
        drug="lithium carbonate",
        form="capsule",
        strength_mg=Decimal(300),
        dose_amount=Decimal(1),
        dose_unit="capsule",
        times_per_day=Decimal(2),
        timings=("morning", "bedtime"),
        start_on=start,
        days_supply=30,
        indication=indication,  # type: ignore[arg-type]
    )


def on_lithium(prescriber: Membership, patient: Patient, *, start: dt.date) -> None:
    """Bipolar II disorder, lithium started on `start` (the visit day)."""
    diagnosis = clinical.add_diagnosis(prescriber, patient, code="F31.81", today=start)
    prescribing.prescribe(prescriber, patient, lithium_order(diagnosis, start), today=start)


def lab(
    actor: Membership, patient: Patient, test: str, value: str, unit: str, on: dt.date
) -> Observation:
    return observations.record_observation(
        actor, patient, test=test, value=value, unit=unit, effective_on=on, today=TODAY
    )


def by_requirement(rows: list[labs_due.LabRequirementRow]) -> dict[str, labs_due.LabRequirementRow]:
    return {row.requirement: row for row in rows}


def my_patient(prescriber: Membership, mrn: str, family: str) -> Patient:
    patient = make_patient(prescriber.organization, mrn, family_name=family)
    CareTeamMember.objects.create(
        organization=patient.organization,
        patient=patient,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    return patient


# --- the reader ---------------------------------------------------------------------------------


def test_lithium_patient_has_due_level_and_done_renal_function_with_its_result(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    start = TODAY - dt.timedelta(days=6)
    on_lithium(prescriber, patient, start=start)
    lab(nurse, patient, "egfr", "96", "mL/min/1.73m2", start - dt.timedelta(days=2))

    rows = by_requirement(labs_due.requirements_for([patient.pk], today=TODAY)[patient.pk])

    level = rows["lithium-level-after-change"]
    assert (level.status, level.due_from, level.due_on, level.satisfied_by) == (
        "due",
        start + dt.timedelta(days=5),
        start + dt.timedelta(days=7),
        None,
    )
    assert level.link == (
        reverse("clinical:observation-new", args=[patient.uuid]) + "?test=lithium"
    )
    assert level.source == "label-lithium-monitoring"
    assert level.verification == "verified"
    assert level.drug_label == "Lithium (lithium carbonate)"
    renal = rows["lithium-renal"]
    assert renal.status == "done"
    assert renal.satisfied_by is not None
    assert (renal.satisfied_by.test, renal.satisfied_by.effective_on, renal.satisfied_by.shown) == (
        "egfr",
        start - dt.timedelta(days=2),
        "96 mL/min/1.73m2",
    )
    assert renal.test_names == ("Creatinine", "eGFR")
    assert rows["lithium-thyroid"].status == "overdue"  # no TSH before the start


def test_same_regimen_seen_on_later_days_goes_upcoming_due_overdue_then_done(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    start = TODAY - dt.timedelta(days=20)
    on_lithium(prescriber, patient, start=start)

    def level_on(day: int) -> tuple[str, dt.date | None]:
        rows = by_requirement(
            labs_due.requirements_for([patient.pk], today=start + dt.timedelta(days=day))[
                patient.pk
            ]
        )
        return rows["lithium-level-after-change"].status, rows["lithium-level-after-change"].due_on

    seven = start + dt.timedelta(days=7)
    assert [level_on(day) for day in (2, 6, 9)] == [
        ("upcoming", seven),
        ("due", seven),
        ("overdue", seven),
    ]
    lab(nurse, patient, "lithium", "0.62", "mmol/L", start + dt.timedelta(days=9))
    assert level_on(9) == ("done", None)


def test_a_result_entered_in_error_no_longer_satisfies(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    start = TODAY - dt.timedelta(days=10)
    on_lithium(prescriber, patient, start=start)
    level = lab(nurse, patient, "lithium", "0.6", "mmol/L", start + dt.timedelta(days=6))
    rows = by_requirement(labs_due.requirements_for([patient.pk], today=TODAY)[patient.pk])
    assert rows["lithium-level-after-change"].status == "done"

    observations.mark_observation_entered_in_error(nurse, level, reason="Wrong patient")

    rows = by_requirement(labs_due.requirements_for([patient.pk], today=TODAY)[patient.pk])
    assert rows["lithium-level-after-change"].status == "overdue"


def test_patient_without_monitored_drugs_has_no_rows(
    prescriber: Membership, patient: Patient
) -> None:
    assert labs_due.requirements_for([patient.pk], today=TODAY) == {patient.pk: []}
    assert labs_due.requirements_for([], today=TODAY) == {}


def test_query_count_is_the_same_for_1_and_10_patients(
    prescriber: Membership,
    nurse: Membership,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    start = TODAY - dt.timedelta(days=40)
    patients = []
    for index in range(10):
        patient = my_patient(prescriber, f"MRN-{index:04d}", f"Family{index}")
        CareTeamMember.objects.create(
            organization=patient.organization,
            patient=patient,
            user=nurse.user,
            added_by=prescriber.user,
        )
        on_lithium(prescriber, patient, start=start)
        lab(nurse, patient, "lithium", "0.7", "mmol/L", start + dt.timedelta(days=6))
        patients.append(patient.pk)
    labs_due.requirements_for(patients[:1], today=TODAY)  # warm the protocol caches

    with django_assert_num_queries(4):
        one = labs_due.requirements_for(patients[:1], today=TODAY)
    with django_assert_num_queries(4):
        ten = labs_due.requirements_for(patients, today=TODAY)

    assert len(one[patients[0]]) == len(ten[patients[9]]) > 0


def test_every_protocol_test_is_in_the_observation_catalogue() -> None:
    """The protocols name tests by the catalogue's ids (helper A's labs.toml)."""
    known = set(catalogue().tests)
    assert known >= TEST_IDS
    for protocol in default_protocols().protocols:
        for requirement in protocol.requirements:
            assert set(requirement.tests) <= set(Observation.Test.values), requirement.id


def test_thresholds_are_in_the_units_the_catalogue_stores() -> None:
    """`faster` thresholds compare numbers in the stored unit: lithium mmol/L, eGFR mL/min/1.73m2."""
    tests = catalogue().tests
    assert tests["lithium"].unit == "mmol/L"
    assert tests["egfr"].unit == "mL/min/1.73m2"
    assert tests["potassium"].unit == "mmol/L"
    assert tests["heart_rate"].unit == "/min"


# --- the patient's Monitoring page ---------------------------------------------------------------


def test_monitoring_page_shows_status_result_and_source_and_is_audited(
    client_for,
    prescriber: Membership,
    nurse: Membership,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    start = TODAY - dt.timedelta(days=6)
    on_lithium(prescriber, patient, start=start)
    lab(nurse, patient, "egfr", "96", "mL/min/1.73m2", start - dt.timedelta(days=2))
    mark = audit_mark()

    response = client_for(prescriber).get(reverse("monitoring:labs-patient", args=[patient.uuid]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Lithium level (12-hour trough) after a start or dose change" in body
    assert '<span aria-hidden="true">● </span>Due' in body
    assert '<span aria-hidden="true">⚠ </span>Overdue' in body
    assert "<strong>96 mL/min/1.73m2</strong>" in body
    assert "label-lithium-monitoring" in body
    assert f"{reverse('clinical:observation-new', args=[patient.uuid])}?test=lithium" in body
    assert actions_since(mark) == ["chart.read"]


def test_chart_links_to_the_monitoring_page(
    client_for,
    prescriber: Membership,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    response = client_for(prescriber).get(reverse("patients:patient-chart", args=[patient.uuid]))
    assert reverse("monitoring:labs-patient", args=[patient.uuid]) in response.content.decode()


def test_clinician_off_the_care_team_reads_it_without_entry_buttons(
    client_for,
    prescriber: Membership,
    colleague: Membership,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    on_lithium(prescriber, patient, start=TODAY - dt.timedelta(days=6))
    response = client_for(colleague).get(reverse("monitoring:labs-patient", args=[patient.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Record result" not in body
    assert "Recording results is for the patient's care team." in body


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_front_desk_and_admin_are_refused_the_monitoring_pages(
    request,
    client_for,
    persona: str,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    member = request.getfixturevalue(persona)
    client = client_for(member)
    assert client.get(reverse("monitoring:labs-patient", args=[patient.uuid])).status_code == 403
    assert client.get(reverse("monitoring:labs-due")).status_code == 403


def test_other_organization_gets_404_and_the_refusal_is_audited(
    client_for,
    outsider: Membership,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    mark = audit_mark()
    response = client_for(outsider).get(reverse("monitoring:labs-patient", args=[patient.uuid]))
    assert response.status_code == 404
    assert actions_since(mark) == ["access.denied"]


# --- the organization's Labs due list --------------------------------------------------------------


def test_labs_due_lists_overdue_first_and_is_audited(
    client_for,
    prescriber: Membership,
    nurse: Membership,  # type: ignore[no-untyped-def]
) -> None:
    late = my_patient(prescriber, "MRN-0101", "Abbott")
    on_lithium(prescriber, late, start=TODAY - dt.timedelta(days=25))
    due_now = my_patient(prescriber, "MRN-0102", "Brennan")
    on_lithium(prescriber, due_now, start=TODAY - dt.timedelta(days=5))
    make_patient(prescriber.organization, "MRN-0103", family_name="Castillo")  # no medication
    mark = audit_mark()

    rows = labs_due.due_rows(nurse, today=TODAY)
    statuses = [row.requirement.status for row in rows]
    assert statuses == sorted(statuses, key=["overdue", "due"].index)
    assert {row.patient.mrn for row in rows} == {"MRN-0101", "MRN-0102"}
    first = rows[0]
    assert (first.patient.mrn, first.requirement.status) == ("MRN-0101", "overdue")
    assert first.requirement.overdue_days == max(r.requirement.overdue_days for r in rows)
    due_level = [
        r
        for r in rows
        if r.patient.mrn == "MRN-0102" and r.requirement.requirement == "lithium-level-after-change"
    ]
    assert [r.requirement.status for r in due_level] == ["due"]

    response = client_for(nurse).get(reverse("monitoring:labs-due"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Abbott") < body.index("Brennan")
    assert "Castillo" not in body
    assert actions_since(mark) == ["labs_due.read"]
    assert AuditEvent.objects.get(action="labs_due.read").detail == {"count": len(rows)}


def test_labs_due_page_query_count_does_not_grow_with_patients(
    client_for,
    prescriber: Membership,  # type: ignore[no-untyped-def]
) -> None:
    from django.test.utils import CaptureQueriesContext

    client = client_for(prescriber)
    first = my_patient(prescriber, "MRN-0201", "Dubois")
    on_lithium(prescriber, first, start=TODAY - dt.timedelta(days=25))
    client.get(reverse("monitoring:labs-due"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("monitoring:labs-due"))
    for index in range(3):
        other = my_patient(prescriber, f"MRN-021{index}", f"Eriksen{index}")
        on_lithium(prescriber, other, start=TODAY - dt.timedelta(days=25))
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("monitoring:labs-due"))
    assert len(four.captured_queries) == len(one.captured_queries)


# --- the API ------------------------------------------------------------------------------------


def test_api_returns_the_patients_requirements(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    start = TODAY - dt.timedelta(days=6)
    on_lithium(prescriber, patient, start=start)
    lab(nurse, patient, "egfr", "96", "mL/min/1.73m2", start - dt.timedelta(days=2))
    mark = audit_mark()

    response = api_as(prescriber).get(f"/patients/{patient.uuid}/monitoring/labs")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["patient"] == str(patient.uuid)
    assert body["today"] == TODAY.isoformat()
    items = {item["requirement"]: item for item in body["requirements"]}
    assert items["lithium-level-after-change"]["status"] == "due"
    assert (
        items["lithium-level-after-change"]["due_on"] == (start + dt.timedelta(days=7)).isoformat()
    )
    assert items["lithium-renal"]["satisfied_by"] == {
        "test": "egfr",
        "test_name": "eGFR",
        "effective_on": (start - dt.timedelta(days=2)).isoformat(),
        "value": "96.000",
        "unit": "mL/min/1.73m2",
        "code": "",
        "shown": "96 mL/min/1.73m2",
    }
    assert items["lithium-renal"]["source"] == "nice-cg185-lithium"
    assert body["requirements"][0]["status"] == "overdue"
    assert "chart.read" in actions_since(mark)


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_api_refuses_non_clinicians_and_other_organizations(
    request,
    persona: str,
    patient: Patient,  # type: ignore[no-untyped-def]
) -> None:
    member = request.getfixturevalue(persona)
    mark = audit_mark()
    problem(api_as(member).get(f"/patients/{patient.uuid}/monitoring/labs"), 404)
    assert "access.denied" in actions_since(mark)


def test_api_unknown_patient_is_404(prescriber: Membership) -> None:
    problem(api_as(prescriber).get("/patients/not-a-uuid/monitoring/labs"), 404)
    problem(
        api_as(prescriber).get("/patients/00000000-0000-4000-8000-000000000000/monitoring/labs"),
        404,
    )


def test_api_labs_due_for_clinicians_only(
    prescriber: Membership, colleague: Membership, front_desk: Membership, patient: Patient
) -> None:
    on_lithium(prescriber, patient, start=TODAY - dt.timedelta(days=25))
    response = api_as(colleague).get("/monitoring/labs-due")
    assert response.status_code == 200
    body = response.json()
    assert body[0]["patient"]["mrn"] == "MRN-0001"
    assert body[0]["status"] == "overdue"
    assert {item["status"] for item in body} <= {"overdue", "due"}
    problem(api_as(front_desk).get("/monitoring/labs-due"), 404)
