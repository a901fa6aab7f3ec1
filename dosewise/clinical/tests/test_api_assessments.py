"""The JSON API for rating-scale administrations, their trend and the safety alerts they raise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership, Organization
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical_services
from dosewise.clinical.models import Assessment, SafetyAlert
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.tests.api_support import (
    actions_since,
    api_as,
    audit_mark,
    fields_in_error,
    problem,
)

pytestmark = pytest.mark.django_db

PHQ9_MODERATE = [1, 2, 1, 2, 1, 1, 1, 1, 0]  # total 10
PHQ9_ITEM9 = [1, 2, 1, 2, 1, 1, 1, 1, 1]  # total 11, item 9 positive
NON_CLINICAL = ["front_desk", "clinic_admin", "outsider"]


def body(**changes: Any) -> dict[str, Any]:
    return {
        "instrument": "phq9",
        "answers": PHQ9_MODERATE,
        "answered_by": "patient",
        "mode": "in-clinic",
        **changes,
    }


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def given(
    actor: Membership,
    patient: Patient,
    answers: list[int],
    *,
    instrument: str = "phq9",
    at: dt.datetime | None = None,
) -> Assessment:
    return assessments.record_assessment(
        actor,
        patient,
        instrument=instrument,
        answers=answers,
        answered_by="patient",
        mode="kiosk",
        administered_at=at,
    )


def phq9_totalling(total: int) -> list[int]:
    """PHQ-9 answers adding up to `total`, item 9 kept at 0 (no alert)."""
    answers = [0] * 9
    for item in range(8):
        answers[item] = min(3, total - sum(answers))
    assert sum(answers) == total
    return answers


def local_date(moment: dt.datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


# --- Recording --------------------------------------------------------------------------------


def test_records_a_phq9_and_returns_the_scored_administration(
    prescriber: Membership, patient: Patient
) -> None:
    client = api_as(prescriber)
    encounter = clinical_services.start_encounter(
        prescriber, patient, kind="follow-up", mode="in-person", occurred_on=timezone.localdate()
    )
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/assessments",
        body(
            encounter=str(encounter.uuid),
            administered_at="2026-01-05T09:30:00+00:00",
            answered_by="clinician",
            mode="telehealth",
        ),
    )
    assert response.status_code == 201, response.content
    stored = Assessment.objects.get()
    assert response.json() == {
        "uuid": str(stored.uuid),
        "patient": str(patient.uuid),
        "encounter": str(encounter.uuid),
        "instrument": "phq9",
        "instrument_name": "PHQ-9",
        "answers": PHQ9_MODERATE,
        "total": 10,
        "band": "moderate",
        "positive": None,
        "flags": [],
        "answered_by": "clinician",
        "mode": "telehealth",
        "administered_at": "2026-01-05T09:30:00Z",
        "status": "final",
        "entered_in_error_reason": "",
        "recorded_by": {"uuid": str(prescriber.user.uuid), "name": "Test Treating"},
        "alert": None,
    }
    assert stored.administered_at == dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    assert actions_since(mark) == ["assessment.create"]
    assert not SafetyAlert.objects.exists()


def test_administered_at_defaults_to_now(nurse: Membership, patient: Patient) -> None:
    before = timezone.now()
    response = api_as(nurse).post(f"/patients/{patient.uuid}/assessments", body())
    assert response.status_code == 201
    assert before <= Assessment.objects.get().administered_at <= timezone.now()


def test_phq9_item_9_returns_the_alert_and_creates_the_safety_alert(
    prescriber: Membership, patient: Patient
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/patients/{patient.uuid}/assessments", body(answers=PHQ9_ITEM9))
    assert response.status_code == 201, response.content
    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.patient, alert.assessment, alert.resolved_at) == (
        "suicide_risk",
        patient,
        Assessment.objects.get(),
        None,
    )
    answer = response.json()
    assert (answer["total"], answer["flags"], answer["alert"]) == (
        11,
        ["suicide_risk"],
        {"uuid": str(alert.uuid), "kind": "suicide_risk"},
    )
    assert actions_since(mark) == ["assessment.create", "safety-alert.raise"]


def test_asq_acuity_returns_an_acute_alert(prescriber: Membership, patient: Patient) -> None:
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/assessments", body(instrument="asq", answers=[1, 0, 0, 0, 1])
    )
    assert response.status_code == 201
    answer = response.json()
    assert (answer["positive"], answer["band"], answer["alert"]["kind"]) == (
        True,
        None,
        "acute_risk",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"instrument": "cssrs"},
            "instrument",
            "unknown instrument 'cssrs'; one of aims, asq, asrs, gad2, gad7, pcl5, phq2, phq9",
        ),
        (
            {"answers": [0] * 8},
            "answers",
            "PHQ-9 needs 9 answers (items 1-9), got 8: item 9 (thoughts of death or self-harm) "
            "is missing",
        ),
        (
            {"answers": [0] * 10},
            "answers",
            "PHQ-9 takes 9 answers (items 1-9), got 10: there is no item 10 to score",
        ),
        (
            {"answers": [0] * 8 + [4]},
            "answers",
            "PHQ-9 item 9 (thoughts of death or self-harm): 4 is not an answer; give 0-3",
        ),
        ({"answers": [True] + [0] * 8}, "answers.0", "Input should be a valid integer"),
        ({"answers": ["1"] + [0] * 8}, "answers.0", "Input should be a valid integer"),
        (
            {"mode": "email"},
            "mode",
            "Input should be 'in-clinic', 'kiosk', 'telehealth' or 'portal'",
        ),
        ({"answered_by": "carer"}, "answered_by", "Input should be 'patient' or 'clinician'"),
        (
            {"administered_at": "2026-01-05T09:30"},
            "administered_at",
            "Write the time as YYYY-MM-DDTHH:MM with its UTC offset, e.g. 2026-05-04T09:30+02:00.",
        ),
        (
            {"administered_at": 1767605400},
            "administered_at",
            "Write the time as YYYY-MM-DDTHH:MM with its UTC offset, e.g. 2026-05-04T09:30+02:00.",
        ),
        (
            {"administered_at": "2999-01-01T00:00:00+00:00"},
            "administered_at",
            "An administration cannot be in the future.",
        ),
        (
            {"encounter": "00000000-0000-0000-0000-000000000000"},
            "encounter",
            "No such encounter.",
        ),
        ({"total": 10}, "total", "Unknown field."),
    ],
)
def test_invalid_administration_is_refused_naming_the_field_and_writes_nothing(
    prescriber: Membership,
    patient: Patient,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/patients/{patient.uuid}/assessments", body(**change))
    assert problem(response, 422)["errors"] == [{"field": field, "message": message}]
    assert not Assessment.objects.exists()
    assert not SafetyAlert.objects.exists()
    # An unknown encounter is looked up like any record, so its refusal is audited.
    assert actions_since(mark) == (["access.denied"] if field == "encounter" else [])


def test_encounter_of_another_patient_is_refused(
    prescriber: Membership, patient: Patient, organization: Organization
) -> None:
    other = make_patient(organization, "MRN-0002")
    CareTeamMember.objects.create(
        organization=organization, patient=other, user=prescriber.user, added_by=prescriber.user
    )
    encounter = clinical_services.start_encounter(
        prescriber, other, kind="follow-up", mode="in-person", occurred_on=timezone.localdate()
    )
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/assessments", body(encounter=str(encounter.uuid))
    )
    assert problem(response, 422)["errors"] == [
        {"field": "encounter", "message": "This encounter belongs to another patient."}
    ]
    assert not Assessment.objects.exists()


# --- Listing ----------------------------------------------------------------------------------


def test_lists_administrations_newest_first_and_audits_the_read(
    nurse: Membership, prescriber: Membership, patient: Patient
) -> None:
    old = given(prescriber, patient, phq9_totalling(18), at=days_ago(30))
    gad = given(prescriber, patient, [1] * 7, instrument="gad7", at=days_ago(10))
    new = given(prescriber, patient, phq9_totalling(9), at=days_ago(2))
    withdrawn = given(prescriber, patient, phq9_totalling(3), at=days_ago(1))
    assessments.mark_assessment_entered_in_error(prescriber, withdrawn, reason="Wrong patient")
    client = api_as(nurse)
    mark = audit_mark()

    response = client.get(f"/patients/{patient.uuid}/assessments")
    assert response.status_code == 200
    assert [item["uuid"] for item in response.json()] == [
        str(new.uuid),
        str(gad.uuid),
        str(old.uuid),
    ]
    assert actions_since(mark) == ["chart.read", "assessment.list"]

    phq9 = client.get(f"/patients/{patient.uuid}/assessments", instrument="phq9").json()
    assert [(item["uuid"], item["total"]) for item in phq9] == [
        (str(new.uuid), 9),
        (str(old.uuid), 18),
    ]
    everything = client.get(
        f"/patients/{patient.uuid}/assessments", include_entered_in_error="true"
    ).json()
    assert [item["status"] for item in everything] == [
        "entered-in-error",
        "final",
        "final",
        "final",
    ]


def test_list_refuses_an_unknown_instrument(prescriber: Membership, patient: Patient) -> None:
    response = api_as(prescriber).get(f"/patients/{patient.uuid}/assessments", instrument="phq10")
    assert fields_in_error(response) == ["instrument"]


def test_list_query_count_does_not_grow(prescriber: Membership, patient: Patient) -> None:
    client = api_as(prescriber)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/patients/{patient.uuid}/assessments").status_code == 200
        return len(captured)

    given(prescriber, patient, PHQ9_ITEM9, at=days_ago(3))
    queries()  # the token's first use also records last_used_at
    few = queries()
    for days in range(5):
        given(prescriber, patient, PHQ9_ITEM9 if days % 2 else PHQ9_MODERATE, at=days_ago(days))
    assert queries() == few


# --- Trend ------------------------------------------------------------------------------------


def test_measurement_returns_points_in_time_order_and_the_analysis(
    nurse: Membership, prescriber: Membership, patient: Patient
) -> None:
    baseline_at, middle_at, latest_at = days_ago(56), days_ago(28), days_ago(3)
    given(prescriber, patient, phq9_totalling(20), at=baseline_at)
    given(prescriber, patient, phq9_totalling(8), at=latest_at)
    given(prescriber, patient, phq9_totalling(12), at=middle_at)
    given(prescriber, patient, [2] * 7, instrument="gad7", at=days_ago(4))  # another instrument
    withdrawn = given(prescriber, patient, phq9_totalling(24), at=days_ago(1))
    assessments.mark_assessment_entered_in_error(prescriber, withdrawn, reason="Wrong patient")
    client = api_as(nurse)
    mark = audit_mark()

    response = client.get(f"/patients/{patient.uuid}/measurement", instrument="phq9")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "instrument": "phq9",
        "instrument_name": "PHQ-9",
        "on": timezone.localdate().isoformat(),
        "stale_after_days": 42,
        "episode_start": None,
        "points": [
            {"date": local_date(baseline_at), "total": 20, "band": "severe"},
            {"date": local_date(middle_at), "total": 12, "band": "moderate"},
            {"date": local_date(latest_at), "total": 8, "band": "mild"},
        ],
        "analysis": {
            "baseline": {"date": local_date(baseline_at), "total": 20},
            "latest": {"date": local_date(latest_at), "total": 8},
            "change_points": -12,
            "change_percent": -60.0,
            "status": "response",
            "reliable_improvement": True,
            "reliable_deterioration": False,
            "important_improvement": True,
            "important_deterioration": False,
            "days_since_latest": (timezone.localdate() - timezone.localtime(latest_at).date()).days,
        },
    }
    assert actions_since(mark) == ["chart.read", "measurement.read"]


def test_measurement_marks_a_stale_latest_score(prescriber: Membership, patient: Patient) -> None:
    given(prescriber, patient, phq9_totalling(20), at=days_ago(90))
    given(prescriber, patient, phq9_totalling(4), at=days_ago(50))
    client = api_as(prescriber)
    url = f"/patients/{patient.uuid}/measurement"
    assert client.get(url, instrument="phq9").json()["analysis"]["status"] == "no_recent_measure"
    recent = client.get(url, instrument="phq9", stale_after_days=60).json()
    assert (recent["stale_after_days"], recent["analysis"]["status"]) == (60, "remission")


def test_measurement_without_scores_has_no_analysis(
    prescriber: Membership, patient: Patient
) -> None:
    response = api_as(prescriber).get(f"/patients/{patient.uuid}/measurement", instrument="gad7")
    assert response.status_code == 200
    assert (response.json()["points"], response.json()["analysis"]) == ([], None)


def test_measurement_of_an_instrument_without_change_rules_has_points_only(
    prescriber: Membership, patient: Patient
) -> None:
    at = days_ago(2)
    given(prescriber, patient, [0, 0, 0, 0, 0], instrument="asq", at=at)
    answer = api_as(prescriber).get(f"/patients/{patient.uuid}/measurement", instrument="asq")
    assert (answer.json()["points"], answer.json()["analysis"]) == (
        [{"date": local_date(at), "total": 0, "band": None}],
        None,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "instrument"),
        ({"instrument": "cssrs"}, "instrument"),
        ({"instrument": "phq9", "stale_after_days": 0}, "stale_after_days"),
        ({"instrument": "phq9", "stale_after_days": "six weeks"}, "stale_after_days"),
    ],
)
def test_measurement_refuses_bad_parameters_naming_them(
    prescriber: Membership, patient: Patient, params: dict[str, Any], field: str
) -> None:
    response = api_as(prescriber).get(f"/patients/{patient.uuid}/measurement", **params)
    assert fields_in_error(response) == [field]


# --- Safety alerts ----------------------------------------------------------------------------


def test_lists_safety_alerts_and_resolves_one(
    nurse: Membership, prescriber: Membership, patient: Patient
) -> None:
    first = given(prescriber, patient, PHQ9_ITEM9, at=days_ago(7))
    second = given(prescriber, patient, PHQ9_ITEM9, at=days_ago(1))
    older, newer = first.alerts.get(), second.alerts.get()
    client = api_as(nurse)
    url = f"/patients/{patient.uuid}/safety-alerts"

    mark = audit_mark()
    listed = client.get(url).json()
    assert [item["uuid"] for item in listed] == [str(newer.uuid), str(older.uuid)]
    assert actions_since(mark) == ["chart.read", "safety-alert.list"]

    response = client.post(
        f"/safety-alerts/{older.uuid}/resolve",
        {"safety_assessment": "  Passive ideation, no plan; safety plan made.  "},
    )
    assert response.status_code == 200, response.content
    older.refresh_from_db()
    answer = response.json()
    assert answer == {
        "uuid": str(older.uuid),
        "patient": str(patient.uuid),
        "kind": "suicide_risk",
        "reason": "PHQ-9: suicide risk screen positive",
        "assessment": str(first.uuid),
        "observation": None,
        "side_effect": None,
        "instrument_name": "PHQ-9",
        "created_at": answer["created_at"],
        "resolved_at": answer["resolved_at"],
        "resolved_by": {"uuid": str(nurse.user.uuid), "name": str(nurse.user)},
        "safety_assessment": "Passive ideation, no plan; safety plan made.",
    }
    assert older.resolved_by == nurse.user
    assert [item["uuid"] for item in client.get(url, open="true").json()] == [str(newer.uuid)]
    assert len(client.get(url).json()) == 2


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"safety_assessment": "   "}, "Record the safety assessment (risk, plan, who was told)."),
        ({}, "This field is required."),
    ],
)
def test_resolving_needs_the_safety_assessment(
    prescriber: Membership, patient: Patient, payload: dict[str, Any], message: str
) -> None:
    alert = given(prescriber, patient, PHQ9_ITEM9).alerts.get()
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/safety-alerts/{alert.uuid}/resolve", payload)
    assert problem(response, 422)["errors"] == [{"field": "safety_assessment", "message": message}]
    alert.refresh_from_db()
    assert (alert.resolved_at, alert.safety_assessment) == (None, "")
    assert actions_since(mark) == []


def test_an_alert_is_resolved_once(prescriber: Membership, patient: Patient) -> None:
    alert = given(prescriber, patient, PHQ9_ITEM9).alerts.get()
    assessments.resolve_alert(prescriber, alert, safety_assessment="Seen; low risk.")
    response = api_as(prescriber).post(
        f"/safety-alerts/{alert.uuid}/resolve", {"safety_assessment": "Again."}
    )
    assert problem(response, 422)["errors"] == [
        {"field": "safety_assessment", "message": "This alert already has a safety assessment."}
    ]
    alert.refresh_from_db()
    assert alert.safety_assessment == "Seen; low risk."


# --- Entered in error -------------------------------------------------------------------------


def test_marks_an_administration_entered_in_error(prescriber: Membership, patient: Patient) -> None:
    assessment = given(prescriber, patient, PHQ9_MODERATE)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/assessments/{assessment.uuid}/entered-in-error", {"reason": "Wrong patient"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Wrong patient",
    )
    assert actions_since(mark) == ["assessment.entered-in-error"]
    trend = client.get(f"/patients/{patient.uuid}/measurement", instrument="phq9").json()
    assert (trend["points"], trend["analysis"]) == ([], None)


def test_entered_in_error_needs_a_reason(prescriber: Membership, patient: Patient) -> None:
    assessment = given(prescriber, patient, PHQ9_MODERATE)
    response = api_as(prescriber).post(
        f"/assessments/{assessment.uuid}/entered-in-error", {"reason": " "}
    )
    assert fields_in_error(response) == ["reason"]
    assessment.refresh_from_db()
    assert assessment.status == "final"


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", NON_CLINICAL)
def test_measurement_is_404_for_non_clinical_roles_and_outsiders(
    request: pytest.FixtureRequest, persona: str, prescriber: Membership, patient: Patient
) -> None:
    alert = given(prescriber, patient, PHQ9_ITEM9).alerts.get()
    client = api_as(request.getfixturevalue(persona))
    base = f"/patients/{patient.uuid}"
    for response in (
        client.get(f"{base}/assessments"),
        client.get(f"{base}/measurement", instrument="phq9"),
        client.get(f"{base}/safety-alerts"),
        client.post(f"{base}/assessments", body()),
        client.post(f"/safety-alerts/{alert.uuid}/resolve", {"safety_assessment": "Seen."}),
        client.post(f"/assessments/{alert.assessment.uuid}/entered-in-error", {"reason": "x"}),
    ):
        problem(response, 404)
    assert Assessment.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.resolved_at, alert.assessment.status) == (None, "final")


def test_colleague_off_the_care_team_reads_but_may_not_write(
    colleague: Membership, prescriber: Membership, patient: Patient
) -> None:
    alert = given(prescriber, patient, PHQ9_ITEM9).alerts.get()
    client = api_as(colleague)
    base = f"/patients/{patient.uuid}"
    assert client.get(f"{base}/assessments").status_code == 200
    assert client.get(f"{base}/measurement", instrument="phq9").status_code == 200
    assert client.get(f"{base}/safety-alerts").status_code == 200
    mark = audit_mark()
    for response in (
        client.post(f"{base}/assessments", body()),
        client.post(f"/safety-alerts/{alert.uuid}/resolve", {"safety_assessment": "Seen."}),
        client.post(f"/assessments/{alert.assessment.uuid}/entered-in-error", {"reason": "x"}),
    ):
        assert "care team" in problem(response, 403)["detail"]
    assert actions_since(mark) == ["access.denied"] * 3
    assert Assessment.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.resolved_at, alert.assessment.status) == (None, "final")
