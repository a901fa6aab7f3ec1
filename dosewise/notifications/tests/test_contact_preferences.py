"""Contact preferences and reminder consent: recorded by front desk, nurses and prescribers of
the organization (web and API), validated, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dosewise.notifications import services
from dosewise.notifications.models import ContactPreference
from dosewise.tests.api_support import actions_since, api_as, audit_mark, fields_in_error, problem

pytestmark = pytest.mark.django_db

VALID = {
    "reminders_consent": True,
    "email_allowed": True,
    "sms_allowed": False,
    "preferred_channel": "email",
    "quiet_hours_start": None,
    "quiet_hours_end": None,
}


def test_first_answer_records_who_and_when(front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    mark = audit_mark()
    preference = services.set_contact_preference(front_desk, patient, **VALID)

    assert preference.reminders_consent is True
    assert preference.consent_recorded_by == front_desk.user
    assert preference.consent_recorded_at is not None
    assert preference.organization == patient.organization
    assert actions_since(mark) == ["contact-preference.create"]


def test_changing_the_answer_records_the_new_recorder(front_desk, nurse, patient) -> None:  # type: ignore[no-untyped-def]
    first = services.set_contact_preference(front_desk, patient, **VALID)
    mark = audit_mark()

    second = services.set_contact_preference(
        nurse, patient, **{**VALID, "reminders_consent": False}
    )

    assert second.consent_recorded_by == nurse.user
    assert second.consent_recorded_at >= first.consent_recorded_at
    assert actions_since(mark) == ["contact-preference.update"]
    assert ContactPreference.objects.count() == 1


def test_changing_channels_keeps_the_consent_record(front_desk, nurse, patient) -> None:  # type: ignore[no-untyped-def]
    first = services.set_contact_preference(front_desk, patient, **VALID)
    second = services.set_contact_preference(
        nurse, patient, **{**VALID, "sms_allowed": True, "preferred_channel": "sms"}
    )
    assert (second.consent_recorded_by, second.consent_recorded_at) == (
        front_desk.user,
        first.consent_recorded_at,
    )
    assert second.updated_by == nurse.user


def test_saving_the_same_answers_writes_nothing(front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    services.set_contact_preference(front_desk, patient, **VALID)
    mark = audit_mark()
    services.set_contact_preference(front_desk, patient, **VALID)
    assert actions_since(mark) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"email_allowed": False},
            "reminders_consent",
            "Allow email or text messages: a patient who agrees to reminders needs a channel.",
        ),
        (
            {"preferred_channel": "sms"},
            "preferred_channel",
            "Text message (SMS) is not allowed for this patient; allow it or prefer the other "
            "channel.",
        ),
        ({"preferred_channel": "fax"}, "preferred_channel", "Choose one of email, sms."),
        (
            {"quiet_hours_start": dt.time(21)},
            "quiet_hours_end",
            "Give both the start and the end of the quiet hours, or neither.",
        ),
        (
            {"quiet_hours_start": dt.time(21), "quiet_hours_end": dt.time(21)},
            "quiet_hours_end",
            "Quiet hours must end at another time than they start.",
        ),
        ({"sms_allowed": "yes"}, "sms_allowed", "Give true or false."),
    ],
)
def test_refuses_inconsistent_preferences_and_writes_nothing(
    front_desk, patient, changes, field, message
) -> None:  # type: ignore[no-untyped-def]
    mark = audit_mark()
    with pytest.raises(ValidationError) as refused:
        services.set_contact_preference(front_desk, patient, **{**VALID, **changes})
    assert refused.value.message_dict == {field: [message]}
    assert not ContactPreference.objects.exists()
    assert actions_since(mark) == []


def test_declining_needs_no_channel(front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    preference = services.set_contact_preference(
        front_desk, patient, **{**VALID, "reminders_consent": False, "email_allowed": False}
    )
    assert preference.reminders_consent is False
    assert preference.consent_recorded_at is not None


def test_clinic_admin_may_not_record_preferences(clinic_admin, patient) -> None:  # type: ignore[no-untyped-def]
    mark = audit_mark()
    with pytest.raises(PermissionDenied):
        services.set_contact_preference(clinic_admin, patient, **VALID)
    assert actions_since(mark) == ["access.denied"]
    assert not ContactPreference.objects.exists()


# --- Web page ----------------------------------------------------------------------------------


def _url(patient) -> str:  # type: ignore[no-untyped-def]
    return reverse("notifications:contact-preferences", args=[patient.uuid])


FORM = {
    "reminders_consent": "yes",
    "email_allowed": "on",
    "preferred_channel": "email",
    "quiet_hours_start": "21:30",
    "quiet_hours_end": "07:30",
}


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "colleague"])
def test_page_records_preferences(request, client_for, patient, persona) -> None:  # type: ignore[no-untyped-def]
    member = request.getfixturevalue(persona)
    client = client_for(member)

    page = client.get(_url(patient))
    assert page.status_code == 200
    assert (
        "No answer recorded: no reminder is sent until the patient agrees." in page.content.decode()
    )

    response = client.post(_url(patient), FORM)
    assert response.status_code == 302
    preference = ContactPreference.objects.get(patient=patient)
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (
        dt.time(21, 30),
        dt.time(7, 30),
    )
    assert preference.consent_recorded_by == member.user
    page = client.get(_url(patient)).content.decode()
    assert "✓ Agrees to reminders" in page


def test_page_shows_the_services_refusal_beside_the_field(client_for, front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(front_desk).post(
        _url(patient), {**FORM, "email_allowed": "", "sms_allowed": "on"}
    )
    assert response.status_code == 400
    assert "Email is not allowed for this patient" in response.content.decode()
    assert not ContactPreference.objects.exists()


def test_page_refuses_a_malformed_time(client_for, front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(front_desk).post(_url(patient), {**FORM, "quiet_hours_start": "25:99"})
    assert response.status_code == 400
    assert "Give a time of day, HH:MM." in response.content.decode()


def test_page_is_not_for_clinic_admins_or_other_organizations(
    client_for, clinic_admin, outsider, patient
) -> None:  # type: ignore[no-untyped-def]
    assert client_for(clinic_admin).get(_url(patient)).status_code == 403
    assert client_for(outsider).get(_url(patient)).status_code == 404
    assert client_for(outsider).post(_url(patient), FORM).status_code == 404
    assert not ContactPreference.objects.exists()


def test_patient_pages_link_to_the_preferences(client_for, prescriber, front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    for member in (prescriber, front_desk):
        page = client_for(member).get(patient.get_absolute_url()).content.decode()
        assert _url(patient) in page


# --- API ---------------------------------------------------------------------------------------


def _path(patient) -> str:  # type: ignore[no-untyped-def]
    return f"/patients/{patient.uuid}/contact-preferences"


def test_api_reads_nothing_recorded_then_replaces(front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    api = api_as(front_desk)
    before = api.get(_path(patient))
    assert before.status_code == 200
    assert before.json()["recorded"] is False
    assert before.json()["reminders_consent"] is False

    body = {**VALID, "quiet_hours_start": "22:00", "quiet_hours_end": "07:00"}
    response = api.client.put(f"/api/v1{_path(patient)}", body, content_type="application/json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["recorded"] is True
    assert data["reminders_consent"] is True
    assert data["consent_recorded_by"]["uuid"] == str(front_desk.user.uuid)
    assert (data["quiet_hours_start"], data["quiet_hours_end"]) == ("22:00", "07:00")
    assert data["email_on_file"] is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**VALID, "fax_allowed": True}, ["fax_allowed"]),
        ({**VALID, "preferred_channel": "fax"}, ["preferred_channel"]),
        ({**VALID, "reminders_consent": "yes"}, ["reminders_consent"]),
        (
            {**VALID, "quiet_hours_start": "25:00", "quiet_hours_end": "07:00"},
            ["quiet_hours_start"],
        ),
        ({**VALID, "quiet_hours_start": 3600, "quiet_hours_end": "07:00"}, ["quiet_hours_start"]),
        ({k: v for k, v in VALID.items() if k != "sms_allowed"}, ["sms_allowed"]),
        ({**VALID, "email_allowed": False}, ["reminders_consent"]),  # the service's rule
        ({**VALID, "quiet_hours_start": "21:00"}, ["quiet_hours_end"]),
    ],
)
def test_api_refuses_bad_input_naming_the_field(front_desk, patient, body, fields) -> None:  # type: ignore[no-untyped-def]
    response = api_as(front_desk).client.put(
        f"/api/v1{_path(patient)}", body, content_type="application/json"
    )
    assert fields_in_error(response) == fields
    assert not ContactPreference.objects.exists()


def test_api_access_per_persona(prescriber, colleague, clinic_admin, outsider, patient) -> None:  # type: ignore[no-untyped-def]
    def put(member):  # type: ignore[no-untyped-def]
        return api_as(member).client.put(
            f"/api/v1{_path(patient)}", VALID, content_type="application/json"
        )

    assert put(prescriber).status_code == 200
    assert put(colleague).status_code == 200  # demographics-level: no care team needed
    problem(put(clinic_admin), 403)
    assert api_as(clinic_admin).get(_path(patient)).status_code == 200  # reads
    problem(put(outsider), 404)
    problem(api_as(outsider).get(_path(patient)), 404)
    problem(api_as(prescriber).get("/patients/not-a-uuid/contact-preferences"), 404)


def test_api_read_is_audited(front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    mark = audit_mark()
    api_as(front_desk).get(_path(patient))
    assert "contact-preference.read" in actions_since(mark)
