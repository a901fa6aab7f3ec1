"""Regimen-driven lab monitoring pages: a patient's "Monitoring" page (every requirement with
its status, the result that satisfied it and the source) and the organization's "Labs due"
list (overdue first). Both are audited reads.

Thin: resolve access, call `dosewise.monitoring.labs_due`, render. The rules are
`dosewise.domain.lab_monitoring` and its data file.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dosewise.access import Need, get_patient, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.monitoring import labs_due

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)


@member_required(*CLINICAL_ROLES)
@require_GET
def labs_patient(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """The labs and measurements the patient's regimen calls for: overdue, due, upcoming and
    done (with the result that satisfied each), and the source of every requirement."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)  # audited as a chart read
    today = timezone.localdate()
    rows = labs_due.requirements_for([patient.pk], today=today)[patient.pk]
    context = {
        "patient": patient,
        "rows": rows,
        "today": today,
        "on_care_team": is_on_care_team(actor, patient),
        "open_count": sum(1 for row in rows if row.is_open),
    }
    return render(request, "monitoring/labs_patient.html", context)


@member_required(*CLINICAL_ROLES)
@require_GET
def labs_due_list(request: HttpRequest) -> HttpResponse:
    """Every overdue or due lab and measurement of the organization's patients, overdue first."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    today = timezone.localdate()
    rows = labs_due.due_rows(actor, today=today)
    record(
        "labs_due.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows)},
    )
    return render(request, "monitoring/labs_due.html", {"rows": rows, "today": today})
