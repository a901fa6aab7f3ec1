"""Scheduling pages per persona: calendar, booking, an appointment, a patient's appointments,
hours, follow-ups. Demographics-level for front desk and admins; other organization 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.services import OrderInput
from dosewise.scheduling import services
from dosewise.scheduling.models import Appointment, CalendarFeed
from dosewise.scheduling.tests.conftest import MONDAY, at

pytestmark = pytest.mark.usefixtures("hours")

CLINIC = ["prescriber", "nurse", "colleague", "front_desk", "clinic_admin"]


@pytest.fixture
def visit(front_desk: Membership, patient: Patient, prescriber: Membership) -> Appointment:
    return services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="medication-check",
        mode="in-person",
        starts_at=at(10),
        duration_minutes=30,
    )


def booking(prescriber: Membership, **fields: str) -> dict[str, str]:
    data = {
        "clinician": str(prescriber.user.uuid),
        "kind": "follow-up",
        "mode": "in-person",
        "day": MONDAY.isoformat(),
        "time": "14:00",
        "duration_minutes": "30",
        "video_url": "",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("who", CLINIC)
def test_calendar_day_and_week_for_every_clinic_role(
    request, client_for, who: str, visit: Appointment, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(request.getfixturevalue(who))
    day = client.get(reverse("scheduling:calendar"), {"day": MONDAY.isoformat()})
    assert day.status_code == 200
    text = day.content.decode()
    assert "Rivera, Alex · Medication check · In person · <strong>Booked</strong>" in text
    assert "slot-open" in text and "slot-busy" in text
    week = client.get(
        reverse("scheduling:calendar"),
        {"view": "week", "day": MONDAY.isoformat(), "clinician": str(prescriber.user.uuid)},
    )
    assert week.status_code == 200
    assert "Rivera, Alex" in week.content.decode()
    assert AuditEvent.objects.filter(action="calendar.read").count() == 2


def test_calendar_shows_time_off_and_nothing_of_another_organization(
    client_for, prescriber: Membership, outsider: Membership, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    services.add_time_off(
        prescriber, prescriber.user, starts_at=at(14), ends_at=at(17), reason="Training"
    )
    text = (
        client_for(prescriber)
        .get(
            reverse("scheduling:calendar"),
            {"day": MONDAY.isoformat(), "clinician": str(prescriber.user.uuid)},
        )
        .content.decode()
    )
    assert "slot-away" in text
    other = (
        client_for(outsider)
        .get(reverse("scheduling:calendar"), {"day": MONDAY.isoformat()})
        .content.decode()
    )
    assert "Rivera" not in other


def test_calendar_costs_a_fixed_number_of_queries(
    client_for, front_desk: Membership, prescriber: Membership, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(front_desk)
    url = reverse("scheduling:calendar")
    params = {"view": "week", "day": MONDAY.isoformat()}
    client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    for index in range(6):
        services.book_appointment(
            front_desk,
            make_patient(prescriber.organization, f"MRN-{index}"),
            clinician=prescriber.user,
            kind="follow-up",
            mode="in-person",
            starts_at=at(
                9 + index // 2, 30 * (index % 2), day=MONDAY + dt.timedelta(days=index % 3)
            ),
            duration_minutes=30,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url, params)
    assert len(few) == len(many)


def test_anonymous_is_sent_to_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("scheduling:calendar"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["front_desk", "nurse", "clinic_admin"])
def test_book_through_the_form(
    request, client_for, who: str, patient: Patient, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(request.getfixturevalue(who))
    url = reverse("scheduling:appointment-new", args=[patient.uuid])
    form = client.get(url, {"kind": "follow-up", "before": "2030-01-01"})
    assert form.status_code == 200
    assert "Follow-up due by 2030-01-01" in form.content.decode()
    response = client.post(url, booking(prescriber))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment-detail", args=[appointment.uuid])
    assert appointment.starts_at == at(14)


def test_book_form_shows_service_errors_beside_the_fields(
    client_for, front_desk: Membership, patient: Patient, prescriber: Membership, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scheduling:appointment-new", args=[patient.uuid])
    client = client_for(front_desk)
    overlap = client.post(url, booking(prescriber, time="10:15"))
    assert overlap.status_code == 400
    assert "already has an appointment at this time" in overlap.content.decode()
    video = client.post(url, booking(prescriber, mode="telehealth"))
    assert "A telehealth visit needs its video link." in video.content.decode()
    lunch = client.post(url, booking(prescriber, time="12:15"))
    assert "not available then" in lunch.content.decode()
    bad = client.post(url, booking(prescriber, clinician="not-a-clinician", day="soon"))
    assert bad.status_code == 400
    assert "Choose a clinician from the list." in bad.content.decode()
    assert Appointment.objects.count() == 1


def test_htmx_booking_redirects_with_a_header(
    client_for, front_desk: Membership, patient: Patient, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scheduling:appointment-new", args=[patient.uuid])
    response = client_for(front_desk).post(url, booking(prescriber), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/scheduling/appointments/")
    invalid = client_for(front_desk).post(
        url, booking(prescriber, time="07:00"), HTTP_HX_REQUEST="true"
    )
    # 200, not 400: htmx 2 swaps no 4xx response, so the errors would never show.
    assert invalid.status_code == 200
    assert invalid.content.decode().lstrip().startswith("<form")
    assert "not available then" in invalid.content.decode()


def test_booking_form_names_the_mode_radios_by_a_legend_and_ties_the_video_help(
    client_for, front_desk: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    """The Mode radios are a fieldset named "Mode" (no label pointing at nothing), and the video
    link's help text carries the id its input's aria-describedby names."""
    page = client_for(front_desk).get(reverse("scheduling:appointment-new", args=[patient.uuid]))
    html = page.content.decode()
    assert 'for=""' not in html
    assert '<legend>Mode <span class="req" aria-label="required">*</span></legend>' in html
    assert 'aria-describedby="id_video_url_helptext"' in html
    assert '<small class="help" id="id_video_url_helptext">' in html


def test_appointment_page_and_status_buttons(
    client_for, front_desk: Membership, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(front_desk)
    page = client.get(reverse("scheduling:appointment-detail", args=[visit.uuid]))
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        'value="arrived"' in text and 'value="noshow"' in text and "Cancel the appointment" in text
    )
    assert AuditEvent.objects.filter(action="appointment.read").count() == 1
    status_url = reverse("scheduling:appointment-status", args=[visit.uuid])
    refused = client.post(status_url, {"status": "cancelled", "reason": ""})
    assert refused.status_code == 400
    assert "Say why the appointment is cancelled." in refused.content.decode()
    done = client.post(status_url, {"status": "cancelled", "reason": "Clinic closed"})
    assert done.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == ("cancelled", "Clinic closed")


def test_reschedule_through_the_form(
    client_for, front_desk: Membership, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scheduling:appointment-reschedule", args=[visit.uuid])
    client = client_for(front_desk)
    bad = client.post(url, {"day": MONDAY.isoformat(), "time": "12:30", "duration_minutes": "30"})
    assert bad.status_code == 400
    assert "not available then" in bad.content.decode()
    good = client.post(url, {"day": MONDAY.isoformat(), "time": "15:00", "duration_minutes": "45"})
    assert good.status_code == 302
    visit.refresh_from_db()
    assert (visit.starts_at, visit.duration_minutes) == (at(15), 45)


def test_another_organization_gets_404_everywhere(
    client_for, outsider: Membership, patient: Patient, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(outsider)
    for url in (
        reverse("scheduling:appointment-detail", args=[visit.uuid]),
        reverse("scheduling:patient-appointments", args=[patient.uuid]),
        reverse("scheduling:appointment-new", args=[patient.uuid]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("scheduling:appointment-status", args=[visit.uuid]),
            {"status": "cancelled", "reason": "x"},
        ).status_code
        == 404
    )
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_front_desk_patient_page_never_shows_diagnoses_or_drugs(
    client_for, front_desk: Membership, prescriber: Membership, patient: Patient, visit: Appointment
) -> None:  # type: ignore[no-untyped-def]
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    client = client_for(front_desk)
    card = client.get(
        reverse("scheduling:patient-appointments", args=[patient.uuid]), HTTP_HX_REQUEST="true"
    )
    assert card.status_code == 200
    text = card.content.decode()
    assert text.lstrip().startswith('<section class="card" id="patient-appointments"')
    assert "Medication check" in text
    assert "Follow-ups due" not in text and "F33" not in text and "depress" not in text.lower()
    full = client.get(
        reverse("scheduling:patient-appointments", args=[patient.uuid])
    ).content.decode()
    assert "F33" not in full and "Follow-ups due" not in full
    # The patient page links to the appointments card.
    demographics = client.get(patient.get_absolute_url()).content.decode()
    assert reverse("scheduling:patient-appointments", args=[patient.uuid]) in demographics


def test_chart_card_shows_follow_ups_to_clinicians(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    encounter = clinical.start_encounter(
        prescriber,
        patient,
        kind="intake",
        mode="in-person",
        occurred_on=timezone.localdate(),
        plan="Start",
    )
    clinical.sign_encounter(prescriber, encounter)
    client = client_for(prescriber)
    chart = client.get(patient.get_absolute_url()).content.decode()
    assert reverse("scheduling:patient-appointments", args=[patient.uuid]) in chart
    card = client.get(
        reverse("scheduling:patient-appointments", args=[patient.uuid]), HTTP_HX_REQUEST="true"
    )
    assert "Follow-ups due" in card.content.decode()


def test_consent_and_patient_feed_from_the_patient_page(
    client_for, front_desk: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(front_desk)
    url = reverse("scheduling:telehealth-consent", args=[patient.uuid])
    bad = client.post(url, {"action": "record", "given_on": "yesterday"})
    assert bad.status_code == 400
    assert (
        client.post(
            url, {"action": "record", "given_on": timezone.localdate().isoformat()}
        ).status_code
        == 302
    )
    assert services.current_consent(patient) is not None
    created = client.post(reverse("scheduling:patient-feed-new", args=[patient.uuid]))
    text = created.content.decode()
    assert "/scheduling/feeds/cal_" in text
    feed = CalendarFeed.objects.get()
    revoke = client.post(reverse("scheduling:feed-revoke", args=[feed.uuid]))
    assert revoke.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert client.post(url, {"action": "withdraw"}).status_code == 302
    assert services.current_consent(patient) is None


def test_hours_page_editing_rights(
    client_for, prescriber: Membership, nurse: Membership, clinic_admin: Membership
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scheduling:hours", args=[prescriber.user.uuid])
    own = client_for(prescriber).get(url).content.decode()
    assert "Add hours" in own and "My calendar feed" in own
    other = client_for(nurse).get(url).content.decode()
    assert "Add hours" not in other and "My calendar feed" not in other
    assert (
        client_for(nurse)
        .post(
            url,
            {"action": "availability", "weekday": "5", "start_time": "09:00", "end_time": "12:00"},
        )
        .status_code
        == 403
    )
    admin = client_for(clinic_admin)
    bad = admin.post(
        url, {"action": "availability", "weekday": "5", "start_time": "12:00", "end_time": "09:00"}
    )
    assert bad.status_code == 400
    assert "The end is after the start." in bad.content.decode()
    assert (
        admin.post(
            url,
            {"action": "availability", "weekday": "5", "start_time": "09:00", "end_time": "12:00"},
        ).status_code
        == 302
    )
    off = admin.post(
        url,
        {
            "action": "time-off",
            "start_day": MONDAY.isoformat(),
            "start_time": "00:00",
            "end_day": MONDAY.isoformat(),
            "end_time": "23:55",
            "reason": "Leave",
        },
    )
    assert off.status_code == 302
    feed = client_for(prescriber).post(url, {"action": "feed"})
    assert "/scheduling/feeds/cal_" in feed.content.decode()
    assert client_for(nurse).post(url, {"action": "feed"}).status_code == 404
    assert client_for(prescriber).get(reverse("scheduling:my-hours")).status_code == 302


def test_follow_ups_page_shows_reasons_to_clinicians_only(
    client_for,
    prescriber: Membership,
    front_desk: Membership,
    clinic_admin: Membership,
    outsider: Membership,
    patient: Patient,
) -> None:  # type: ignore[no-untyped-def]
    started = timezone.localdate() - dt.timedelta(days=30)
    depression = clinical.add_diagnosis(prescriber, patient, code="F32.1", today=started)
    order = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        start_on=started,
        days_supply=30,
        indication=depression,
    )
    prescribing.prescribe(prescriber, patient, order, today=started)
    url = reverse("scheduling:follow-up-list")

    body = client_for(prescriber).get(url).content.decode()
    assert patient.mrn in body and "antidepressant" in body
    assert AuditEvent.objects.filter(action="follow-ups.read").count() == 1
    for member in (front_desk, clinic_admin):
        response = client_for(member).get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert patient.mrn in page and "Overdue" in page and ">Book<" in page
        assert "antidepressant" not in page and "sertraline" not in page
    assert patient.mrn not in client_for(outsider).get(url).content.decode()


def test_hours_index_lists_clinicians_for_front_desk_and_admins(
    client_for, front_desk: Membership, prescriber: Membership
) -> None:  # type: ignore[no-untyped-def]
    page = client_for(front_desk).get(reverse("scheduling:my-hours"))
    assert page.status_code == 200
    assert reverse("scheduling:hours", args=[prescriber.user.uuid]) in page.content.decode()
