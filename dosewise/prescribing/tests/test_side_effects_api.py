"""The JSON API for side-effect reports: record (with the alert it raises), list, read,
entered in error; problems naming the field; access per persona."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import SafetyAlert
from dosewise.patients.models import Patient
from dosewise.prescribing import side_effects
from dosewise.prescribing.side_effect_models import SideEffectReport
from dosewise.prescribing.tests.side_effect_support import course, days_ago
from dosewise.tests.api_support import (
    actions_since,
    api_as,
    audit_mark,
    fields_in_error,
    problem,
)

pytestmark = pytest.mark.django_db


def body(*suspected: Any, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "symptom": "nausea",
        "severity": "mild",
        "onset_on": days_ago(2).isoformat(),
        "action": "continue",
        "suspected": [str(item.uuid) for item in suspected],
    }
    fields.update(changes)
    return fields


def test_records_a_rash_on_lamotrigine_and_answers_with_the_alert(
    prescriber: Membership, patient: Patient
) -> None:
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)

    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/side-effects",
        body(lamotrigine, symptom="rash", severity="moderate", action="stopped", notes="Arms"),
    )

    assert response.status_code == 201, response.content
    made = SideEffectReport.objects.get()
    alert = SafetyAlert.objects.get()
    data = response.json()
    assert data["uuid"] == str(made.uuid)
    assert data["patient"] == str(patient.uuid)
    assert (data["symptom"], data["severity"], data["action"], data["notes"]) == (
        "rash",
        "moderate",
        "stopped",
        "Arms",
    )
    assert data["suspected"] == [
        {"uuid": str(lamotrigine.uuid), "drug": "lamotrigine", "status": "active"}
    ]
    assert data["status"] == "recorded"
    assert data["recorded_by"]["uuid"] == str(prescriber.user.uuid)
    assert data["alert"] == {
        "uuid": str(alert.uuid),
        "kind": "serious_rash",
        "reason": alert.reason,
        "resolved": False,
    }


def test_a_mild_nausea_answers_without_an_alert(prescriber: Membership, patient: Patient) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)

    response = api_as(prescriber).post(f"/patients/{patient.uuid}/side-effects", body(sertraline))

    assert response.status_code == 201, response.content
    assert response.json()["alert"] is None
    assert SafetyAlert.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symptom": "itching"}, "symptom"),
        ({"severity": "awful"}, "severity"),
        ({"onset_on": "01/02/2026"}, "onset_on"),
        ({"onset_on": days_ago(-1).isoformat()}, "onset_on"),
        ({"symptom": "other"}, "other_text"),
        ({"suspected": []}, "suspected"),
        ({"suspected": ["nope"]}, "suspected.0"),
        ({"suspected": ["00000000-0000-0000-0000-000000000000"]}, "suspected"),
        ({"drug": "sertraline"}, "drug"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    prescriber: Membership, patient: Patient, changes: dict[str, Any], field: str
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    mark = audit_mark()

    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/side-effects", body(sertraline, **changes)
    )

    assert fields_in_error(response) == [field]
    assert SideEffectReport.objects.count() == 0
    assert "side-effect.record" not in actions_since(mark)


def test_another_patients_prescription_is_a_problem_not_a_leak(
    prescriber: Membership, outsider: Membership, patient: Patient
) -> None:
    elsewhere = make_patient(outsider.organization, "MRN-9999")
    theirs = course(elsewhere, outsider, "sertraline", 50, start=21)

    response = api_as(prescriber).post(f"/patients/{patient.uuid}/side-effects", body(theirs))

    errors = problem(response, 422)["errors"]
    assert errors == [
        {"field": "suspected", "message": f"Not one of this patient's medications: {theirs.uuid}."}
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("colleague", 403), ("front_desk", 404), ("clinic_admin", 404), ("outsider", 404)],
)
def test_only_the_care_team_records(
    request: Any, prescriber: Membership, patient: Patient, persona: str, status: int
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)

    response = api_as(request.getfixturevalue(persona)).post(
        f"/patients/{patient.uuid}/side-effects", body(sertraline)
    )

    problem(response, status)
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("prescriber", 200),
        ("nurse", 200),
        ("colleague", 200),
        ("front_desk", 404),
        ("clinic_admin", 404),
        ("outsider", 404),
    ],
)
def test_clinicians_of_the_organization_read_reports(
    request: Any, prescriber: Membership, patient: Patient, persona: str, status: int
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    made = side_effects.record_side_effect(
        prescriber,
        patient,
        symptom="insomnia",
        severity="moderate",
        onset_on=days_ago(3),
        action="treated",
        suspected=[sertraline],
    )
    client = api_as(request.getfixturevalue(persona))

    listed = client.get(f"/patients/{patient.uuid}/side-effects")
    one = client.get(f"/side-effects/{made.uuid}")

    assert (listed.status_code, one.status_code) == (status, status)
    if status == 200:
        assert [item["symptom"] for item in listed.json()] == ["insomnia"]
        assert one.json()["action"] == "treated"


def test_list_leaves_out_withdrawn_reports_unless_asked_and_is_audited(
    prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    client = api_as(prescriber)
    kept = client.post(f"/patients/{patient.uuid}/side-effects", body(sertraline)).json()
    wrong = client.post(
        f"/patients/{patient.uuid}/side-effects",
        body(sertraline, symptom="tremor", onset_on=days_ago(5).isoformat()),
    ).json()
    mark = audit_mark()

    withdrawn = client.post(f"/side-effects/{wrong['uuid']}/entered-in-error", {"reason": "Typo"})
    default = client.get(f"/patients/{patient.uuid}/side-effects")
    everything = client.get(
        f"/patients/{patient.uuid}/side-effects", include_entered_in_error="true"
    )

    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Typo",
    )
    assert [item["uuid"] for item in default.json()] == [kept["uuid"]]
    assert [item["uuid"] for item in everything.json()] == [kept["uuid"], wrong["uuid"]]
    assert [action for action in actions_since(mark) if action.startswith("side-effect")] == [
        "side-effect.entered-in-error",
        "side-effect.list",
        "side-effect.list",
    ]
    listed = AuditEvent.objects.filter(action="side-effect.list").order_by("id")
    assert [event.detail for event in listed] == [{"count": 1}, {"count": 2}]


def test_entered_in_error_needs_a_reason_and_the_care_team(
    prescriber: Membership, colleague: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    made = api_as(prescriber).post(f"/patients/{patient.uuid}/side-effects", body(sertraline))
    url = f"/side-effects/{made.json()['uuid']}/entered-in-error"

    blank = api_as(prescriber).post(url, {"reason": " "})
    refused = api_as(colleague).post(url, {"reason": "Mine"})

    assert fields_in_error(blank) == ["reason"]
    problem(refused, 403)
    assert SideEffectReport.objects.get().status == "recorded"


def test_an_unknown_report_is_a_404(prescriber: Membership) -> None:
    problem(api_as(prescriber).get("/side-effects/00000000-0000-0000-0000-000000000000"), 404)
