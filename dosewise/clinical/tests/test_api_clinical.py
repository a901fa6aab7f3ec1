"""The JSON API for encounter notes, addenda, diagnoses and ICD-10-CM search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.clinical import services
from dosewise.clinical.models import Diagnosis, Encounter, EncounterAddendum
from dosewise.clinical.schemas import EncounterIn
from dosewise.patients import services as patient_services
from dosewise.patients.models import Patient
from dosewise.tests.api_support import (
    actions_since,
    api_as,
    audit_mark,
    events_since,
    fields_in_error,
    problem,
)

pytestmark = pytest.mark.django_db

SECTIONS = services.SECTION_FIELDS
NON_CLINICAL = ["front_desk", "clinic_admin", "outsider"]


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def draft(actor: Membership, patient: Patient, **sections: str) -> Encounter:
    return services.start_encounter(
        actor, patient, kind="follow-up", mode="in-person", occurred_on=yesterday(), **sections
    )


def signed(actor: Membership, patient: Patient) -> Encounter:
    return services.sign_encounter(actor, draft(actor, patient, chief_complaint="Low mood"))


def person(member: Membership) -> dict[str, str]:
    return {"uuid": str(member.user.uuid), "name": str(member.user)}


# --- Encounters -------------------------------------------------------------------------------


def test_encounter_input_takes_every_section_of_the_note() -> None:
    assert tuple(EncounterIn.model_fields) == ("kind", "mode", "occurred_on", *SECTIONS)


def test_prescriber_starts_a_draft_encounter(prescriber: Membership, patient: Patient) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/encounters",
        {
            "kind": "intake",
            "mode": "telehealth",
            "occurred_on": yesterday().isoformat(),
            "chief_complaint": "  Low mood for three months ",
            "plan": "PHQ-9 next visit",
        },
    )
    assert response.status_code == 201
    encounter = Encounter.objects.get()
    body = response.json()
    assert body.pop("created_at") and body.pop("updated_at")
    assert body == {
        "uuid": str(encounter.uuid),
        "patient": str(patient.uuid),
        "kind": "intake",
        "mode": "telehealth",
        "occurred_on": yesterday().isoformat(),
        "status": "draft",
        "clinician": {"uuid": str(prescriber.user.uuid), "name": "Test Treating"},
        **dict.fromkeys(SECTIONS, ""),
        "chief_complaint": "Low mood for three months",
        "plan": "PHQ-9 next visit",
        "signed_at": None,
        "signed_by": None,
        "entered_in_error_reason": "",
        "addenda": [],
    }
    assert actions_since(mark) == ["encounter.create"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"kind": "consult"}, "kind"),
        ({"mode": None}, "mode"),
        ({"assessment": "Stable"}, "assessment"),
        ({"clinician": "someone"}, "clinician"),
        ({"status": "signed"}, "status"),
    ],
)
def test_start_encounter_refuses_invalid_input_naming_the_field(
    prescriber: Membership, patient: Patient, change: dict[str, object], field: str
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    body = {"kind": "follow-up", "mode": "in-person", "occurred_on": yesterday().isoformat()}
    response = client.post(f"/patients/{patient.uuid}/encounters", {**body, **change})
    assert fields_in_error(response) == [field]
    assert not Encounter.objects.exists()
    assert actions_since(mark) == []


def test_lists_encounters_newest_first_and_audits_the_read(
    nurse: Membership, prescriber: Membership, patient: Patient
) -> None:
    older = services.start_encounter(
        prescriber, patient, kind="intake", mode="in-person", occurred_on=dt.date(2026, 1, 5)
    )
    newer = draft(prescriber, patient, chief_complaint="Sleep better")
    withdrawn = draft(prescriber, patient)
    services.mark_encounter_entered_in_error(prescriber, withdrawn, reason="Wrong patient")
    client = api_as(nurse)
    mark = audit_mark()
    response = client.get(f"/patients/{patient.uuid}/encounters")
    assert response.status_code == 200
    listed = response.json()
    assert [item["uuid"] for item in listed] == [str(newer.uuid), str(older.uuid)]
    first = listed[0]
    assert first.pop("created_at")
    assert first == {
        "uuid": str(newer.uuid),
        "patient": str(patient.uuid),
        "kind": "follow-up",
        "mode": "in-person",
        "occurred_on": yesterday().isoformat(),
        "status": "draft",
        "clinician": person(prescriber),
        "chief_complaint": "Sleep better",
        "signed_at": None,
    }
    events = events_since(mark)
    assert [event.action for event in events] == ["chart.read", "encounter.list"]
    assert (events[1].actor, events[1].patient, events[1].detail) == (
        nurse.user,
        patient,
        {"count": 2},
    )
    everything = client.get(f"/patients/{patient.uuid}/encounters", include_entered_in_error=True)
    assert len(everything.json()) == 3


def test_encounter_list_query_count_does_not_grow(prescriber: Membership, patient: Patient) -> None:
    client = api_as(prescriber)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/patients/{patient.uuid}/encounters").status_code == 200
        return len(captured)

    signed(prescriber, patient)
    queries()  # the token's first use also records last_used_at
    few = queries()
    for _ in range(5):
        signed(prescriber, patient)
    assert queries() == few


def test_reads_encounter_with_addenda(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    encounter = signed(prescriber, patient)
    addendum = services.add_addendum(nurse, encounter, text="Called pharmacy.")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.get(f"/encounters/{encounter.uuid}")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["signed_by"]) == ("signed", person(prescriber))
    assert body["signed_at"] is not None
    [shown] = body["addenda"]
    assert shown.pop("created_at")
    assert shown == {
        "uuid": str(addendum.uuid),
        "text": "Called pharmacy.",
        "author": person(nurse),
    }
    [event] = events_since(mark)
    assert (event.action, event.actor, event.patient, event.target_id) == (
        "encounter.read",
        prescriber.user,
        patient,
        str(encounter.uuid),
    )


def test_encounter_detail_query_count_does_not_grow_with_addenda(
    prescriber: Membership, patient: Patient
) -> None:
    encounter = signed(prescriber, patient)
    client = api_as(prescriber)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/encounters/{encounter.uuid}").status_code == 200
        return len(captured)

    services.add_addendum(prescriber, encounter, text="One.")
    queries()
    few = queries()
    for number in range(4):
        services.add_addendum(prescriber, encounter, text=f"More {number}.")
    assert queries() == few


def test_clinician_changes_own_draft(prescriber: Membership, patient: Patient) -> None:
    encounter = draft(prescriber, patient, chief_complaint="Low mood")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.patch(
        f"/encounters/{encounter.uuid}",
        {"plan": "Sertraline 25 mg daily", "chief_complaint": "Low mood", "mode": "telehealth"},
    )
    assert response.status_code == 200
    assert (response.json()["plan"], response.json()["mode"]) == (
        "Sertraline 25 mg daily",
        "telehealth",
    )
    encounter.refresh_from_db()
    assert (encounter.plan, encounter.mode) == ("Sertraline 25 mg daily", "telehealth")
    [event] = events_since(mark)
    assert (event.action, event.detail) == ("encounter.update", {"fields": ["mode", "plan"]})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"plan": None}, "plan"),
        ({"occurred_on": None}, "occurred_on"),
        ({"signed_by": 1}, "signed_by"),
    ],
)
def test_draft_change_refused_naming_the_field(
    prescriber: Membership, patient: Patient, change: dict[str, object], field: str
) -> None:
    encounter = draft(prescriber, patient, plan="Review in 4 weeks")
    client = api_as(prescriber)
    assert fields_in_error(client.patch(f"/encounters/{encounter.uuid}", change)) == [field]
    encounter.refresh_from_db()
    assert (encounter.plan, encounter.occurred_on) == ("Review in 4 weeks", yesterday())


def test_signed_encounter_cannot_be_changed(prescriber: Membership, patient: Patient) -> None:
    encounter = signed(prescriber, patient)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.patch(f"/encounters/{encounter.uuid}", {"plan": "Rewritten"})
    assert problem(response, 422)["errors"] == [
        {"field": "status", "message": "This encounter is signed; only a draft can change."}
    ]
    encounter.refresh_from_db()
    assert (encounter.plan, encounter.status) == ("", "signed")
    assert actions_since(mark) == []


def test_draft_is_changed_only_by_its_own_clinician(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    encounter = draft(prescriber, patient)
    client = api_as(nurse)
    response = client.patch(f"/encounters/{encounter.uuid}", {"plan": "Mine now"})
    assert problem(response, 422)["errors"] == [
        {
            "field": "clinician",
            "message": "Only the encounter's own clinician may edit or sign this draft.",
        }
    ]
    assert fields_in_error(client.post(f"/encounters/{encounter.uuid}/sign")) == ["clinician"]
    encounter.refresh_from_db()
    assert (encounter.plan, encounter.status) == ("", "draft")


def test_signs_draft(prescriber: Membership, patient: Patient) -> None:
    encounter = draft(prescriber, patient, chief_complaint="Low mood")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/encounters/{encounter.uuid}/sign")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["signed_by"]) == (
        "signed",
        person(prescriber),
    )
    encounter.refresh_from_db()
    assert (encounter.status, encounter.signed_by) == ("signed", prescriber.user)
    assert actions_since(mark) == ["encounter.sign"]


def test_empty_note_cannot_be_signed(prescriber: Membership, patient: Patient) -> None:
    encounter = draft(prescriber, patient)
    response = api_as(prescriber).post(f"/encounters/{encounter.uuid}/sign")
    assert fields_in_error(response) == ["chief_complaint"]
    encounter.refresh_from_db()
    assert encounter.status == "draft"


def test_adds_addendum_to_signed_note(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    encounter = signed(prescriber, patient)
    client = api_as(nurse)
    mark = audit_mark()
    response = client.post(f"/encounters/{encounter.uuid}/addenda", {"text": " Labs ordered. "})
    assert response.status_code == 201
    addendum = EncounterAddendum.objects.get()
    body = response.json()
    assert body.pop("created_at")
    assert body == {"uuid": str(addendum.uuid), "text": "Labs ordered.", "author": person(nurse)}
    [event] = events_since(mark)
    assert (event.action, event.detail) == ("encounter.addendum", {"addendum": str(addendum.uuid)})


@pytest.mark.parametrize(
    ("body", "field"), [({"text": "Too early"}, "text"), ({}, "text"), ({"note": "x"}, "note")]
)
def test_addendum_refused(
    prescriber: Membership, patient: Patient, body: dict[str, str], field: str
) -> None:
    encounter = draft(prescriber, patient, chief_complaint="Low mood")
    response = api_as(prescriber).post(f"/encounters/{encounter.uuid}/addenda", body)
    assert field in fields_in_error(response)
    assert not EncounterAddendum.objects.exists()


def test_marks_encounter_entered_in_error(prescriber: Membership, patient: Patient) -> None:
    encounter = signed(prescriber, patient)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/encounters/{encounter.uuid}/entered-in-error", {"reason": "Wrong patient"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Wrong patient",
    )
    assert actions_since(mark) == ["encounter.entered-in-error"]
    again = client.post(f"/encounters/{encounter.uuid}/entered-in-error", {"reason": "Again"})
    assert fields_in_error(again) == ["status"]


@pytest.mark.parametrize("persona", NON_CLINICAL)
def test_encounters_are_404_for_non_clinical_roles_and_outsiders(
    request: pytest.FixtureRequest, persona: str, prescriber: Membership, patient: Patient
) -> None:
    encounter = draft(prescriber, patient, chief_complaint="Low mood")
    client = api_as(request.getfixturevalue(persona))
    start = {"kind": "intake", "mode": "in-person", "occurred_on": yesterday().isoformat()}
    responses = [
        client.get(f"/patients/{patient.uuid}/encounters"),
        client.post(f"/patients/{patient.uuid}/encounters", start),
        client.get(f"/encounters/{encounter.uuid}"),
        client.patch(f"/encounters/{encounter.uuid}", {"plan": "x"}),
        client.post(f"/encounters/{encounter.uuid}/sign"),
        client.post(f"/encounters/{encounter.uuid}/addenda", {"text": "x"}),
        client.post(f"/encounters/{encounter.uuid}/entered-in-error", {"reason": "x"}),
    ]
    for response in responses:
        assert problem(response, 404)["detail"] == "No such record."
    assert list(Encounter.objects.values_list("status", "plan")) == [("draft", "")]


def test_front_desk_reads_demographics_but_not_encounters(
    front_desk: Membership, patient: Patient
) -> None:
    client = api_as(front_desk)
    assert client.get(f"/patients/{patient.uuid}").status_code == 200
    problem(client.get(f"/patients/{patient.uuid}/encounters"), 404)


def test_colleague_reads_encounters_but_may_not_write(
    colleague: Membership, prescriber: Membership, patient: Patient
) -> None:
    encounter = signed(prescriber, patient)
    client = api_as(colleague)
    assert client.get(f"/patients/{patient.uuid}/encounters").status_code == 200
    assert client.get(f"/encounters/{encounter.uuid}").status_code == 200
    start = {"kind": "intake", "mode": "in-person", "occurred_on": yesterday().isoformat()}
    refused = [
        client.post(f"/patients/{patient.uuid}/encounters", start),
        client.post(f"/encounters/{encounter.uuid}/addenda", {"text": "Seen in clinic."}),
        client.post(f"/encounters/{encounter.uuid}/entered-in-error", {"reason": "x"}),
    ]
    for response in refused:
        assert problem(response, 403)["title"] == "Forbidden"
    assert Encounter.objects.count() == 1
    assert not EncounterAddendum.objects.exists()
    encounter.refresh_from_db()
    assert encounter.status == "signed"


# --- Diagnoses --------------------------------------------------------------------------------


def test_adds_diagnosis_linked_to_an_encounter(prescriber: Membership, patient: Patient) -> None:
    encounter = draft(prescriber, patient)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/diagnoses",
        {
            "code": "f331",
            "onset_on": "2025-11-01",
            "note": " Second episode ",
            "encounter": str(encounter.uuid),
        },
    )
    assert response.status_code == 201
    diagnosis = Diagnosis.objects.get()
    body = response.json()
    assert body.pop("recorded_at") and body.pop("updated_at")
    assert body == {
        "uuid": str(diagnosis.uuid),
        "patient": str(patient.uuid),
        "encounter": str(encounter.uuid),
        "code": "F33.1",
        "description": "Major depressive disorder, recurrent, moderate",
        "status": "active",
        "onset_on": "2025-11-01",
        "note": "Second episode",
        "entered_in_error_reason": "",
        "recorded_by": person(prescriber),
    }
    [event] = events_since(mark)
    assert (event.action, event.patient, event.detail) == (
        "diagnosis.create",
        patient,
        {"code": "F33.1"},
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"code": "ZZZ.1"},
            {"field": "code", "message": "'ZZZ.1' is not an ICD-10-CM code (April 2026 code set)."},
        ),
        (
            {"code": "F32"},
            {
                "field": "code",
                "message": "F32 (Depressive episode) is a category, not a billable code; "
                "choose a more specific code.",
            },
        ),
        (
            {"code": ""},
            {"field": "code", "message": "'' is not an ICD-10-CM code (April 2026 code set)."},
        ),
        (
            {"status": "entered-in-error"},
            {
                "field": "status",
                "message": "Input should be 'active', 'recurrence', 'relapse', 'remission' or "
                "'resolved'",
            },
        ),
        (
            {"onset_on": "1950-01-01"},
            {"field": "onset_on", "message": "Onset cannot be before the date of birth."},
        ),
        (
            {"onset_on": "2999-01-01"},
            {"field": "onset_on", "message": "Onset cannot be in the future."},
        ),
        (
            {"encounter": "00000000-0000-0000-0000-000000000000"},
            {"field": "encounter", "message": "No such encounter."},
        ),
        ({"description": "Sad"}, {"field": "description", "message": "Unknown field."}),
    ],
)
def test_diagnosis_refused_naming_the_field(
    prescriber: Membership, patient: Patient, change: dict[str, str], error: dict[str, str]
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/patients/{patient.uuid}/diagnoses", {"code": "F33.1", **change})
    assert problem(response, 422)["errors"] == [error]
    assert not Diagnosis.objects.exists()
    assert "diagnosis.create" not in actions_since(mark)


def test_diagnosis_refuses_an_encounter_of_another_patient(
    prescriber: Membership, patient: Patient
) -> None:
    other = patient_services.register_patient(
        prescriber,
        mrn="MRN-0002",
        given_name="Blake",
        family_name="Chen",
        date_of_birth=dt.date(1979, 6, 1),
        sex_at_birth="M",
    )
    encounter = draft(prescriber, other)
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/diagnoses", {"code": "F33.1", "encounter": str(encounter.uuid)}
    )
    assert problem(response, 422)["errors"] == [
        {"field": "encounter", "message": "This encounter belongs to another patient."}
    ]
    assert not Diagnosis.objects.exists()


def test_lists_problem_list_by_code_and_audits_the_read(
    prescriber: Membership, patient: Patient
) -> None:
    anxiety = services.add_diagnosis(prescriber, patient, code="F41.1")
    depression = services.add_diagnosis(prescriber, patient, code="F33.1")
    withdrawn = services.add_diagnosis(prescriber, patient, code="F31.81")
    services.mark_diagnosis_entered_in_error(prescriber, withdrawn, reason="Wrong code")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.get(f"/patients/{patient.uuid}/diagnoses")
    assert response.status_code == 200
    assert [(item["uuid"], item["code"]) for item in response.json()] == [
        (str(depression.uuid), "F33.1"),
        (str(anxiety.uuid), "F41.1"),
    ]
    events = events_since(mark)
    assert [event.action for event in events] == ["chart.read", "diagnosis.list"]
    assert events[1].detail == {"count": 2}
    everything = client.get(f"/patients/{patient.uuid}/diagnoses", include_entered_in_error=True)
    assert [item["code"] for item in everything.json()] == ["F31.81", "F33.1", "F41.1"]


def test_reads_diagnosis(nurse: Membership, prescriber: Membership, patient: Patient) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F41.1", note="Worse in winter")
    client = api_as(nurse)
    mark = audit_mark()
    response = client.get(f"/diagnoses/{diagnosis.uuid}")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["description"], body["note"], body["encounter"]) == (
        "F41.1",
        "Generalized anxiety disorder",
        "Worse in winter",
        None,
    )
    [event] = events_since(mark)
    assert (event.action, event.target_id) == ("diagnosis.read", str(diagnosis.uuid))


def test_changes_diagnosis_status(prescriber: Membership, patient: Patient) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F33.1")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.patch(f"/diagnoses/{diagnosis.uuid}", {"status": "remission"})
    assert response.status_code == 200
    assert response.json()["status"] == "remission"
    diagnosis.refresh_from_db()
    assert diagnosis.status == "remission"
    [event] = events_since(mark)
    assert (event.action, event.detail) == (
        "diagnosis.update",
        {"status": {"from": "active", "to": "remission"}},
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "F41.1"}, "code"),
        ({"status": "entered-in-error"}, "status"),
        ({"status": "better"}, "status"),
        ({"onset_on": "2999-01-01"}, "onset_on"),
        ({"note": None}, "note"),
    ],
)
def test_diagnosis_change_refused(
    prescriber: Membership, patient: Patient, change: dict[str, str], field: str
) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F33.1")
    client = api_as(prescriber)
    mark = audit_mark()
    assert fields_in_error(client.patch(f"/diagnoses/{diagnosis.uuid}", change)) == [field]
    diagnosis.refresh_from_db()
    assert (diagnosis.code, diagnosis.status, diagnosis.onset_on) == ("F33.1", "active", None)
    assert actions_since(mark) == []


def test_marks_diagnosis_entered_in_error(prescriber: Membership, patient: Patient) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F33.1")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/diagnoses/{diagnosis.uuid}/entered-in-error", {"reason": "Typo"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Typo",
    )
    assert actions_since(mark) == ["diagnosis.entered-in-error"]
    refused = client.patch(f"/diagnoses/{diagnosis.uuid}", {"status": "active"})
    assert problem(refused, 422)["errors"] == [
        {"field": "status", "message": "This diagnosis was entered in error and cannot change."}
    ]


@pytest.mark.parametrize("persona", NON_CLINICAL)
def test_diagnoses_are_404_for_non_clinical_roles_and_outsiders(
    request: pytest.FixtureRequest, persona: str, prescriber: Membership, patient: Patient
) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F33.1")
    client = api_as(request.getfixturevalue(persona))
    responses = [
        client.get(f"/patients/{patient.uuid}/diagnoses"),
        client.post(f"/patients/{patient.uuid}/diagnoses", {"code": "F41.1"}),
        client.get(f"/diagnoses/{diagnosis.uuid}"),
        client.patch(f"/diagnoses/{diagnosis.uuid}", {"status": "resolved"}),
        client.post(f"/diagnoses/{diagnosis.uuid}/entered-in-error", {"reason": "x"}),
    ]
    for response in responses:
        problem(response, 404)
    assert list(Diagnosis.objects.values_list("code", "status")) == [("F33.1", "active")]


def test_colleague_reads_diagnoses_but_may_not_write(
    colleague: Membership, prescriber: Membership, patient: Patient
) -> None:
    diagnosis = services.add_diagnosis(prescriber, patient, code="F33.1")
    client = api_as(colleague)
    assert client.get(f"/patients/{patient.uuid}/diagnoses").status_code == 200
    assert client.get(f"/diagnoses/{diagnosis.uuid}").status_code == 200
    refused = [
        client.post(f"/patients/{patient.uuid}/diagnoses", {"code": "F41.1"}),
        client.patch(f"/diagnoses/{diagnosis.uuid}", {"status": "resolved"}),
        client.post(f"/diagnoses/{diagnosis.uuid}/entered-in-error", {"reason": "x"}),
    ]
    for response in refused:
        problem(response, 403)
    assert list(Diagnosis.objects.values_list("code", "status")) == [("F33.1", "active")]


# --- ICD-10-CM --------------------------------------------------------------------------------


def test_searches_icd10cm_by_code_prefix(nurse: Membership) -> None:
    response = api_as(nurse).get("/icd10cm", q="f33.4")
    assert response.json() == [
        {
            "code": "F33.4",
            "description": "Major depressive disorder, recurrent, in remission",
            "is_billable": False,
        },
        {
            "code": "F33.40",
            "description": "Major depressive disorder, recurrent, in remission, unspecified",
            "is_billable": True,
        },
        {
            "code": "F33.41",
            "description": "Major depressive disorder, recurrent, in partial remission",
            "is_billable": True,
        },
        {
            "code": "F33.42",
            "description": "Major depressive disorder, recurrent, in full remission",
            "is_billable": True,
        },
    ]


def test_searches_icd10cm_by_words_billable_only(prescriber: Membership) -> None:
    response = api_as(prescriber).get("/icd10cm", q="ptsd", billable_only="true", limit=2)
    assert [item["code"] for item in response.json()] == ["F43.10", "F43.11"]


def test_icd10cm_needs_two_characters(prescriber: Membership) -> None:
    assert api_as(prescriber).get("/icd10cm", q="F").json() == []


@pytest.mark.parametrize("query", ["x" * 101, "F33\x00"])
def test_icd10cm_refuses_overlong_or_nul_query(prescriber: Membership, query: str) -> None:
    assert fields_in_error(api_as(prescriber).get("/icd10cm", q=query)) == ["q"]


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_icd10cm_is_404_for_non_clinical_roles(
    request: pytest.FixtureRequest, persona: str
) -> None:
    client = api_as(request.getfixturevalue(persona))
    problem(client.get("/icd10cm", q="F33"), 404)
