"""The scheduling JSON API: per persona, and every refusal a problem naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.patients.models import Patient
from dosewise.scheduling import services
from dosewise.scheduling.models import Appointment
from dosewise.scheduling.tests.conftest import MONDAY, at
from dosewise.tests.api_support import actions_since, api_as, audit_mark, fields_in_error, problem

pytestmark = pytest.mark.usefixtures("hours")


def body(prescriber: Membership, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "clinician": str(prescriber.user.uuid),
        "kind": "follow-up",
        "mode": "in-person",
        "starts_at": at(10).isoformat(),
        "duration_minutes": 30,
    }
    values.update(fields)
    return values


@pytest.mark.parametrize("who", ["front_desk", "nurse", "prescriber", "colleague", "clinic_admin"])
def test_clinic_roles_book_and_read(
    request, who: str, patient: Patient, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    api = api_as(request.getfixturevalue(who))
    created = api.post(f"/patients/{patient.uuid}/appointments", body(prescriber))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["patient"] == {"uuid": str(patient.uuid), "name": "Alex Rivera", "mrn": "MRN-0001"}
    assert (data["status"], data["kind"], data["duration_minutes"]) == ("booked", "follow-up", 30)
    assert dt.datetime.fromisoformat(data["starts_at"]) == at(10)
    assert dt.datetime.fromisoformat(data["ends_at"]) == at(10, 30)
    assert data["clinician"]["uuid"] == str(prescriber.user.uuid)
    listed = api.get("/appointments", day=MONDAY.isoformat())
    assert [item["uuid"] for item in listed.json()] == [data["uuid"]]
    mine = api.get(f"/patients/{patient.uuid}/appointments")
    assert len(mine.json()) == 1
    assert api.get(f"/appointments/{data['uuid']}").status_code == 200


def test_appointments_carry_no_diagnosis_or_drug_fields(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    api = api_as(front_desk)
    data = api.post(f"/patients/{patient.uuid}/appointments", body(prescriber)).json()
    assert set(data) == {
        "uuid",
        "patient",
        "clinician",
        "kind",
        "mode",
        "video_url",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "status",
        "cancel_reason",
        "booked_by",
        "booked_at",
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"clinician": "00000000-0000-0000-0000-000000000000"}, "clinician"),
        ({"clinician": "not-a-uuid"}, "clinician"),
        ({"starts_at": "2030-01-07T10:00:00"}, "starts_at"),  # naive
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": at(10, 2).isoformat()}, "starts_at"),
        ({"starts_at": at(7).isoformat()}, "starts_at"),
        ({"duration_minutes": 7}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 480}, "duration_minutes"),
        ({"kind": "therapy"}, "kind"),
        ({"mode": "phone"}, "mode"),
        ({"mode": "telehealth"}, "video_url"),
        ({"mode": "telehealth", "video_url": "http://meet.example.invalid/x"}, "video_url"),
        (
            {"mode": "telehealth", "video_url": "https://meet.example.invalid/x"},
            "mode",
        ),  # no consent
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_bookings_are_problems_naming_the_field(
    front_desk: Membership,
    patient: Patient,
    prescriber: Membership,
    fields: dict[str, object],
    field: str,
) -> None:
    mark = audit_mark()
    response = api_as(front_desk).post(
        f"/patients/{patient.uuid}/appointments", body(prescriber, **fields)
    )
    assert field in fields_in_error(response)
    assert not Appointment.objects.exists()
    assert "appointment.book" not in actions_since(mark)


def test_past_start_is_refused(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    past = at(10, day=timezone.localdate() - dt.timedelta(days=7)).isoformat()
    response = api_as(front_desk).post(
        f"/patients/{patient.uuid}/appointments", body(prescriber, starts_at=past)
    )
    assert fields_in_error(response) == ["starts_at"]


def test_overlapping_booking_names_starts_at(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    api = api_as(front_desk)
    assert api.post(f"/patients/{patient.uuid}/appointments", body(prescriber)).status_code == 201
    again = api.post(
        f"/patients/{patient.uuid}/appointments", body(prescriber, starts_at=at(10, 15).isoformat())
    )
    assert fields_in_error(again) == ["starts_at"]
    assert Appointment.objects.count() == 1


def test_reschedule_status_and_cancel(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    api = api_as(front_desk)
    uuid = api.post(f"/patients/{patient.uuid}/appointments", body(prescriber)).json()["uuid"]
    moved = api.post(f"/appointments/{uuid}/reschedule", {"starts_at": at(14).isoformat()})
    assert dt.datetime.fromisoformat(moved.json()["starts_at"]) == at(14)
    assert fields_in_error(
        api.post(f"/appointments/{uuid}/reschedule", {"starts_at": at(12, 30).isoformat()})
    ) == ["starts_at"]
    assert fields_in_error(api.post(f"/appointments/{uuid}/status", {"status": "fulfilled"})) == [
        "status"
    ]
    assert fields_in_error(api.post(f"/appointments/{uuid}/status", {"status": "booked"})) == [
        "status"
    ]
    assert fields_in_error(api.post(f"/appointments/{uuid}/cancel", {"reason": ""})) == ["reason"]
    cancelled = api.post(f"/appointments/{uuid}/cancel", {"reason": "Patient moved away"})
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "Patient moved away",
    )


def test_another_organization_gets_404(
    outsider: Membership, front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    uuid = (
        api_as(front_desk)
        .post(f"/patients/{patient.uuid}/appointments", body(prescriber))
        .json()["uuid"]
    )
    api = api_as(outsider)
    problem(api.get(f"/appointments/{uuid}"), 404)
    problem(api.post(f"/appointments/{uuid}/cancel", {"reason": "x"}), 404)
    problem(api.post(f"/patients/{patient.uuid}/appointments", body(prescriber)), 404)
    problem(api.get(f"/patients/{patient.uuid}/appointments"), 404)
    problem(api.get(f"/clinicians/{prescriber.user.uuid}/availability"), 404)
    assert api.get("/appointments", day=MONDAY.isoformat()).json() == []
    assert Appointment.objects.get().status == "booked"


def test_clinicians_and_their_hours(front_desk: Membership, prescriber: Membership) -> None:
    services.add_time_off(
        prescriber, prescriber.user, starts_at=at(9), ends_at=at(12), reason="Training"
    )
    api = api_as(front_desk)
    names = {item["name"] for item in api.get("/clinicians").json()}
    assert names == {"Test Treating", "Test User"}  # the prescriber, the nurse and the colleague
    hours = api.get(f"/clinicians/{prescriber.user.uuid}/availability").json()
    assert hours["weekly_hours"][:2] == [
        {"weekday": 0, "start_time": "09:00:00", "end_time": "12:00:00"},
        {"weekday": 0, "start_time": "13:00:00", "end_time": "17:00:00"},
    ]
    assert [item["reason"] for item in hours["time_off"]] == ["Training"]
    problem(api.get("/clinicians/not-a-uuid/availability"), 404)
    assert fields_in_error(api.get("/appointments", clinician="nobody")) == ["clinician"]


def test_follow_ups_are_for_clinicians(
    prescriber: Membership, front_desk: Membership, clinic_admin: Membership, patient: Patient
) -> None:
    assert api_as(prescriber).get(f"/patients/{patient.uuid}/follow-ups").json() == []
    for member in (front_desk, clinic_admin):
        problem(api_as(member).get(f"/patients/{patient.uuid}/follow-ups"), 404)
