"""Readers of scheduling for other parts (worklists, reminders, the calendar): the follow-up
visits due for a set of patients, and the appointments of a day.

Both cost a fixed number of queries whatever the number of patients or appointments (pinned by
tests). They read; the caller checks access and records the audit event of its page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.urls import reverse
from django.utils import timezone

from dosewise.accounts.models import Organization, User
from dosewise.clinical.assessments import URGENT_FLAGS
from dosewise.clinical.models import Assessment, Encounter, SafetyAlert
from dosewise.domain import followup
from dosewise.domain.ages import age_in_years
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.scheduling.models import Appointment

# Prescriptions that are part of the patient's current regimen (on hold still counts: the
# patient is expected back on it).
_CURRENT = (Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD)


@dataclass(frozen=True)
class FollowUpRow:
    """One outstanding follow-up visit of one patient, ready for a list."""

    patient_uuid: UUID
    patient_name: str
    mrn: str
    due_by: dt.date
    status: str  # "booked" | "due" | "overdue"
    overdue_days: int
    reason: str  # may name the drug class: for clinicians' lists only
    rule_id: str
    source: str
    citation: str
    verification: str
    booked_on: dt.date | None
    booking_url: str

    @property
    def is_overdue(self) -> bool:
        return self.status == followup.OVERDUE


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _drug_facts(name: str) -> tuple[str, bool]:
    """(knowledge-base class, is psychotropic) of a prescribed drug; an outside medication not
    in the knowledge base triggers no rule (and is not guessed to be psychotropic)."""
    try:
        drug = default_knowledge().find(name)
    except UnknownDrug:
        return "", False
    return drug.drug_class, drug.is_psychotropic


def facts_for(patient_ids: list[int], *, today: dt.date) -> dict[int, followup.FollowUpFacts]:
    """The follow-up rules' input for each patient, in seven queries."""
    ids = list(dict.fromkeys(patient_ids))
    births = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "date_of_birth"))
    changes: dict[int, list[followup.RegimenChange]] = defaultdict(list)
    events = (
        RegimenEvent.objects.filter(patient_id__in=births)
        # Recording a medication the patient already takes (reconciliation) starts nothing.
        .exclude(reason=RegimenEvent.Reason.RECONCILIATION)
        .exclude(prescription__status=Prescription.Status.ENTERED_IN_ERROR)
        .values_list("patient_id", "effective_on", "kind", "prescription__drug")
    )
    for patient_id, effective_on, kind, drug in events:
        drug_class, _ = _drug_facts(drug)
        if drug_class:
            changes[patient_id].append(followup.RegimenChange(effective_on, kind, drug_class))
    psychotropic: set[int] = set()
    for patient_id, drug in Prescription.objects.filter(
        patient_id__in=births, status__in=_CURRENT
    ).values_list("patient_id", "drug"):
        if _drug_facts(drug)[1]:
            psychotropic.add(patient_id)
    suicide_items: dict[int, list[dt.date]] = defaultdict(list)
    for patient_id, administered_at, flags in (
        Assessment.objects.in_record()
        .filter(patient_id__in=births)
        .values_list("patient_id", "administered_at", "flags")
    ):
        if any(flag in URGENT_FLAGS for flag in flags or ()):
            suicide_items[patient_id].append(_local_date(administered_at))
    alerts: dict[int, list[dt.date]] = defaultdict(list)
    for patient_id, created_at in SafetyAlert.objects.filter(patient_id__in=births).values_list(
        "patient_id", "created_at"
    ):
        alerts[patient_id].append(_local_date(created_at))
    visits: dict[int, list[followup.Visit]] = defaultdict(list)
    for patient_id, starts_at, status in (
        Appointment.objects.active()
        .filter(patient_id__in=births)
        .values_list("patient_id", "starts_at", "status")
    ):
        visits[patient_id].append(followup.Visit(_local_date(starts_at), status))
    # A recorded encounter is a visit that took place, booked through Dosewise or not.
    for patient_id, occurred_on in (
        Encounter.objects.in_record()
        .filter(patient_id__in=births)
        .values_list("patient_id", "occurred_on")
    ):
        visits[patient_id].append(followup.Visit(occurred_on, Appointment.Status.FULFILLED))
    return {
        patient_id: followup.FollowUpFacts(
            today=today,
            age=age_in_years(born, on=today),
            regimen_changes=tuple(changes[patient_id]),
            on_psychotropic=patient_id in psychotropic,
            positive_suicide_items=tuple(suicide_items[patient_id]),
            urgent_alerts=tuple(alerts[patient_id]),
            visits=tuple(visits[patient_id]),
        )
        for patient_id, born in births.items()
    }


def follow_ups_for(patient_ids: list[int], *, today: dt.date) -> dict[int, list[FollowUpRow]]:
    """The outstanding follow-up visits of each patient (soonest due first), with a link to
    book one. Every id given is a key (an empty list: nothing due). Eight queries, whatever
    the number of patients. The caller has checked access to these patients."""
    people = {
        row[0]: row
        for row in Patient.objects.filter(pk__in=patient_ids).values_list(
            "pk", "uuid", "given_name", "family_name", "mrn"
        )
    }
    found: dict[int, list[FollowUpRow]] = {patient_id: [] for patient_id in patient_ids}
    for patient_id, facts in facts_for(list(people), today=today).items():
        _, patient_uuid, given, family, mrn = people[patient_id]
        book = reverse("scheduling:appointment-new", args=[patient_uuid])
        found[patient_id] = [
            FollowUpRow(
                patient_uuid=patient_uuid,
                patient_name=f"{family}, {given}",  # as every list shows it
                mrn=mrn,
                due_by=due.due_by,
                status=due.status,
                overdue_days=due.days_overdue(today),
                reason=due.reason,
                rule_id=due.rule_id,
                source=due.source,
                citation=due.citation,
                verification=due.verification.value,
                booked_on=due.booked_on,
                booking_url=f"{book}?kind=follow-up&before={due.due_by.isoformat()}",
            )
            for due in followup.follow_ups_due(facts)
        ]
    return found


def sort_for_worklist(rows: list[FollowUpRow]) -> list[FollowUpRow]:
    """Overdue first (most overdue first), then due, then booked, each by due date."""
    order = {followup.OVERDUE: 0, followup.DUE: 1, followup.BOOKED: 2}
    return sorted(rows, key=lambda row: (order[row.status], row.due_by, row.patient_name))


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The clinic-local midnight that starts `day` and the one that ends it (23 or 25 hours
    apart on the days daylight saving time changes)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def appointments_between(
    organization: Organization,
    start: dt.datetime,
    end: dt.datetime,
    clinician_user: User | None = None,
) -> list[Appointment]:
    """Every appointment (any status) starting in [start, end), by start; one query."""
    found = Appointment.objects.filter(
        organization=organization, starts_at__gte=start, starts_at__lt=end
    ).select_related("patient", "clinician")
    if clinician_user is not None:
        found = found.filter(clinician=clinician_user)
    return list(found.order_by("starts_at", "id"))


def appointments_on(
    organization: Organization, day: dt.date, clinician_user: User | None = None
) -> list[Appointment]:
    """The appointments (any status) of a clinic-local day, by start, with patient and
    clinician loaded; one query whatever their number."""
    start, end = day_bounds(day)
    return appointments_between(organization, start, end, clinician_user)
