"""Clinicians' weekly hours and time off: edited by the clinician or a clinic admin only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.patients.models import Patient
from dosewise.scheduling import services
from dosewise.scheduling.models import Availability, TimeOff
from dosewise.scheduling.tests.conftest import at


def add(actor: Membership, clinician: Membership, **fields: object) -> Availability:
    values: dict[str, object] = {"weekday": 0, "start_time": dt.time(9), "end_time": dt.time(12)}
    values.update(fields)
    return services.add_availability(actor, clinician.user, **values)  # type: ignore[arg-type]


def test_clinician_and_admin_edit_hours(prescriber: Membership, clinic_admin: Membership) -> None:
    own = add(prescriber, prescriber)
    by_admin = add(clinic_admin, prescriber, weekday=1)
    assert (own.created_by, by_admin.created_by) == (prescriber.user, clinic_admin.user)
    assert AuditEvent.objects.filter(action="availability.add").count() == 2
    services.remove_availability(clinic_admin, own)
    assert list(Availability.objects.values_list("weekday", flat=True)) == [1]
    removed = AuditEvent.objects.get(action="availability.remove")
    assert removed.detail == {
        "clinician": str(prescriber.user.uuid),
        "weekday": 0,
        "start": "09:00",
        "end": "12:00",
    }


@pytest.mark.parametrize("who", ["nurse", "colleague", "front_desk"])
def test_others_may_not_edit_a_clinicians_hours(request, who: str, prescriber: Membership) -> None:  # type: ignore[no-untyped-def]
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        add(actor, prescriber)
    row = add(prescriber, prescriber)
    with pytest.raises(PermissionDenied):
        services.remove_availability(actor, row)
    with pytest.raises(PermissionDenied):
        services.add_time_off(actor, prescriber.user, starts_at=at(9), ends_at=at(17))
    assert not TimeOff.objects.exists()
    # The refusal is audited (it is checked before the transaction opens).
    assert AuditEvent.objects.filter(action="access.denied", actor=actor.user).count() == 3


def test_front_desk_and_admins_have_no_hours(
    front_desk: Membership, clinic_admin: Membership
) -> None:
    with pytest.raises(ValidationError) as caught:
        add(clinic_admin, front_desk)
    assert "clinician" in caught.value.message_dict


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekday": 7}, "weekday"),
        ({"start_time": dt.time(9, 2)}, "start_time"),
        ({"end_time": "noon"}, "end_time"),
        ({"end_time": dt.time(9)}, "end_time"),
        ({"end_time": dt.time(8)}, "end_time"),
    ],
)
def test_bad_hours_name_the_field(
    prescriber: Membership, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add(prescriber, prescriber, **fields)
    assert field in caught.value.message_dict
    assert not Availability.objects.exists()


def test_time_off_with_bad_times_names_the_field(prescriber: Membership) -> None:
    with pytest.raises(ValidationError) as caught:
        services.add_time_off(prescriber, prescriber.user, starts_at=at(12), ends_at=at(9))
    assert "ends_at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        naive = dt.datetime(2030, 1, 1)  # noqa: DTZ001 - naive on purpose
        services.add_time_off(prescriber, prescriber.user, starts_at=naive, ends_at=at(9))
    assert "starts_at" in caught.value.message_dict


def test_time_off_over_booked_visits_is_refused(
    front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:
    services.add_availability(
        prescriber, prescriber.user, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=at(11, 45),
        duration_minutes=30,
    )
    with pytest.raises(ValidationError) as caught:
        services.add_time_off(prescriber, prescriber.user, starts_at=at(12), ends_at=at(17))
    assert "1 active appointment" in caught.value.message_dict["starts_at"][0]
    off = services.add_time_off(
        prescriber, prescriber.user, starts_at=at(12, 15), ends_at=at(17), reason="Dentist"
    )
    services.remove_time_off(prescriber, off)
    assert not TimeOff.objects.exists()
    assert AuditEvent.objects.filter(action__in=["time-off.add", "time-off.remove"]).count() == 2
