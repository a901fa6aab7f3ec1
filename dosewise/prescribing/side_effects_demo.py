"""Demo side-effect reports for the medication stories of `dosewise.demo` (issue 6).

Written through the services by each patient's care team, on the drugs the stories prescribed,
so the audit trail, the alert and the timeline markers are real:

- DW-1001 (sertraline): mild nausea in the first week, reported by the patient; continued.
- DW-1002 (escitalopram, then bupropion): moderate sexual dysfunction on escitalopram 20 mg;
  stopped (the story's switch to bupropion XL is the regimen change).
- DW-1008 (methylphenidate): mild insomnia after the increase to 36 mg; continued.
- DW-1009 (paroxetine): moderate weight gain and mild daytime sedation, the reasons for the
  planned cross-taper; continued until then.
- DW-1015 (bipolar II, no other story): lamotrigine was started a month ago (25 mg/day for two
  weeks, then 50 mg/day, the label's schedule without valproate) by the treating prescriber. A
  rash began two days ago; the nurse took the patient's call today and recorded a moderate rash,
  action "stopped" (the patient was told to stop). The report raised the serious-rash alert,
  left OPEN: the chart banner and the worklist show it, and the report's page offers the
  prescriber "Discontinue lamotrigine" (the regimen change is the prescriber's, not the
  report's). DW-1005's lamotrigine is only a draft plan starting next week, so it cannot carry a
  rash, and the lithium story (DW-1006) keeps its exact history.

Patients the demo did not create (a smaller `seed(patients=...)`) are skipped: DW-1015 needs
`patients >= 15` (the default demo has 40). Idempotent: a clinic that already has side-effect
reports gets nothing more.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dosewise.accounts.models import Membership, Organization
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.domain import regimen
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing import side_effects
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.services import OrderInput
from dosewise.prescribing.side_effect_models import SideEffectReport

Symptom = SideEffectReport.Symptom
Severity = SideEffectReport.Severity
Action = SideEffectReport.Action


def _patient(organization: Organization, mrn: str) -> Patient | None:
    return Patient.objects.filter(organization=organization, mrn=mrn).first()


def _prescriber(patient: Patient) -> Membership:
    """The treating prescriber: the patient's care-team member with the prescriber role."""
    return Membership.objects.get(
        organization=patient.organization,
        role=Membership.Role.PRESCRIBER,
        user__care_team_places__patient=patient,
        user__care_team_places__ended_at__isnull=True,
    )


def _taken_on(patient: Patient, drug: str, day: dt.date) -> Prescription | None:
    """The prescription of `drug` the patient was taking on `day` (from the regimen history)."""
    events = [
        regimen.Event(pk, regimen.EventKind(kind), prescription, on, replaces)
        for pk, kind, prescription, on, replaces in RegimenEvent.objects.filter(
            patient=patient, prescription__drug=drug
        )
        .order_by("id")
        .values_list("id", "kind", "prescription_id", "effective_on", "replaces_id")
    ]
    active = regimen.active_on(events, day)
    return Prescription.objects.filter(pk__in=active).first()


def _first_event_on(patient: Patient, drug: str) -> dt.date | None:
    first = (
        RegimenEvent.objects.filter(patient=patient, prescription__drug=drug)
        .order_by("effective_on", "id")
        .first()
    )
    return first.effective_on if first else None


def _report(
    patient: Patient,
    drug: str,
    *,
    onset_after_start: int,
    today: dt.date,
    **fields: object,
) -> SideEffectReport | None:
    """A report on `drug`, its onset `onset_after_start` days after the drug's first event."""
    started = _first_event_on(patient, drug)
    if started is None:
        return None
    onset = started + dt.timedelta(days=onset_after_start)
    suspect = _taken_on(patient, drug, onset)
    if suspect is None or onset > today:
        return None
    return side_effects.record_side_effect(
        _prescriber(patient),
        patient,
        onset_on=onset,
        suspected=[suspect],
        today=today,
        **fields,  # type: ignore[arg-type]
    )


def _lamotrigine_rash(patient: Patient, *, today: dt.date) -> None:
    """Lamotrigine started a month ago, raised at two weeks; a rash two days ago, reported by
    phone to the nurse today; the report raises the serious-rash alert (left open)."""
    start_on = today - dt.timedelta(days=30)
    intake = Encounter.objects.filter(patient=patient).order_by("occurred_on").first()
    if intake is None or intake.occurred_on > start_on:
        return  # the story needs the intake visit before the start
    prescriber = _prescriber(patient)
    diagnosis = Diagnosis.objects.filter(patient=patient).order_by("recorded_at").first()

    def order(tablets: int, on: dt.date) -> OrderInput:
        return OrderInput(
            drug="lamotrigine",
            form="tablet",
            strength_mg=Decimal(25),
            dose_amount=Decimal(tablets),
            dose_unit=Prescription.DoseUnit.TABLET,
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=on,
            days_supply=14,
            indication=diagnosis,
        )

    started = prescribing.prescribe(prescriber, patient, order(1, start_on), today=start_on)
    raised_on = start_on + dt.timedelta(days=14)
    raised = prescribing.change_dose(
        prescriber,
        started,
        order(2, raised_on),
        reason=RegimenEvent.Reason.TITRATION,
        reason_text="Weeks 3-4 of the label's schedule without valproate: 50 mg/day.",
        today=raised_on,
    )
    nurse = Membership.objects.get(
        organization=patient.organization,
        role=Membership.Role.NURSE,
        user__care_team_places__patient=patient,
        user__care_team_places__ended_at__isnull=True,
    )
    side_effects.record_side_effect(
        nurse,
        patient,
        symptom=Symptom.RASH,
        severity=Severity.MODERATE,
        onset_on=today - dt.timedelta(days=2),
        action=Action.STOPPED,
        suspected=[raised],
        reported_by=SideEffectReport.ReportedBy.PATIENT,
        notes=(
            "Phone call: itchy red patches on the forearms and trunk for two days; no fever, no "
            "mouth or eye sores, no blisters. Advised to stop lamotrigine today; prescriber "
            "asked to review today."
        ),
        today=today,
    )


def seed_side_effects(organization: Organization, *, today: dt.date) -> None:
    """Add the demo clinic's side-effect reports (see the module docstring); call after the
    medication stories."""
    if SideEffectReport.objects.filter(organization=organization).exists():
        return
    if patient := _patient(organization, "DW-1001"):
        _report(
            patient,
            "sertraline",
            onset_after_start=2,
            today=today,
            symptom=Symptom.NAUSEA,
            severity=Severity.MILD,
            action=Action.CONTINUE,
            reported_by=SideEffectReport.ReportedBy.PATIENT,
            notes="Queasy in the mornings in the first week, better taken with breakfast; "
            "settled by week 2.",
        )
    if patient := _patient(organization, "DW-1002"):
        _report(
            patient,
            "escitalopram",
            onset_after_start=60,
            today=today,
            symptom=Symptom.SEXUAL_DYSFUNCTION,
            severity=Severity.MODERATE,
            action=Action.STOPPED,
            notes="Delayed orgasm and low desire since the increase to 20 mg; switched to "
            "bupropion XL at the next visit.",
        )
    if patient := _patient(organization, "DW-1008"):
        _report(
            patient,
            "methylphenidate",
            onset_after_start=30,
            today=today,
            symptom=Symptom.INSOMNIA,
            severity=Severity.MILD,
            action=Action.CONTINUE,
            notes="Falling asleep later since 36 mg; dose moved to 7 am, sleep hygiene advice.",
        )
    if patient := _patient(organization, "DW-1009"):
        _report(
            patient,
            "paroxetine",
            onset_after_start=60,
            today=today,
            symptom=Symptom.WEIGHT_GAIN,
            severity=Severity.MODERATE,
            action=Action.CONTINUE,
            notes="4 kg in two months; a cross-taper to sertraline is planned.",
        )
        _report(
            patient,
            "paroxetine",
            onset_after_start=20,
            today=today,
            symptom=Symptom.SEDATION,
            severity=Severity.MILD,
            action=Action.CONTINUE,
            notes="Drowsy mid-morning in the first weeks; mostly settled.",
        )
    if patient := _patient(organization, "DW-1015"):
        _lamotrigine_rash(patient, today=today)
