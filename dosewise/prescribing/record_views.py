"""Reading the medication record: the current regimen, the timeline and event list, and the
printable prescription.

The whole history is read with one query; the regimen on a date, the timeline's bars and the
"since" dates are derived from it by `dosewise.domain`, so a 10-year record costs the same
number of queries as a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.domain import regimen, timeline
from dosewise.domain.sig import SigError, in_words
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.side_effects import history_lines

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
# Units counted in whole pieces take a plural; measures (mL, mg) do not.
_COUNTED_UNITS = frozenset({"tablet", "capsule", "patch", "spray"})


@dataclass(frozen=True)
class RegimenRow:
    """One line of the current-regimen table."""

    prescription: Prescription
    product: str  # "50 mg tablet"
    daily: str  # "100 mg/day"
    since: dt.date | None
    next_refill_due: dt.date | None


@dataclass(frozen=True)
class EventRow:
    """One line of the event list."""

    event: RegimenEvent
    drug: str
    replaced_drug: str  # the drug a switch replaced
    daily: str
    reason: str
    is_entered_in_error: bool


@dataclass(frozen=True)
class MedicationRecord:
    regimen: list[RegimenRow]
    events: list[EventRow]
    timeline_events: list[timeline.TimelineEvent]
    entered_in_error: frozenset[int]


def _reason(event: RegimenEvent) -> str:
    label = str(event.get_reason_display())
    return f"{label}: {event.reason_text}" if event.reason_text else label


def medication_record(patient: Patient, *, on: dt.date) -> MedicationRecord:
    """The patient's medication history (one query) and the regimen on `on` derived from it."""
    events = list(
        RegimenEvent.objects.filter(patient=patient)
        .select_related("prescription__prescriber", "prescription__indication", "author")
        .order_by("effective_on", "id")
    )
    history = [
        regimen.Event(
            event.pk,
            regimen.EventKind(event.kind),
            event.prescription_id,
            event.effective_on,
            event.replaces_id,
        )
        for event in events
    ]
    prescriptions = {event.prescription_id: event.prescription for event in events}
    active = sorted(
        (prescriptions[pk] for pk in regimen.active_on(history, on)),
        key=lambda item: (item.drug, item.start_on, item.pk),
    )
    rows = [
        RegimenRow(
            prescription=item,
            product=f"{timeline.mg(item.strength_mg)} {item.form}",
            daily=timeline.mg_per_day(item.daily_mg),
            since=timeline.since(history, item.pk),
            next_refill_due=timeline.next_refill_due(item.start_on, item.days_supply),
        )
        for item in active
    ]
    entered_in_error = frozenset(
        pk
        for pk, item in prescriptions.items()
        if item.status == Prescription.Status.ENTERED_IN_ERROR
    )
    event_rows = [
        EventRow(
            event=event,
            drug=event.prescription.drug,
            replaced_drug=prescriptions[event.replaces_id].drug
            if event.replaces_id in prescriptions
            else "",
            daily=timeline.mg_per_day(event.daily_mg),
            reason=_reason(event),
            is_entered_in_error=event.prescription_id in entered_in_error,
        )
        for event in events
    ]
    timeline_events = [
        timeline.TimelineEvent(
            sequence=event.pk,
            kind=regimen.EventKind(event.kind),
            prescription=event.prescription_id,
            effective_on=event.effective_on,
            drug=event.prescription.drug,
            daily_mg=event.daily_mg,
            reason=_reason(event),
            replaces=event.replaces_id,
            anchor=f"event-{event.uuid}",
        )
        for event in events
    ]
    return MedicationRecord(rows, event_rows, timeline_events, entered_in_error)


def planned_events(
    patient: Patient, record: MedicationRecord, *, today: dt.date
) -> tuple[list[timeline.TimelineEvent], frozenset[int]]:
    """Steps of active plans not yet confirmed, as timeline events on synthetic prescriptions
    (negative ids), so the timeline draws them ahead of the recorded history, marked planned."""
    steps = PlanStep.objects.filter(
        plan__patient=patient, plan__status=Plan.Status.ACTIVE, status=PlanStep.Status.PLANNED
    ).order_by("on", "plan_id", "sequence")
    recorded = [event.as_regimen_event() for event in record.timeline_events]
    active = regimen.active_on(recorded, today)
    current = {e.drug: e.prescription for e in record.timeline_events if e.prescription in active}
    sequence = max((e.sequence for e in record.timeline_events), default=0)
    events: list[timeline.TimelineEvent] = []
    planned: set[int] = set()
    for step in steps:
        sequence += 1
        previous = current.get(step.drug)
        reason = f"Planned: {step.take}"
        if step.daily_dose_mg == 0:
            if previous is None:
                continue
            events.append(
                timeline.TimelineEvent(
                    sequence,
                    regimen.EventKind.DISCONTINUED,
                    previous,
                    step.on,
                    step.drug,
                    step.daily_dose_mg,
                    reason=reason,
                )
            )
            del current[step.drug]
            continue
        synthetic = -step.pk
        kind = regimen.EventKind.DOSE_CHANGED if previous else regimen.EventKind.STARTED
        events.append(
            timeline.TimelineEvent(
                sequence,
                kind,
                synthetic,
                step.on,
                step.drug,
                step.daily_dose_mg,
                reason=reason,
                replaces=previous,
            )
        )
        planned.add(synthetic)
        current[step.drug] = synthetic
    return events, frozenset(planned)


@member_required(*CLINICAL_ROLES)
@require_GET
def medication_history(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Current regimen, the medication timeline (SVG), every regimen event and the side-effect
    reports (a marker on each suspected drug's lane at the onset)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CHART)
    today = timezone.localdate()
    history = medication_record(patient, on=today)
    ahead, planned = planned_events(patient, history, today=today)
    side_effects = history_lines(patient)
    context = {
        "patient": patient,
        "today": today,
        "regimen": history.regimen,
        "events": list(reversed(history.events)),  # newest first
        "layout": timeline.layout(
            [*history.timeline_events, *ahead],
            today=today,
            entered_in_error=history.entered_in_error,
            planned=planned,
            side_effects=[line.mark() for line in side_effects],
        ),
        "side_effects": side_effects,
        "event_kinds": RegimenEvent.Kind.choices,
        "on_care_team": is_on_care_team(actor, patient),
    }
    return render(request, "prescribing/medication_history.html", context)


def _quantity(prescription: Prescription) -> tuple[str, str, str]:
    """(figures, words, unit) of the quantity to dispense; words only for controlled
    substances, as the law asks, and only for whole quantities."""
    if prescription.quantity is None:
        return "", "", ""
    figures = f"{prescription.quantity.normalize():f}"
    words = ""
    if prescription.is_controlled:
        try:
            words = in_words(prescription.quantity)
        except SigError:
            words = ""
    unit = prescription.dose_unit
    if unit in _COUNTED_UNITS and prescription.quantity != 1:
        unit += "s"
    return figures, words, unit


@member_required(*CLINICAL_ROLES)
@require_GET
def prescription_print(request: HttpRequest, prescription_uuid: str) -> HttpResponse:
    """One printable page for a prescription written here (audited as `prescription.print`)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    # access.RecordT does not list Prescription yet; the helper works for any model with
    # .patient and .uuid.
    prescription = get_patient_record(actor, Prescription, prescription_uuid, Need.CHART)
    # The prescriber's NPI and DEA number are those of their membership in this organization.
    signer = (
        Membership.objects.filter(
            user_id=prescription.prescriber_id, organization_id=prescription.organization_id
        ).first()
        if prescription.prescriber_id is not None
        else None
    )
    if not prescription.is_outside:
        record(
            "prescription.print",
            actor=actor.user,
            organization=actor.organization,
            patient=prescription.patient,
            target=prescription,
        )
    figures, words, unit = _quantity(prescription)
    context = {
        "prescription": prescription,
        "patient": prescription.patient,
        "signer": signer,
        "quantity_figures": figures,
        "quantity_words": words,
        "quantity_unit": unit,
        "strength": timeline.mg(prescription.strength_mg),
        "refills_words": in_words(Decimal(prescription.refills))
        if prescription.is_controlled
        else "",
    }
    return render(request, "prescribing/prescription_print.html", context)
