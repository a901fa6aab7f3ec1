"""The clinician's worklist (issue 6): urgent alerts, today's appointments, overdue follow-ups,
monitoring labs, plan steps, unsigned notes and stale scales, most urgent first, each row
linking to the action that clears it, at a fixed query count whatever the panel size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import observations
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Encounter
from dosewise.clinical.tests.test_assessment_views import WORKLIST_QUERIES
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.services import OrderInput
from dosewise.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Sections in order of urgency, by their heading ids.
SECTIONS = [
    "alerts-heading",
    "appointments-heading",
    "follow-ups-heading",
    "labs-heading",
    "plan-steps-heading",
    "unsigned-heading",
    "overdue-heading",
]


def _on_my_team(prescriber: Membership, patient: Patient) -> Patient:
    CareTeamMember.objects.get_or_create(
        organization=patient.organization,
        patient=patient,
        user=prescriber.user,
        defaults={"added_by": prescriber.user},
    )
    return patient


def _lithium_patient(prescriber: Membership, mrn: str, *, started: dt.date) -> Patient:
    """Bipolar I on lithium since `started` (a level is due 5-7 days after the start)."""
    patient = _on_my_team(prescriber, make_patient(prescriber.organization, mrn))
    diagnosis = clinical.add_diagnosis(prescriber, patient, code="F31.81", today=started)
    order = OrderInput(
        drug="lithium carbonate",
        form="capsule",
        strength_mg=Decimal(300),
        dose_amount=Decimal(1),
        dose_unit="capsule",
        times_per_day=Decimal(2),
        timings=("morning", "bedtime"),
        start_on=started,
        days_supply=30,
        indication=diagnosis,
    )
    prescribing.prescribe(prescriber, patient, order, today=started)
    return patient


def _busy_patient(prescriber: Membership, mrn: str, *, hour: int) -> Patient:
    """One patient giving a row to every section but plan steps and scales: lithium started
    30 days ago with no level since (lab overdue), sertraline added 25 days ago with no visit
    since (follow-up overdue), a critical level from before the start (urgent alert), an
    appointment later today and a draft note of a visit before the changes."""
    patient = _lithium_patient(prescriber, mrn, started=TODAY - dt.timedelta(days=30))
    added = TODAY - dt.timedelta(days=25)
    depression = clinical.add_diagnosis(prescriber, patient, code="F32.1", today=added)
    sertraline = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        start_on=added,
        days_supply=30,
        indication=depression,
    )
    prescribing.prescribe(prescriber, patient, sertraline, today=added)
    observations.record_observation(
        prescriber,
        patient,
        test="lithium",
        value="1.7",
        unit="mmol/L",
        effective_on=TODAY - dt.timedelta(days=40),
        today=TODAY,
    )
    Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=timezone.make_aware(dt.datetime.combine(TODAY, dt.time(hour, 0))),
        duration_minutes=30,
        booked_by=prescriber.user,
    )
    clinical.start_encounter(
        prescriber,
        patient,
        kind=Encounter.Kind.FOLLOW_UP,
        mode=Encounter.Mode.IN_PERSON,
        occurred_on=TODAY - dt.timedelta(days=40),
        today=TODAY,
        chief_complaint="Follow-up",
    )
    return patient


def _count(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("clinical:worklist"))
    assert response.status_code == 200
    return len(queries)


def test_every_section_lists_its_row_with_the_action_that_clears_it(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
) -> None:
    patient = _busy_patient(prescriber, "MRN-0100", hour=23)
    body = client_for(prescriber).get(reverse("clinical:worklist")).content.decode()

    positions = [body.index(f'id="{section}"') for section in SECTIONS]
    assert positions == sorted(positions)  # most urgent first

    def section(heading: str) -> str:
        start = body.index(f'id="{heading}"')
        following = [p for p in (body.find('id="', start + 5),) if p != -1]
        return body[start : body.index("</section>", start)] if following else body[start:]

    alerts = section("alerts-heading")
    assert "Critical lab result" in alerts and "Record action taken" in alerts
    assert patient.get_absolute_url() in alerts

    appointments = section("appointments-heading")
    appointment = Appointment.objects.get(patient=patient)
    assert reverse("scheduling:appointment-detail", args=[appointment.uuid]) in appointments
    assert "Check in" in appointments

    follow_ups = section("follow-ups-heading")
    assert "Book follow-up" in follow_ups and patient.mrn in follow_ups

    labs = section("labs-heading")
    assert "Record result" in labs and "Overdue" in labs
    assert reverse("clinical:observation-new", args=[patient.uuid]) in labs

    unsigned = section("unsigned-heading")
    encounter = Encounter.objects.get(patient=patient, status=Encounter.Status.DRAFT)
    assert encounter.get_absolute_url() in unsigned and "Review and sign" in unsigned

    event = AuditEvent.objects.filter(action="worklist.read").get()
    assert event.detail["alerts"] == 1
    assert event.detail["appointments"] == 1
    assert event.detail["unsigned"] == 1
    assert event.detail["labs"] >= 1 and event.detail["follow_ups"] >= 1


def test_nurse_sees_the_same_worklist_for_her_patients(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    nurse: Membership,
) -> None:
    patient = _lithium_patient(prescriber, "MRN-0200", started=TODAY - dt.timedelta(days=30))
    _on_my_team(nurse, patient)
    body = client_for(nurse).get(reverse("clinical:worklist")).content.decode()
    labs = body[body.index('id="labs-heading"') :]
    assert patient.mrn in labs[: labs.index("</section>")]


def test_other_clinicians_patients_stay_off_my_lists_except_alerts(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    colleague: Membership,
) -> None:
    theirs = _busy_patient(colleague, "MRN-0300", hour=23)
    body = client_for(prescriber).get(reverse("clinical:worklist")).content.decode()
    alerts_end = body.index("</section>", body.index('id="alerts-heading"'))
    assert theirs.mrn in body[:alerts_end]  # urgent alerts are organization-wide
    assert "Not on your care team" in body[:alerts_end]
    assert theirs.mrn not in body[alerts_end:]


def test_front_desk_and_admin_have_no_worklist(
    client_for,  # type: ignore[no-untyped-def]
    front_desk: Membership,
    clinic_admin: Membership,
) -> None:
    assert client_for(front_desk).get(reverse("clinical:worklist")).status_code == 403
    assert client_for(clinic_admin).get(reverse("clinical:worklist")).status_code == 403


def test_query_count_does_not_grow_with_the_panel(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
) -> None:
    client = client_for(prescriber)
    _busy_patient(prescriber, "MRN-0400", hour=22)
    few = _count(client)
    for index in range(5):
        _busy_patient(prescriber, f"MRN-041{index}", hour=17 + index)
    many = _count(client)
    assert few == many == WORKLIST_QUERIES
