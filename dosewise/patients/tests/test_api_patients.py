"""The JSON API for patients: tokens, search, registration, demographics, allergies, care team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import ApiToken, Membership
from dosewise.accounts.services import create_api_token, revoke_api_token
from dosewise.audit.models import AuditEvent
from dosewise.patients import services
from dosewise.patients.models import Allergy, CareTeamMember, Patient
from dosewise.patients.schemas import PatientIn
from dosewise.tests.api_support import (
    PROBLEM,
    ApiClient,
    actions_since,
    api_as,
    audit_mark,
    events_since,
    fields_in_error,
    problem,
)

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "mrn": "MRN-0420",
    "given_name": "Jordan",
    "family_name": "Okafor",
    "date_of_birth": "1990-02-03",
    "sex_at_birth": "M",
}


def demographics(patient: Patient) -> dict[str, object]:
    """What PatientOut shows of `patient`, timestamps left out."""
    return {
        "uuid": str(patient.uuid),
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "gender_identity": patient.gender_identity,
        "pronouns": patient.pronouns,
        "phone": patient.phone,
        "email": patient.email,
        "address": patient.address,
        "emergency_contact_name": patient.emergency_contact_name,
        "emergency_contact_relationship": patient.emergency_contact_relationship,
        "emergency_contact_phone": patient.emergency_contact_phone,
        "preferred_pharmacy": patient.preferred_pharmacy,
        "pregnancy_status": patient.pregnancy_status,
        "lactation_status": patient.lactation_status,
        "height_cm": None if patient.height_cm is None else f"{patient.height_cm:.1f}",
        "weight_kg": None if patient.weight_kg is None else f"{patient.weight_kg:.1f}",
        "smoking_status": patient.smoking_status,
    }


def without_timestamps(body: dict[str, object]) -> dict[str, object]:
    assert isinstance(body.pop("created_at"), str)
    assert isinstance(body.pop("updated_at"), str)
    return body


# --- Tokens -----------------------------------------------------------------------------------


def test_request_without_token_is_401_problem(patient: Patient) -> None:
    mark = audit_mark()
    response = ApiClient(None).get("/patients")
    body = problem(response, 401)
    assert body == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Send an API token in the header 'Authorization: Bearer <token>'.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert actions_since(mark) == ["access.denied"]


def test_invalid_token_is_401_and_audited(patient: Patient) -> None:
    mark = audit_mark()
    response = ApiClient("dw_not-a-real-token").get("/patients")
    assert problem(response, 401)["detail"] == (
        "The API token is invalid, revoked, or its member is deactivated."
    )
    [event] = events_since(mark)
    assert (event.action, event.actor, event.organization, event.channel) == (
        "access.denied",
        None,
        None,
        "api",
    )
    assert event.detail == {"path": "/api/v1/patients", "why": "invalid token"}


def test_revoked_token_is_401(prescriber: Membership, patient: Patient) -> None:
    token, raw = create_api_token(prescriber, name="script")
    revoke_api_token(prescriber, token)
    mark = audit_mark()
    problem(ApiClient(raw).get(f"/patients/{patient.uuid}"), 401)
    assert actions_since(mark) == ["access.denied"]


def test_token_of_deactivated_member_is_401(prescriber: Membership, patient: Patient) -> None:
    _token, raw = create_api_token(prescriber, name="script")
    Membership.objects.filter(pk=prescriber.pk).update(is_active=False)
    problem(ApiClient(raw).get("/patients"), 401)


def test_token_use_is_recorded_at_most_once_a_minute(prescriber: Membership) -> None:
    token, raw = create_api_token(prescriber, name="script")
    client = ApiClient(raw)
    assert client.get("/patients").status_code == 200
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    assert client.get("/patients").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - dt.timedelta(minutes=2))
    assert client.get("/patients").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first_use


def test_token_requests_need_no_csrf_token(front_desk: Membership) -> None:
    _token, raw = create_api_token(front_desk, name="script")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    response = client.post("/api/v1/patients", NEW_PATIENT, "application/json")
    assert response.status_code == 201


def test_unknown_endpoint_is_404_problem(prescriber: Membership) -> None:
    body = problem(api_as(prescriber).get("/patient"), 404)
    assert body["detail"] == "No such endpoint."


# --- Patient list and search ------------------------------------------------------------------


def test_lists_the_patients_of_the_token_organization_only(
    prescriber: Membership, patient: Patient, other_organization: object
) -> None:
    other = make_patient(other_organization, "MRN-0001", given_name="Sam", family_name="Other")
    mark = audit_mark()
    response = api_as(prescriber).get("/patients")
    assert response.status_code == 200
    body = response.json()
    assert [item["uuid"] for item in body["items"]] == [str(patient.uuid)]
    assert str(other.uuid) not in response.content.decode()
    assert (body["count"], body["limit"], body["offset"]) == (1, 50, 0)
    assert without_timestamps(body["items"][0]) == demographics(patient)
    [event] = events_since(mark)[1:]  # after the token's own "api-token.create"
    assert (event.action, event.actor, event.organization, event.patient) == (
        "patient.list",
        prescriber.user,
        prescriber.organization,
        None,
    )
    assert event.detail == {"q": "", "count": 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rivera", ["MRN-0001", "MRN-0003"]),
        ("alex RIV", ["MRN-0001"]),
        ("Rivera, Sam", ["MRN-0003"]),
        ("mrn-0002", ["MRN-0002"]),
        ("1988-04-12", ["MRN-0002", "MRN-0001"]),
        ("04/12/1988", ["MRN-0002", "MRN-0001"]),
        ("nobody", []),
    ],
)
def test_searches_by_name_words_mrn_and_date_of_birth(
    front_desk: Membership, organization: object, query: str, expected: list[str]
) -> None:
    make_patient(organization, "MRN-0001")
    make_patient(organization, "MRN-0002", given_name="Blake", family_name="Chen")
    make_patient(organization, "MRN-0003", given_name="Sam", date_of_birth=dt.date(1970, 1, 1))
    response = api_as(front_desk).get("/patients", q=query)
    assert response.status_code == 200
    assert [item["mrn"] for item in response.json()["items"]] == expected


def test_pages_through_patients_with_limit_and_offset(
    front_desk: Membership, organization: object
) -> None:
    for number, family in enumerate(["Ames", "Baker", "Cruz", "Diaz", "Evans"]):
        make_patient(organization, f"MRN-{number}", family_name=family)
    body = api_as(front_desk).get("/patients", limit=2, offset=2).json()
    assert (body["count"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [item["family_name"] for item in body["items"]] == ["Cruz", "Diaz"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", 0),
        ("limit", 201),
        ("limit", "ten"),
        ("offset", -1),
        ("q", "x" * 101),
        ("q", "a\x00"),
    ],
)
def test_list_refuses_invalid_query_naming_the_parameter(
    front_desk: Membership, param: str, value: object
) -> None:
    response = api_as(front_desk).get("/patients", **{param: value})
    assert fields_in_error(response) == [param]


def test_list_query_count_does_not_grow_with_patients(
    front_desk: Membership, organization: object
) -> None:
    client = api_as(front_desk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/patients").status_code == 200
        return len(captured)

    make_patient(organization, "MRN-1")
    queries()  # the token's first use also records last_used_at
    few = queries()
    for number in range(2, 12):
        make_patient(organization, f"MRN-{number}")
    assert queries() == few


# --- Registration -----------------------------------------------------------------------------


def test_registration_input_takes_every_demographic_field() -> None:
    assert tuple(PatientIn.model_fields) == services.DEMOGRAPHIC_FIELDS


def test_prescriber_registers_patient_and_joins_care_team(prescriber: Membership) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        "/patients", {**NEW_PATIENT, "pronouns": " he/him ", "height_cm": "180.5", "weight_kg": 82}
    )
    assert response.status_code == 201
    patient = Patient.objects.get(mrn="MRN-0420")
    assert without_timestamps(response.json()) == {
        **demographics(patient),
        "pronouns": "he/him",
        "height_cm": "180.5",
        "weight_kg": "82.0",
        "pregnancy_status": "unknown",
    }
    assert (patient.organization, patient.date_of_birth) == (
        prescriber.organization,
        dt.date(1990, 2, 3),
    )
    assert actions_since(mark) == ["patient.create", "care-team.add"]
    assert list(CareTeamMember.objects.filter(patient=patient).values_list("user", flat=True)) == [
        prescriber.user_id
    ]


def test_front_desk_registers_patient_without_joining_care_team(front_desk: Membership) -> None:
    client = api_as(front_desk)
    mark = audit_mark()
    assert client.post("/patients", NEW_PATIENT).status_code == 201
    assert actions_since(mark) == ["patient.create"]
    assert not CareTeamMember.objects.exists()


def test_refuses_date_of_birth_in_the_future(front_desk: Membership) -> None:
    client = api_as(front_desk)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    mark = audit_mark()
    response = client.post("/patients", {**NEW_PATIENT, "date_of_birth": tomorrow.isoformat()})
    body = problem(response, 422)
    assert body["errors"] == [
        {"field": "date_of_birth", "message": "Date of birth cannot be in the future."}
    ]
    assert body["title"] == "Unprocessable Content"
    assert body["detail"] == "date_of_birth: Date of birth cannot be in the future."
    assert not Patient.objects.exists()
    assert actions_since(mark) == []


def test_refuses_duplicate_mrn(front_desk: Membership, patient: Patient) -> None:
    client = api_as(front_desk)
    mark = audit_mark()
    response = client.post("/patients", {**NEW_PATIENT, "mrn": "MRN-0001"})
    assert problem(response, 422)["errors"] == [
        {"field": "mrn", "message": "Another patient in this organization has this MRN."}
    ]
    assert Patient.objects.count() == 1
    assert actions_since(mark) == []


def test_refuses_unknown_field_naming_it(front_desk: Membership) -> None:
    response = api_as(front_desk).post("/patients", {**NEW_PATIENT, "favourite_colour": "teal"})
    assert problem(response, 422)["errors"] == [
        {"field": "favourite_colour", "message": "Unknown field."}
    ]
    assert not Patient.objects.exists()


def test_malformed_json_is_400_problem(front_desk: Membership) -> None:
    response = api_as(front_desk).send_raw("post", "/patients", b'{"mrn": "MRN-1",')
    body = problem(response, 400)
    assert body["title"] == "Bad Request"
    assert body["detail"].startswith("The request body is malformed JSON (")
    assert not Patient.objects.exists()


def test_body_that_is_not_an_object_is_422(front_desk: Membership) -> None:
    response = api_as(front_desk).send_raw("post", "/patients", b"[1, 2]")
    assert fields_in_error(response) == [None]


def test_missing_body_is_422(front_desk: Membership) -> None:
    response = api_as(front_desk).send_raw("post", "/patients", b"")
    assert problem(response, 422)["errors"] == [
        {"field": None, "message": "Send a JSON object as the request body."}
    ]


def test_names_each_missing_required_field(front_desk: Membership) -> None:
    response = api_as(front_desk).post("/patients", {"mrn": "MRN-1"})
    assert problem(response, 422)["errors"] == [
        {"field": "given_name", "message": "This field is required."},
        {"field": "family_name", "message": "This field is required."},
        {"field": "date_of_birth", "message": "This field is required."},
        {"field": "sex_at_birth", "message": "This field is required."},
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": 631152000}, "date_of_birth"),
        ({"date_of_birth": "1990-02-03T00:00"}, "date_of_birth"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"sex_at_birth": "male"}, "sex_at_birth"),
        ({"smoking_status": "sometimes"}, "smoking_status"),
        ({"height_cm": -170}, "height_cm"),
        ({"height_cm": "NaN"}, "height_cm"),
        ({"weight_kg": "68.25"}, "weight_kg"),
        ({"email": "not an address"}, "email"),
        ({"given_name": "x" * 101}, "given_name"),
        ({"given_name": "Jor\x00dan"}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"given_name": None}, "given_name"),
        ({"sex_at_birth": "M", "pregnancy_status": "pregnant"}, "pregnancy_status"),
    ],
)
def test_refuses_invalid_value_naming_the_field(
    front_desk: Membership, change: dict[str, object], field: str
) -> None:
    response = api_as(front_desk).post("/patients", {**NEW_PATIENT, **change})
    assert fields_in_error(response) == [field]
    assert not Patient.objects.exists()


# --- Reading one patient ----------------------------------------------------------------------


def test_clinician_reads_patient_with_allergies_in_record(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    allergy = services.record_allergy(
        prescriber, patient, substance="Penicillin", reaction="Hives", severity="moderate"
    )
    withdrawn = services.record_allergy(prescriber, patient, substance="Latex")
    services.mark_allergy_entered_in_error(prescriber, withdrawn, reason="Wrong patient")
    client = api_as(nurse)
    mark = audit_mark()
    response = client.get(f"/patients/{patient.uuid}")
    assert response.status_code == 200
    body = without_timestamps(response.json())
    [shown] = body.pop("allergies")
    assert body == demographics(patient)
    assert shown.pop("recorded_at")
    assert shown == {
        "uuid": str(allergy.uuid),
        "patient": str(patient.uuid),
        "substance": "Penicillin",
        "category": "medication",
        "type": "allergy",
        "reaction": "Hives",
        "severity": "moderate",
        "status": "active",
        "entered_in_error_reason": "",
        "recorded_by": {"uuid": str(prescriber.user.uuid), "name": "Test Treating"},
    }
    [event] = events_since(mark)
    assert (event.action, event.actor, event.patient, event.target_id) == (
        "chart.read",
        nurse.user,
        patient,
        str(patient.uuid),
    )


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_demographics_roles_read_patient_without_allergies(
    request: pytest.FixtureRequest, persona: str, prescriber: Membership, patient: Patient
) -> None:
    services.record_allergy(prescriber, patient, substance="Penicillin")
    member = request.getfixturevalue(persona)
    client = api_as(member)
    mark = audit_mark()
    response = client.get(f"/patients/{patient.uuid}")
    assert response.status_code == 200
    body = without_timestamps(response.json())
    assert body == {**demographics(patient), "allergies": None}
    assert actions_since(mark) == ["demographics.read"]


def test_colleague_reads_patient(colleague: Membership, patient: Patient) -> None:
    response = api_as(colleague).get(f"/patients/{patient.uuid}")
    assert response.status_code == 200
    assert response.json()["allergies"] == []


@pytest.mark.parametrize("patient_id", ["patient", "00000000-0000-0000-0000-000000000000", "x1"])
def test_unknown_or_foreign_patient_is_404(
    outsider: Membership, patient: Patient, patient_id: str
) -> None:
    client = api_as(outsider)
    ident = str(patient.uuid) if patient_id == "patient" else patient_id
    mark = audit_mark()
    body = problem(client.get(f"/patients/{ident}"), 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such record.",
    }
    [event] = events_since(mark)
    assert (event.action, event.actor, event.patient) == ("access.denied", outsider.user, None)
    assert event.detail == {"what": "patient", "id": ident}


# --- Changing demographics --------------------------------------------------------------------


def test_front_desk_changes_demographics(front_desk: Membership, patient: Patient) -> None:
    client = api_as(front_desk)
    mark = audit_mark()
    response = client.patch(
        f"/patients/{patient.uuid}", {"phone": "555-0100", "weight_kg": 61.5, "mrn": "MRN-0001"}
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.phone, patient.weight_kg) == ("555-0100", Decimal("61.5"))
    assert without_timestamps(response.json()) == demographics(patient)
    [event] = events_since(mark)
    assert (event.action, event.actor, event.detail) == (
        "patient.update",
        front_desk.user,
        {"fields": ["phone", "weight_kg"]},
    )


def test_change_refuses_future_date_of_birth_and_keeps_the_old_one(
    front_desk: Membership, patient: Patient
) -> None:
    client = api_as(front_desk)
    mark = audit_mark()
    response = client.patch(f"/patients/{patient.uuid}", {"date_of_birth": "2999-01-01"})
    assert fields_in_error(response) == ["date_of_birth"]
    patient.refresh_from_db()
    assert patient.date_of_birth == dt.date(1988, 4, 12)
    assert actions_since(mark) == []


def test_change_refuses_unknown_field(front_desk: Membership, patient: Patient) -> None:
    response = api_as(front_desk).patch(f"/patients/{patient.uuid}", {"organization": 2})
    assert fields_in_error(response) == ["organization"]


@pytest.mark.parametrize("field", ["family_name", "address", "date_of_birth", "smoking_status"])
def test_change_refuses_null_where_the_record_holds_no_null(
    front_desk: Membership, patient: Patient, field: str
) -> None:
    before = demographics(patient)
    response = api_as(front_desk).patch(f"/patients/{patient.uuid}", {field: None})
    assert fields_in_error(response) == [field]
    patient.refresh_from_db()
    assert demographics(patient) == before


def test_change_clears_a_measurement_with_null(front_desk: Membership, patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(height_cm=Decimal("170.0"))
    response = api_as(front_desk).patch(f"/patients/{patient.uuid}", {"height_cm": None})
    assert response.status_code == 200
    assert response.json()["height_cm"] is None
    patient.refresh_from_db()
    assert patient.height_cm is None


def test_outsider_cannot_change_demographics(outsider: Membership, patient: Patient) -> None:
    response = api_as(outsider).patch(f"/patients/{patient.uuid}", {"phone": "555-0199"})
    problem(response, 404)
    patient.refresh_from_db()
    assert patient.phone == ""


# --- Allergies --------------------------------------------------------------------------------


def test_lists_allergies_and_audits_the_read(prescriber: Membership, patient: Patient) -> None:
    penicillin = services.record_allergy(prescriber, patient, substance="Penicillin")
    lamotrigine = services.record_allergy(
        prescriber, patient, substance="Lamotrigine", reaction="Rash", severity="severe"
    )
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.get(f"/patients/{patient.uuid}/allergies")
    assert response.status_code == 200
    assert [item["uuid"] for item in response.json()] == [
        str(lamotrigine.uuid),
        str(penicillin.uuid),
    ]
    events = events_since(mark)
    assert [event.action for event in events] == ["chart.read", "allergy.list"]
    assert (events[1].patient, events[1].detail) == (patient, {"count": 2})


def test_nurse_records_allergy(nurse: Membership, patient: Patient) -> None:
    client = api_as(nurse)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/allergies",
        {"substance": "Sulfonamides", "type": "intolerance", "reaction": "Nausea"},
    )
    assert response.status_code == 201
    allergy = Allergy.objects.get()
    body = response.json()
    assert body.pop("recorded_at")
    assert body == {
        "uuid": str(allergy.uuid),
        "patient": str(patient.uuid),
        "substance": "Sulfonamides",
        "category": "medication",
        "type": "intolerance",
        "reaction": "Nausea",
        "severity": "",
        "status": "active",
        "entered_in_error_reason": "",
        "recorded_by": {"uuid": str(nurse.user.uuid), "name": "Test User"},
    }
    assert actions_since(mark) == ["allergy.create"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"substance": ""}, "substance"),
        ({"substance": "Penicillin", "severity": "deadly"}, "severity"),
        ({"substance": "Penicillin", "category": "drug"}, "category"),
        ({"substance": "Penicillin", "status": "active"}, "status"),
    ],
)
def test_allergy_refuses_invalid_input_naming_the_field(
    nurse: Membership, patient: Patient, body: dict[str, str], field: str
) -> None:
    response = api_as(nurse).post(f"/patients/{patient.uuid}/allergies", body)
    assert fields_in_error(response) == [field]
    assert not Allergy.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_allergies_are_404_for_non_clinical_roles_and_outsiders(
    request: pytest.FixtureRequest, persona: str, prescriber: Membership, patient: Patient
) -> None:
    allergy = services.record_allergy(prescriber, patient, substance="Penicillin")
    client = api_as(request.getfixturevalue(persona))
    problem(client.get(f"/patients/{patient.uuid}/allergies"), 404)
    problem(client.post(f"/patients/{patient.uuid}/allergies", {"substance": "Latex"}), 404)
    problem(client.post(f"/allergies/{allergy.uuid}/entered-in-error", {"reason": "x"}), 404)
    assert list(Allergy.objects.values_list("substance", "status")) == [("Penicillin", "active")]


def test_colleague_reads_allergies_but_may_not_record_them(
    colleague: Membership, patient: Patient
) -> None:
    client = api_as(colleague)
    assert client.get(f"/patients/{patient.uuid}/allergies").status_code == 200
    mark = audit_mark()
    response = client.post(f"/patients/{patient.uuid}/allergies", {"substance": "Latex"})
    body = problem(response, 403)
    assert body["title"] == "Forbidden"
    assert body["detail"] == (
        "You are not on this patient's care team. Join the care team (with a reason) before "
        "writing to the chart."
    )
    assert not Allergy.objects.exists()
    [event] = events_since(mark)
    assert (event.action, event.actor, event.patient) == ("access.denied", colleague.user, patient)
    assert event.detail["why"] == "not on care team"


def test_marks_allergy_entered_in_error(prescriber: Membership, patient: Patient) -> None:
    allergy = services.record_allergy(prescriber, patient, substance="Latex")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/allergies/{allergy.uuid}/entered-in-error", {"reason": "Recorded on the wrong chart"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Recorded on the wrong chart",
    )
    assert actions_since(mark) == ["allergy.entered-in-error"]
    assert client.get(f"/patients/{patient.uuid}/allergies").json() == []
    listed = client.get(f"/patients/{patient.uuid}/allergies", include_entered_in_error="true")
    assert [item["uuid"] for item in listed.json()] == [str(allergy.uuid)]


def test_entered_in_error_needs_a_reason(prescriber: Membership, patient: Patient) -> None:
    allergy = services.record_allergy(prescriber, patient, substance="Latex")
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(f"/allergies/{allergy.uuid}/entered-in-error", {"reason": "  "})
    assert problem(response, 422)["errors"] == [
        {"field": "reason", "message": "Say why this allergy was entered in error."}
    ]
    allergy.refresh_from_db()
    assert allergy.status == "active"
    assert actions_since(mark) == []


# --- Care team --------------------------------------------------------------------------------


def test_colleague_joins_care_team_then_records_allergy(
    colleague: Membership, patient: Patient
) -> None:
    client = api_as(colleague)
    mark = audit_mark()
    response = client.post(f"/patients/{patient.uuid}/care-team", {"reason": "Covering clinic"})
    assert response.status_code == 201
    body = response.json()
    assert body.pop("added_at")
    assert body == {
        "user": {"uuid": str(colleague.user.uuid), "name": "Test User"},
        "reason": "Covering clinic",
    }
    assert actions_since(mark) == ["chart.read", "care-team.add"]
    response = client.post(f"/patients/{patient.uuid}/allergies", {"substance": "Latex"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say why you are joining this patient's care team."),
        ("Again", "You are already on this patient's care team."),
    ],
)
def test_joining_care_team_refused(
    prescriber: Membership, patient: Patient, reason: str, message: str
) -> None:
    response = api_as(prescriber).post(f"/patients/{patient.uuid}/care-team", {"reason": reason})
    assert problem(response, 422)["errors"] == [{"field": "reason", "message": message}]
    assert CareTeamMember.objects.filter(patient=patient).count() == 2


def test_care_team_reason_longer_than_the_column_is_refused(
    colleague: Membership, patient: Patient
) -> None:
    response = api_as(colleague).post(f"/patients/{patient.uuid}/care-team", {"reason": "x" * 301})
    assert fields_in_error(response) == ["reason"]


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_non_clinicians_and_outsiders_cannot_join_care_team(
    request: pytest.FixtureRequest, persona: str, patient: Patient
) -> None:
    client = api_as(request.getfixturevalue(persona))
    problem(client.post(f"/patients/{patient.uuid}/care-team", {"reason": "Curious"}), 404)
    assert CareTeamMember.objects.filter(patient=patient).count() == 2


def test_problem_responses_are_never_plain_json(front_desk: Membership) -> None:
    response = api_as(front_desk).post("/patients", {"mrn": ""})
    assert response["Content-Type"] == PROBLEM
    assert AuditEvent.objects.filter(action="patient.create").count() == 0


def test_wrong_method_is_405_problem(front_desk: Membership, patient: Patient) -> None:
    response = api_as(front_desk).client.delete(f"/api/v1/patients/{patient.uuid}")
    body = problem(response, 405)
    assert body["detail"] == "DELETE is not allowed here; use GET, PATCH."
    assert response["Allow"] == "GET, PATCH"
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_api_root_is_404_problem() -> None:
    body = problem(Client().get("/api/v1/"), 404)
    assert body["detail"] == "No such endpoint."
