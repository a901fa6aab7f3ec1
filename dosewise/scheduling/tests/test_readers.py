"""The readers other parts call: follow-ups of many patients and a day's appointments, each in
a fixed number of queries, from the record's regimen events, scores, alerts and visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership, Organization
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.services import OrderInput
from dosewise.scheduling import services
from dosewise.scheduling.followups import appointments_on, follow_ups_for, sort_for_worklist
from dosewise.scheduling.forms import aware
from dosewise.scheduling.tests.conftest import MONDAY, at

pytestmark = pytest.mark.usefixtures("hours")

TODAY = timezone.localdate()


def start_sertraline(prescriber: Membership, patient: Patient, *, on: dt.date) -> None:
    diagnosis = clinical.add_diagnosis(prescriber, patient, code="F33.1")
    prescribing.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=on,
            days_supply=30,
            indication=diagnosis,
        ),
        today=on,
    )


def patients_on_sertraline(
    organization: Organization, prescriber: Membership, count: int
) -> list[Patient]:
    found = []
    for index in range(count):
        patient = make_patient(
            organization, f"MRN-{100 + index}", date_of_birth=dt.date(1980, 1, 1)
        )
        CareTeamMember.objects.create(
            organization=organization,
            patient=patient,
            user=prescriber.user,
            added_by=prescriber.user,
        )
        start_sertraline(prescriber, patient, on=TODAY - dt.timedelta(days=20))
        found.append(patient)
    return found


def test_follow_ups_come_from_the_regimen_and_show_overdue(
    prescriber: Membership, organization: Organization
) -> None:
    [patient] = patients_on_sertraline(organization, prescriber, 1)
    [row] = follow_ups_for([patient.pk], today=TODAY)[patient.pk]
    assert (row.patient_uuid, row.mrn, row.patient_name) == (
        patient.uuid,
        "MRN-100",
        "Rivera, Alex",
    )
    assert (row.status, row.due_by, row.overdue_days) == (
        "overdue",
        TODAY - dt.timedelta(days=6),
        6,
    )
    assert row.rule_id == "antidepressant-change"
    assert row.source == "nice-depression-followup"
    assert (
        row.booking_url
        == f"/scheduling/patients/{patient.uuid}/appointments/new/?kind=follow-up&before={row.due_by.isoformat()}"
    )
    # Time travel: on the day of the start it was simply due.
    [then] = follow_ups_for([patient.pk], today=TODAY - dt.timedelta(days=20))[patient.pk]
    assert then.status == "due"


def test_a_recorded_encounter_counts_as_the_visit(
    prescriber: Membership, organization: Organization
) -> None:
    [patient] = patients_on_sertraline(organization, prescriber, 1)
    encounter = clinical.start_encounter(
        prescriber,
        patient,
        kind="follow-up",
        mode="in-person",
        occurred_on=TODAY - dt.timedelta(days=10),
        plan="Review in 4 weeks",
        today=TODAY,
    )
    clinical.sign_encounter(prescriber, encounter)
    [row] = follow_ups_for([patient.pk], today=TODAY)[patient.pk]
    assert (row.status, row.due_by) == (
        "due",
        TODAY - dt.timedelta(days=10) + dt.timedelta(days=28),
    )


def test_a_positive_suicide_item_shortens_the_first_window(
    prescriber: Membership, organization: Organization
) -> None:
    patient = make_patient(organization, "MRN-7", date_of_birth=dt.date(1980, 1, 1))
    CareTeamMember.objects.create(
        organization=organization, patient=patient, user=prescriber.user, added_by=prescriber.user
    )
    assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=[2, 2, 2, 2, 1, 1, 1, 1, 1],
        answered_by="patient",
        mode="in-clinic",
        administered_at=aware(TODAY - dt.timedelta(days=3), dt.time(9)),
    )
    start_sertraline(prescriber, patient, on=TODAY - dt.timedelta(days=2))
    rows = follow_ups_for([patient.pk], today=TODAY)[patient.pk]
    by_rule = {row.rule_id: row for row in rows}
    # The positive item raised an urgent alert (today, when it was recorded): a visit within
    # a week of it; and the antidepressant start's first window shrank to 1 week.
    assert by_rule["urgent-alert"].due_by == TODAY + dt.timedelta(days=7)
    assert by_rule["antidepressant-change"].due_by == TODAY + dt.timedelta(days=5)
    assert [row.rule_id for row in rows] == ["antidepressant-change", "urgent-alert"]


def test_a_booked_appointment_in_the_window_marks_it_booked(
    front_desk: Membership, prescriber: Membership, organization: Organization
) -> None:
    patient = make_patient(organization, "MRN-8", date_of_birth=dt.date(1980, 1, 1))
    CareTeamMember.objects.create(
        organization=organization, patient=patient, user=prescriber.user, added_by=prescriber.user
    )
    start_sertraline(prescriber, patient, on=TODAY)  # due within 14 days: MONDAY is 7-13 away
    services.book_appointment(
        front_desk,
        patient,
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=at(10),
        duration_minutes=30,
    )
    [row] = follow_ups_for([patient.pk], today=TODAY)[patient.pk]
    assert (row.status, row.booked_on) == ("booked", MONDAY)


def test_patients_with_nothing_due_are_keys_with_empty_lists(organization: Organization) -> None:
    patient = make_patient(organization, "MRN-1")
    assert follow_ups_for([patient.pk], today=TODAY) == {patient.pk: []}


def test_follow_ups_for_costs_the_same_queries_for_1_or_10_patients(
    django_assert_num_queries, prescriber: Membership, organization: Organization
) -> None:  # type: ignore[no-untyped-def]
    patients = patients_on_sertraline(organization, prescriber, 10)
    ids = [patient.pk for patient in patients]
    follow_ups_for(ids[:1], today=TODAY)  # warm the knowledge base and URL caches
    with django_assert_num_queries(8):
        one = follow_ups_for(ids[:1], today=TODAY)
    with django_assert_num_queries(8):
        ten = follow_ups_for(ids, today=TODAY)
    assert len(one) == 1
    assert sum(len(rows) for rows in ten.values()) == 10


def test_sort_for_worklist_puts_overdue_first(
    prescriber: Membership, organization: Organization, front_desk: Membership
) -> None:
    overdue = patients_on_sertraline(organization, prescriber, 1)[0]
    due = make_patient(organization, "MRN-D", date_of_birth=dt.date(1980, 1, 1))
    CareTeamMember.objects.create(
        organization=organization, patient=due, user=prescriber.user, added_by=prescriber.user
    )
    start_sertraline(prescriber, due, on=TODAY)
    rows = [
        row for found in follow_ups_for([due.pk, overdue.pk], today=TODAY).values() for row in found
    ]
    assert [row.status for row in sort_for_worklist(rows)] == ["overdue", "due"]


def test_appointments_on_one_day_in_one_query(
    django_assert_num_queries,
    front_desk: Membership,
    prescriber: Membership,
    nurse: Membership,
    organization: Organization,
) -> None:  # type: ignore[no-untyped-def]
    for index, (member, hour) in enumerate([(prescriber, 9), (nurse, 9), (prescriber, 14)]):
        services.book_appointment(
            front_desk,
            make_patient(organization, f"MRN-{index}"),
            clinician=member.user,
            kind="follow-up",
            mode="in-person",
            starts_at=at(hour),
            duration_minutes=30,
        )
    services.book_appointment(
        front_desk,
        make_patient(organization, "MRN-T"),
        clinician=prescriber.user,
        kind="follow-up",
        mode="in-person",
        starts_at=at(9, day=MONDAY + dt.timedelta(days=1)),
        duration_minutes=30,
    )
    with django_assert_num_queries(1):
        day = appointments_on(organization, MONDAY)
        names = [(item.patient.mrn, item.clinician.username) for item in day]
    assert names == [("MRN-0", "dr.treating"), ("MRN-1", "nurse"), ("MRN-2", "dr.treating")]
    with django_assert_num_queries(1):
        assert [
            item.patient.mrn for item in appointments_on(organization, MONDAY, prescriber.user)
        ] == ["MRN-0", "MRN-2"]
