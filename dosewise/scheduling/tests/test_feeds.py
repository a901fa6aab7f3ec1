"""Calendar feeds: private revocable tokens (only a hash stored), no diagnosis or drug names,
the least identity that still makes the feed useful, every read audited."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.patients.models import Patient
from dosewise.scheduling import services
from dosewise.scheduling.models import Appointment, CalendarFeed
from dosewise.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("hours")

LINK = "https://meet.example.invalid/room-42"


@pytest.fixture
def visits(front_desk: Membership, patient: Patient, prescriber: Membership) -> list[Appointment]:
    clinical.add_diagnosis(prescriber, patient, code="F33.1")
    services.record_telehealth_consent(front_desk, patient, given_on=timezone.localdate())
    video = services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="medication-check",
        mode="telehealth",
        starts_at=at(10),
        duration_minutes=30,
        video_url=LINK,
    )
    visit = services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=at(14),
        duration_minutes=30,
    )
    services.cancel_appointment(front_desk, visit, reason="Moved by patient")
    return [video, visit]


def read(url: str) -> Calendar:
    response = Client().get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return Calendar.from_ical(response.content)


def url_of(raw: str) -> str:
    return reverse("scheduling:feed", args=[raw])


def test_patient_feed_says_with_whom_and_the_link_and_nothing_clinical(
    front_desk: Membership, patient: Patient, visits: list[Appointment]
) -> None:
    feed, raw = services.create_patient_feed(front_desk, patient)
    assert feed.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(CalendarFeed.objects.values_list().get())
    calendar = read(url_of(raw))
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in events] == ["Appointment with Test Treating"] * 2
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert str(events[0]["location"]) == LINK
    assert events[0].decoded("dtstart") == at(10)
    assert str(events[0]["uid"]) == f"{visits[0].uuid}@dosewise"
    text = Client().get(url_of(raw)).content.decode()
    for secret in (
        "F33",
        "depress",
        "Depress",
        "sertraline",
        patient.family_name,
        patient.mrn,
        "medication",
    ):
        assert secret not in text


def test_clinician_feed_shows_mrn_and_kind_never_the_name(
    prescriber: Membership, patient: Patient, visits: list[Appointment]
) -> None:
    _feed, raw = services.create_clinician_feed(prescriber)
    calendar = read(url_of(raw))
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == [
        f"Follow-up (in person) · MRN {patient.mrn}",
        f"Medication check (video) · MRN {patient.mrn}",
    ]
    text = Client().get(url_of(raw)).content.decode()
    for secret in (patient.family_name, patient.given_name, "F33"):
        assert secret not in text
    assert LINK in text


def test_feed_reads_are_audited_and_update_last_use(
    front_desk: Membership, patient: Patient, visits: list[Appointment]
) -> None:
    feed, raw = services.create_patient_feed(front_desk, patient)
    read(url_of(raw))
    event = AuditEvent.objects.filter(action="calendar-feed.read").get()
    assert (event.actor, event.patient, event.target_id) == (None, patient, str(feed.uuid))
    assert event.actor_label.startswith("calendar feed cal_")
    feed.refresh_from_db()
    assert feed.last_used_at is not None


def test_revoked_and_unknown_tokens_are_404_and_audited(
    front_desk: Membership, patient: Patient, visits: list[Appointment]
) -> None:
    feed, raw = services.create_patient_feed(front_desk, patient)
    services.revoke_calendar_feed(front_desk, feed)
    assert Client().get(url_of(raw)).status_code == 404
    assert Client().get(url_of("cal_not-a-token")).status_code == 404
    assert (
        AuditEvent.objects.filter(action="access.denied", detail__what="calendar-feed").count() == 2
    )
    assert AuditEvent.objects.filter(action="calendar-feed.revoke").count() == 1


def test_only_the_clinician_or_an_admin_revokes_a_clinician_feed(
    prescriber: Membership, colleague: Membership, front_desk: Membership, clinic_admin: Membership
) -> None:
    feed, _raw = services.create_clinician_feed(prescriber)
    for actor in (colleague, front_desk):
        with pytest.raises(PermissionDenied):
            services.revoke_calendar_feed(actor, feed)
    assert services.revoke_calendar_feed(clinic_admin, feed).revoked_at is not None


def test_front_desk_has_no_own_schedule_feed(front_desk: Membership) -> None:
    with pytest.raises(PermissionDenied):
        services.create_clinician_feed(front_desk)


def test_patient_feed_of_another_organization_is_refused(
    outsider: Membership, patient: Patient
) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        services.create_patient_feed(outsider, patient)
    assert not CalendarFeed.objects.exists()
