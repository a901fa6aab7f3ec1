"""Registering and editing patients: clear errors beside the field, nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.patients import services
from dosewise.patients.models import CareTeamMember, Patient

TODAY = dt.date(2026, 11, 27)
VALID = {
    "mrn": "MRN-0100",
    "given_name": "Robin",
    "family_name": "Okoye",
    "date_of_birth": dt.date(1990, 5, 1),
    "sex_at_birth": "M",
}


def test_front_desk_registers_a_patient_without_joining_the_care_team(
    front_desk: Membership,
) -> None:
    patient = services.register_patient(front_desk, today=TODAY, **VALID)
    assert patient.organization == front_desk.organization
    assert CareTeamMember.objects.count() == 0
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["patient.create"]


def test_clinician_who_registers_joins_the_care_team(prescriber: Membership) -> None:
    patient = services.register_patient(prescriber, today=TODAY, **VALID)
    assert list(patient.care_team.values_list("user", flat=True)) == [prescriber.user_id]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "patient.create",
        "care-team.add",
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"date_of_birth": dt.date(2026, 11, 28)},
            {"date_of_birth": ["Date of birth cannot be in the future."]},
        ),
        (
            {"date_of_birth": dt.date(1890, 1, 1)},
            {"date_of_birth": ["Date of birth is more than 130 years ago."]},
        ),
        ({"sex_at_birth": "X"}, {"sex_at_birth": ["Value 'X' is not a valid choice."]}),
        ({"given_name": ""}, {"given_name": ["This field cannot be blank."]}),
        ({"weight_kg": -3}, {"weight_kg": ["Ensure this value is greater than or equal to 0.5."]}),
        (
            {"pregnancy_status": "pregnant"},
            {
                "pregnancy_status": [
                    "Pregnancy is recorded as pregnant while sex assigned at birth is male; check both fields."
                ]
            },
        ),
    ],
)
def test_bad_registration_is_refused_naming_the_field(
    front_desk: Membership, changes: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as error:
        services.register_patient(front_desk, today=TODAY, **{**VALID, **changes})
    assert error.value.message_dict == errors
    assert Patient.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_duplicate_mrn_in_the_same_organization_is_refused(
    front_desk: Membership, outsider: Membership
) -> None:
    services.register_patient(front_desk, today=TODAY, **VALID)
    with pytest.raises(ValidationError) as error:
        services.register_patient(front_desk, today=TODAY, **{**VALID, "given_name": "Other"})
    assert error.value.message_dict == {
        "mrn": ["Another patient in this organization has this MRN."]
    }
    # Another organization may use the same MRN.
    services.register_patient(outsider, today=TODAY, **VALID)
    assert Patient.objects.count() == 2


def test_update_names_the_changed_fields_only(front_desk: Membership, patient: Patient) -> None:
    services.update_demographics(
        front_desk, patient, pronouns="they/them", family_name="Rivera", today=TODAY
    )
    patient.refresh_from_db()
    assert patient.pronouns == "they/them"
    assert AuditEvent.objects.get().detail == {"fields": ["pronouns"]}


def test_new_patient_form_shows_errors_beside_fields(client_for, front_desk: Membership) -> None:  # type: ignore[no-untyped-def]
    make_patient(front_desk.organization, "MRN-0100")
    client: Client = client_for(front_desk)
    response = client.post(
        reverse("patients:patient-new"),
        {
            **VALID,
            "date_of_birth": "2099-01-01",
            "pregnancy_status": "unknown",
            "lactation_status": "unknown",
            "smoking_status": "unknown",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "mrn": ["Another patient in this organization has this MRN."],
        "date_of_birth": ["Date of birth cannot be in the future."],
    }
    assert b"Date of birth cannot be in the future." in response.content
    assert Patient.objects.count() == 1


def test_new_patient_form_registers_and_opens_the_chart(client_for, prescriber: Membership) -> None:  # type: ignore[no-untyped-def]
    client: Client = client_for(prescriber)
    response = client.post(
        reverse("patients:patient-new"),
        {
            **VALID,
            "date_of_birth": "1990-05-01",
            "pregnancy_status": "not-applicable",
            "lactation_status": "not-applicable",
            "smoking_status": "never",
            "weight_kg": "72.5",
        },
    )
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == patient.get_absolute_url()
    assert str(patient.weight_kg) == "72.5"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rivera", ["MRN-0001"]),
        ("Alex Riv", ["MRN-0001"]),
        ("mrn-0002", ["MRN-0002"]),
        ("1988-04-12", ["MRN-0001"]),
        ("04/12/1988", ["MRN-0001"]),
        ("nobody", []),
    ],
)
def test_patient_search_by_name_mrn_or_birth_date(
    client_for, prescriber: Membership, patient: Patient, query: str, expected: list[str]
) -> None:  # type: ignore[no-untyped-def]
    make_patient(
        prescriber.organization,
        "MRN-0002",
        given_name="Sam",
        family_name="Lee",
        date_of_birth=dt.date(1970, 1, 2),
    )
    response = client_for(prescriber).get(
        reverse("patients:patient-list"), {"q": query}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    for mrn in ("MRN-0001", "MRN-0002"):
        assert (mrn.encode() in response.content) is (mrn in expected)
    assert b"<html" not in response.content  # HTMX gets the results fragment only
