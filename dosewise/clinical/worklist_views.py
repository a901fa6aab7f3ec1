"""The clinician's worklist: what needs doing, most urgent first, each row linking to the action
that clears it (issue 6).

Sections, in order of urgency:
1. open urgent alerts (suicide items, critical labs, severe side effects) — organization-wide,
   the member's care-team patients first;
2. the member's appointments today;
3. follow-up visits overdue for the member's care-team patients (no visit booked in time);
4. monitoring labs overdue, then due;
5. plan steps due;
6. the member's unsigned (draft) encounters;
7. PHQ-9 or GAD-7 not repeated for six weeks.

Every section is one reader with a fixed number of queries, so the page costs the same whatever
the size of the panel (`dosewise/tests/test_query_counts.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import Assessment, Encounter, SafetyAlert
from dosewise.domain import measurement
from dosewise.monitoring.labs_due import LabRequirementRow, requirements_for
from dosewise.patients.models import CareTeamMember
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.scheduling.followups import FollowUpRow, appointments_on, follow_ups_for
from dosewise.scheduling.models import Appointment

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
STALE_AFTER_DAYS = measurement.NO_RECENT_MEASURE_DAYS
WORKLIST_INSTRUMENTS = ("phq9", "gad7")
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class OverdueRow:
    patient_uuid: str
    patient_name: str
    mrn: str
    instrument: str
    instrument_name: str
    latest_on: dt.date
    days: int


@dataclass(frozen=True)
class LabRow:
    patient_name: str
    mrn: str
    chart_url: str
    requirement: LabRequirementRow


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _alerts(actor: Membership) -> list[SafetyAlert]:
    mine = CareTeamMember.objects.current().filter(patient=OuterRef("patient"), user=actor.user)
    return list(
        SafetyAlert.objects.open()
        .filter(organization=actor.organization)
        .annotate(on_my_team=Exists(mine))
        .select_related("patient", "assessment")
        .order_by("-on_my_team", "-created_at")
    )


def _todays_appointments(actor: Membership, today: dt.date) -> list[Appointment]:
    return [
        appointment
        for appointment in appointments_on(actor.organization, today, actor.user)
        if appointment.status in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED)
    ]


def _overdue_follow_ups(patient_ids: list[int], today: dt.date) -> list[FollowUpRow]:
    rows = [
        row
        for found in follow_ups_for(patient_ids, today=today).values()
        for row in found
        if row.status == "overdue"
    ]
    return sorted(rows, key=lambda row: (row.due_by, row.patient_name))


def _labs(
    patient_ids: list[int], names: dict[int, tuple[str, str]], today: dt.date
) -> list[LabRow]:
    """Monitoring requirements overdue (most overdue first), then due (soonest first)."""
    # One reverse() for the whole list: a large panel has thousands of rows.
    chart = reverse("patients:patient-chart", args=[_PLACEHOLDER])
    rows = [
        LabRow(
            names[patient_id][0],
            names[patient_id][1],
            chart.replace(_PLACEHOLDER, row.patient_uuid),
            row,
        )
        for patient_id, found in requirements_for(patient_ids, today=today).items()
        for row in found
        if row.status in ("overdue", "due")
    ]
    return sorted(
        rows,
        key=lambda row: (
            row.requirement.status != "overdue",
            row.requirement.due_on or today,
            row.patient_name,
        ),
    )


def _due_plan_steps(actor: Membership, patient_ids: list[int], today: dt.date) -> list[PlanStep]:
    return list(
        PlanStep.objects.filter(
            status=PlanStep.Status.PLANNED,
            on__lte=today,
            plan__status=Plan.Status.ACTIVE,
            plan__organization=actor.organization,
            plan__patient_id__in=patient_ids,
        )
        .select_related("plan__patient")
        .order_by("on", "plan__patient__family_name", "plan__patient__given_name", "sequence")
    )


def _unsigned_encounters(actor: Membership) -> list[Encounter]:
    return list(
        Encounter.objects.filter(
            organization=actor.organization,
            clinician=actor.user,
            status=Encounter.Status.DRAFT,
        )
        .select_related("patient")
        .order_by("occurred_on", "id")
    )


def _stale_scales(actor: Membership, patient_ids: list[int], today: dt.date) -> list[OverdueRow]:
    cutoff = timezone.now() - dt.timedelta(days=STALE_AFTER_DAYS)
    return [
        OverdueRow(
            patient_uuid=str(row["patient__uuid"]),
            patient_name=f"{row['patient__family_name']}, {row['patient__given_name']}",
            mrn=row["patient__mrn"],
            instrument=row["instrument"],
            instrument_name=row["instrument_name"],
            latest_on=_local_date(row["latest"]),
            days=(today - _local_date(row["latest"])).days,
        )
        for row in Assessment.objects.in_record()
        .filter(
            organization=actor.organization,
            instrument__in=WORKLIST_INSTRUMENTS,
            patient_id__in=patient_ids,
        )
        .values(
            "patient__uuid",
            "patient__family_name",
            "patient__given_name",
            "patient__mrn",
            "instrument",
            "instrument_name",
        )
        .annotate(latest=Max("administered_at"))
        .filter(latest__lt=cutoff)
        .order_by("latest")
    ]


@member_required(*CLINICAL_ROLES)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Everything that needs the member's action, most urgent first (see the module docstring)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    today = timezone.localdate()
    team = (
        CareTeamMember.objects.current()
        .filter(user=actor.user, patient__organization=actor.organization)
        .values_list("patient_id", "patient__family_name", "patient__given_name", "patient__mrn")
    )
    names = {pid: (f"{family}, {given}", mrn) for pid, family, given, mrn in team}
    patient_ids = sorted(names)
    alerts = _alerts(actor)
    appointments = _todays_appointments(actor, today)
    follow_ups = _overdue_follow_ups(patient_ids, today)
    labs = _labs(patient_ids, names, today)
    due_steps = _due_plan_steps(actor, patient_ids, today)
    unsigned = _unsigned_encounters(actor)
    overdue = _stale_scales(actor, patient_ids, today)
    record(
        "worklist.read",
        actor=actor.user,
        organization=actor.organization,
        detail={
            "alerts": len(alerts),
            "appointments": len(appointments),
            "follow_ups": len(follow_ups),
            "labs": len(labs),
            "plan_steps": len(due_steps),
            "unsigned": len(unsigned),
            "overdue": len(overdue),
        },
    )
    context = {
        "today": today,
        "alerts": alerts,
        "appointments": appointments,
        "follow_ups": follow_ups,
        "labs": labs,
        "due_steps": due_steps,
        "unsigned": unsigned,
        "overdue": overdue,
        "stale_after_days": STALE_AFTER_DAYS,
    }
    return render(request, "measurement/worklist.html", context)
