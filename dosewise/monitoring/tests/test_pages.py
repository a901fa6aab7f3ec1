"""The measurement plan page, the due list and the prescriber's panel, on the web and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical
from dosewise.monitoring.models import MeasurementPlan, MeasurementPlanItem
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.tests.api_support import api_as, fields_in_error

pytestmark = pytest.mark.django_db

_AUDIT_LOCK = 1 if connection.vendor == "postgresql" else 0
PANEL_QUERIES = 20 + _AUDIT_LOCK
DUE_QUERIES = 19 + _AUDIT_LOCK


def _phq9(actor: Membership, patient: Patient, total_answers: list[int], days_ago: int) -> None:
    assessments.record_assessment(
        actor,
        patient,
        instrument="phq9",
        answers=total_answers,
        answered_by="patient",
        mode="in-clinic",
        administered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


PHQ9_20 = [3, 3, 3, 3, 2, 2, 2, 2, 0]  # 20
PHQ9_8 = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # 8
PHQ9_3 = [1, 1, 1, 0, 0, 0, 0, 0, 0]  # 3


def _my_patient(prescriber: Membership, mrn: str, family: str, code: str) -> Patient:
    patient = make_patient(prescriber.organization, mrn, family_name=family)
    CareTeamMember.objects.create(
        organization=patient.organization,
        patient=patient,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    clinical.add_diagnosis(prescriber, patient, code=code)
    return patient


def test_plan_page_saves_defaults_and_shows_next_due(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    _phq9(prescriber, patient, PHQ9_8, 30)
    response = client_for(prescriber).get(
        reverse("monitoring:measurement-plan", args=[patient.uuid])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<th scope="row">PHQ-9</th>' in body
    assert "Every 28 days" in body
    assert "⚠ 2 days overdue" in body
    assert list(MeasurementPlanItem.objects.values_list("instrument", "interval_days")) == [
        ("phq9", 28)
    ]
    assert AuditEvent.objects.filter(action="measurement_plan.created").count() == 1


def test_plan_form_changes_the_interval(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    url = reverse("monitoring:measurement-plan", args=[patient.uuid])
    response = client_for(prescriber).post(url, {"instrument": "gad7", "interval_days": "14"})
    assert response.status_code == 302
    assert list(MeasurementPlanItem.objects.values_list("instrument", "interval_days")) == [
        ("gad7", 14)
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"instrument": "gad7", "interval_days": "400"}, "The interval is at most 365 days."),
        ({"instrument": "gad7", "interval_days": "3"}, "The interval is at least 7 days."),
        ({"instrument": "hamd", "interval_days": "28"}, "Choose an instrument from the list."),
    ],
)
def test_plan_form_refuses_bad_input(client_for, prescriber, patient, data, message) -> None:  # type: ignore[no-untyped-def]
    url = reverse("monitoring:measurement-plan", args=[patient.uuid])
    response = client_for(prescriber).post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MeasurementPlanItem.objects.filter(instrument__in=["gad7", "hamd"]).exists()
    assert not AuditEvent.objects.filter(action="measurement_plan.item_set").exists()


def test_due_list_is_sorted_by_most_overdue(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    _phq9(prescriber, patient, PHQ9_8, 30)
    other = _my_patient(prescriber, "MRN-0002", "Okafor", "F41.1")
    assessments.record_assessment(
        prescriber, other, instrument="gad7", answers=[1] * 7, answered_by="patient",
        mode="in-clinic", administered_at=timezone.now() - dt.timedelta(days=40),
    )  # fmt: skip
    response = client_for(prescriber).get(reverse("monitoring:due-list"))
    body = response.content.decode()
    assert body.index("Okafor") < body.index("Rivera")
    assert "⚠ 12 days" in body and "⚠ 2 days" in body
    assert AuditEvent.objects.filter(action="measurement_due.read").count() == 1


def test_panel_shows_status_and_change(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    _phq9(prescriber, patient, PHQ9_20, 60)
    _phq9(prescriber, patient, PHQ9_3, 10)
    worse = _my_patient(prescriber, "MRN-0002", "Okafor", "F32.1")
    _phq9(prescriber, worse, PHQ9_8, 40)
    _phq9(prescriber, worse, PHQ9_20, 5)
    _my_patient(prescriber, "MRN-0003", "Zhang", "F41.1")
    rows = api_as(prescriber).get("/monitoring/panel", sort="status").json()
    assert [
        (r["patient"]["name"], r["instrument"], r["latest_total"], r["change_points"],
         r["change_percent"], r["status"]) for r in rows
    ] == [
        ("Alex Okafor", "phq9", 20, 12, "150.0", "deterioration"),
        ("Alex Zhang", "gad7", None, None, None, "no_recent_measure"),
        ("Alex Rivera", "phq9", 3, -17, "-85.0", "remission"),
    ]  # fmt: skip
    body = client_for(prescriber).get(reverse("monitoring:panel")).content.decode()
    assert body.index("Okafor") < body.index("Rivera") < body.index("Zhang")  # by name
    assert "<td>Remission</td>" in body and "<td>Deterioration</td>" in body
    assert "-17 (-85.0 %)" in body


def test_panel_filters_by_instrument_and_diagnosis(prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    _my_patient(prescriber, "MRN-0002", "Okafor", "F41.1")
    client = api_as(prescriber)
    names = lambda **q: [r["patient"]["name"] for r in client.get("/monitoring/panel", **q).json()]  # noqa: E731
    assert names(diagnosis="F41") == ["Alex Okafor"]
    assert names(diagnosis="f33.1") == ["Alex Rivera"]
    assert names(instrument="phq9") == ["Alex Rivera"]
    assert names(instrument="pcl5") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"instrument": "hamd"}, "instrument"), ({"diagnosis": "33"}, "diagnosis"),
     ({"sort": "age"}, "sort")],
)  # fmt: skip
def test_panel_refuses_bad_filters(client_for, prescriber, params, field) -> None:  # type: ignore[no-untyped-def]
    assert fields_in_error(api_as(prescriber).get("/monitoring/panel", **params)) == [field]
    response = client_for(prescriber).get(reverse("monitoring:panel"), params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_api_plan_read_and_set(prescriber, colleague, patient) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F43.10")
    client = api_as(prescriber)
    plan = client.get(f"/patients/{patient.uuid}/measurement-plan").json()
    assert [(i["instrument"], i["interval_days"], i["is_due"], i["due_reason"])
            for i in plan["items"]] == [("pcl5", 30, True, "no score yet: baseline due")]  # fmt: skip
    path = f"/patients/{patient.uuid}/measurement-plan/items"
    response = client.post(path, {"instrument": "pcl5", "interval_days": 14})
    assert response.status_code == 200
    assert response.json()["interval_days"] == 14
    bad = client.post(path, {"instrument": "pcl5", "interval_days": 400})
    assert fields_in_error(bad) == ["interval_days"]
    assert fields_in_error(client.post(path, {"instrument": "hamd", "interval_days": 14})) == [
        "instrument"
    ]
    refused = api_as(colleague).post(path, {"instrument": "pcl5", "interval_days": 60})
    assert refused.status_code == 403
    assert list(MeasurementPlanItem.objects.values_list("instrument", "interval_days")) == [
        ("pcl5", 14)
    ]
    assert MeasurementPlan.objects.count() == 1


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(prescriber: Membership, start: int, count: int) -> None:
    for index in range(start, start + count):
        other = _my_patient(prescriber, f"MRN-9{index:03}", f"Family{index}", "F33.1")
        _phq9(prescriber, other, PHQ9_20, 50)
        _phq9(prescriber, other, PHQ9_8, 10)


def test_panel_query_count_is_fixed(client_for, prescriber) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    _grow(prescriber, 0, 2)
    few = _count(client, reverse("monitoring:panel"))
    _grow(prescriber, 2, 18)
    assert _count(client, reverse("monitoring:panel") + "?sort=status") == few == PANEL_QUERIES


def test_due_list_query_count_is_fixed(client_for, prescriber) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    _grow(prescriber, 0, 2)
    few = _count(client, reverse("monitoring:due-list"))
    _grow(prescriber, 2, 18)
    assert _count(client, reverse("monitoring:due-list")) == few == DUE_QUERIES
