"""Write and read path for side-effect reports (issue 6).

- `record_side_effect`: the care team records what the patient felt, how bad, since when, the
  suspected drugs and what was done; the report is audited (`side-effect.record`) and, in the
  same transaction, raises the urgent alert the rules call for (`dosewise.domain.side_effects`:
  a rash on a drug with a boxed serious-rash warning, or any severe report).
- `mark_side_effect_entered_in_error`: withdraw a report (kept, marked); an open alert it raised
  closes with that reason on record.
- `suspect_options`, `reports_for`: what the form offers and the per-patient list.

The report records the action taken; it never changes the regimen. A dose reduction or a stop is
the prescriber's regimen action (change dose, discontinue), which the pages link to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.alerts import close_alerts_raised_by, raise_alert
from dosewise.clinical.models import SafetyAlert
from dosewise.domain import regimen, side_effects, timeline
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.side_effect_models import SideEffectReport
from dosewise.records import mark_entered_in_error

OTHER_TEXT_MAX = 200
NOTES_MAX = 2000

Suspect = Prescription | uuid.UUID | str


@dataclass(frozen=True)
class SuspectOption:
    """A drug the form offers as suspected: the latest prescription of a current or recently
    stopped course."""

    prescription: Prescription
    daily: str  # "100 mg/day"
    since: dt.date
    stopped_on: dt.date | None  # None: still taken

    @property
    def label(self) -> str:
        if self.stopped_on is None:
            when = f"since {self.since.isoformat()}"
        elif self.prescription.status == Prescription.Status.ON_HOLD:
            when = f"on hold since {self.stopped_on.isoformat()}"
        else:
            when = f"stopped {self.stopped_on.isoformat()}"
        return f"{self.prescription.drug} {self.daily} ({when})"


def _history(patient: Patient) -> tuple[list[regimen.Interval], dict[int, Prescription]]:
    """Every active interval of the patient's prescriptions (entered-in-error ones left out:
    they were never taken) and the prescriptions by id, in two queries."""
    events = [
        regimen.Event(pk, regimen.EventKind(kind), prescription_id, effective_on, replaces_id)
        for pk, kind, prescription_id, effective_on, replaces_id in RegimenEvent.objects.filter(
            patient=patient
        )
        .order_by("id")
        .values_list("id", "kind", "prescription_id", "effective_on", "replaces_id")
    ]
    prescriptions = Prescription.objects.filter(patient=patient).in_bulk()
    withdrawn = {
        pk
        for pk, item in prescriptions.items()
        if item.status == Prescription.Status.ENTERED_IN_ERROR
    }
    periods = [item for item in regimen.intervals(events) if item.prescription not in withdrawn]
    return periods, prescriptions


def _periods_of(
    drug: str, periods: Iterable[regimen.Interval], prescriptions: dict[int, Prescription]
) -> list[tuple[dt.date, dt.date | None]]:
    return [
        (item.start, item.end) for item in periods if prescriptions[item.prescription].drug == drug
    ]


def _course_start(periods: list[tuple[dt.date, dt.date | None]], start: dt.date) -> dt.date:
    """Follow back through back-to-back periods (dose changes, renewals) to the course's start."""
    ends = {end: begin for begin, end in periods if end is not None}
    seen = set()
    while start in ends and start not in seen:
        seen.add(start)
        start = ends[start]
    return start


def suspect_options(patient: Patient, *, on: dt.date) -> list[SuspectOption]:
    """Current and recently stopped medications (stopped at most `RECENT_STOP_DAYS` before
    `on`), one per drug: its latest prescription; current ones first, then by drug name."""
    periods, prescriptions = _history(patient)
    latest: dict[str, regimen.Interval] = {}
    for item in periods:
        drug = prescriptions[item.prescription].drug
        if item.start <= on and (drug not in latest or item.start >= latest[drug].start):
            latest[drug] = item
    options = []
    for drug, item in latest.items():
        if not side_effects.exposure([(item.start, item.end)], on).may_be_suspected:
            continue
        prescription = prescriptions[item.prescription]
        options.append(
            SuspectOption(
                prescription=prescription,
                daily=timeline.mg_per_day(prescription.daily_mg),
                since=_course_start(_periods_of(drug, periods, prescriptions), item.start),
                stopped_on=item.end if item.end is not None and item.end <= on else None,
            )
        )
    return sorted(options, key=lambda o: (o.stopped_on is not None, o.prescription.drug))


def _resolve_suspects(patient: Patient, suspected: Sequence[Suspect]) -> list[Prescription]:
    wanted: list[uuid.UUID] = []
    for item in suspected:
        if isinstance(item, Prescription):
            if item.patient_id != patient.pk:
                raise ValidationError({"suspected": ["This prescription is another patient's."]})
            wanted.append(item.uuid)
            continue
        try:
            wanted.append(item if isinstance(item, uuid.UUID) else uuid.UUID(str(item)))
        except ValueError:
            raise ValidationError({"suspected": [f"{item!r} is not a prescription id."]}) from None
    if not wanted:
        raise ValidationError({"suspected": ["Choose at least one suspected medication."]})
    found = {p.uuid: p for p in Prescription.objects.filter(patient=patient, uuid__in=wanted)}
    missing = [str(value) for value in dict.fromkeys(wanted) if value not in found]
    if missing:
        # The same words whether the id is unknown or another patient's: nothing is revealed.
        raise ValidationError(
            {"suspected": [f"Not one of this patient's medications: {', '.join(missing)}."]}
        )
    return [found[value] for value in dict.fromkeys(wanted)]


def _check_choice(field: str, value: str, choices: type[models.TextChoices]) -> str:
    values = choices.values
    if value not in values:
        raise ValidationError(
            {field: [f"Unknown {field.replace('_', ' ')} {value!r}; use {', '.join(values)}."]}
        )
    return value


def _check_exposure(patient: Patient, prescriptions: list[Prescription], onset_on: dt.date) -> None:
    periods, by_id = _history(patient)
    problems = []
    for prescription in prescriptions:
        drug = prescription.drug
        if prescription.status == Prescription.Status.ENTERED_IN_ERROR:
            problems.append(f"{drug} was entered in error; it cannot be suspected.")
            continue
        found = side_effects.exposure(_periods_of(drug, periods, by_id), onset_on)
        if found is side_effects.Exposure.NOT_YET_STARTED:
            problems.append(
                f"{drug} was not being taken before the onset ({onset_on.isoformat()}); "
                "check the onset date."
            )
        elif found is side_effects.Exposure.STOPPED_LONG_BEFORE:
            problems.append(
                f"{drug} was stopped more than {side_effects.RECENT_STOP_DAYS} days before the "
                "onset; it cannot be suspected here (say so in the notes of a report on a "
                "current medication)."
            )
    if problems:
        raise ValidationError({"suspected": problems})


@write_service(Need.CLINICAL_WRITE)
def record_side_effect(
    actor: Membership,
    patient: Patient,
    *,
    symptom: str,
    severity: str,
    onset_on: dt.date,
    action: str,
    suspected: Sequence[Suspect],
    other_text: str = "",
    reported_by: str = SideEffectReport.ReportedBy.CLINICIAN,
    notes: str = "",
    today: dt.date | None = None,
) -> SideEffectReport:
    """Record a side effect (care team: prescribers and nurses) and raise the urgent alert the
    rules call for, in one transaction; all or nothing.

    Refused (ValidationError naming the field): an unknown symptom, severity, action or
    reporter; Other without a description, or a description without Other; an onset in the
    future or before birth; no suspected medication, one that is not this patient's or was
    entered in error, or a drug not taken before the onset or stopped more than 90 days before
    it. Recording the action taken does not change the regimen.
    """
    today = today or timezone.localdate()
    _check_choice("symptom", symptom, SideEffectReport.Symptom)
    _check_choice("severity", severity, SideEffectReport.Severity)
    _check_choice("action", action, SideEffectReport.Action)
    _check_choice("reported_by", reported_by, SideEffectReport.ReportedBy)
    other_text = (other_text or "").strip()
    if symptom == SideEffectReport.Symptom.OTHER and not other_text:
        raise ValidationError({"other_text": ["Describe the symptom (Other was chosen)."]})
    if symptom != SideEffectReport.Symptom.OTHER and other_text:
        raise ValidationError(
            {"other_text": ["Describe the symptom here only when the symptom is Other."]}
        )
    if len(other_text) > OTHER_TEXT_MAX:
        raise ValidationError(
            {"other_text": [f"Keep the description to {OTHER_TEXT_MAX} characters."]}
        )
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": [f"Keep the notes to {NOTES_MAX} characters."]})
    if not isinstance(onset_on, dt.date) or isinstance(onset_on, dt.datetime):
        raise ValidationError({"onset_on": ["Give the date the symptom began."]})
    if onset_on > today:
        raise ValidationError({"onset_on": ["The onset cannot be in the future."]})
    if onset_on < patient.date_of_birth:
        raise ValidationError({"onset_on": ["The onset cannot be before the date of birth."]})
    prescriptions = _resolve_suspects(patient, suspected)
    _check_exposure(patient, prescriptions, onset_on)

    report = SideEffectReport.objects.create(
        organization=patient.organization,
        patient=patient,
        symptom=symptom,
        other_text=other_text,
        severity=severity,
        onset_on=onset_on,
        action=action,
        reported_by=reported_by,
        notes=notes,
        recorded_by=actor.user,
    )
    report.suspected.set(prescriptions)
    drugs = [item.drug for item in prescriptions]
    record(
        "side-effect.record",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=report,
        detail={
            "symptom": symptom,
            "severity": severity,
            "onset_on": onset_on.isoformat(),
            "action": action,
            "suspected": drugs,
        },
    )
    knowledge = default_knowledge()
    urgent = side_effects.urgent_alert(
        symptom,
        severity,
        [knowledge.find(name) for name in drugs],
        other_text=other_text,
    )
    if urgent is not None:
        raise_alert(
            actor, patient, kind=urgent.kind.value, reason=urgent.reason, side_effect=report
        )
    return report


@write_service(Need.CLINICAL_WRITE)
def mark_side_effect_entered_in_error(
    actor: Membership, report: SideEffectReport, *, reason: str
) -> SideEffectReport:
    """Withdraw a report recorded for the wrong patient or by mistake (care team). It stays in
    the record, marked, and leaves the timeline; an open alert it raised closes with the reason."""
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why this report was entered in error."]})
    marked = mark_entered_in_error(actor, report, reason=reason, noun="side-effect")
    close_alerts_raised_by(actor, marked, reason=reason)
    return marked


# --- reading -------------------------------------------------------------------------------


def reports_for(
    patient: Patient, *, include_entered_in_error: bool = True
) -> list[SideEffectReport]:
    """The patient's reports (entered-in-error ones too, marked, unless left out), newest onset
    first, with their suspected prescriptions, alerts and recorder: three queries in all."""
    reports = SideEffectReport.objects.filter(patient=patient)
    if not include_entered_in_error:
        reports = reports.in_record()
    return list(
        reports.select_related("recorded_by")
        .prefetch_related(
            Prefetch("suspected", queryset=Prescription.objects.order_by("drug", "start_on")),
            Prefetch("alerts", queryset=SafetyAlert.objects.order_by("created_at")),
        )
        .order_by("-onset_on", "-created_at")
    )


def report_with_links(report: SideEffectReport) -> SideEffectReport:
    """One report again, with its suspected prescriptions, alerts and recorder loaded."""
    return (
        SideEffectReport.objects.select_related("patient", "recorded_by")
        .prefetch_related(
            Prefetch("suspected", queryset=Prescription.objects.order_by("drug", "start_on")),
            Prefetch("alerts", queryset=SafetyAlert.objects.order_by("created_at")),
        )
        .get(pk=report.pk)
    )


def alert_of(report: SideEffectReport) -> SafetyAlert | None:
    """The urgent alert the report raised, if any (uses prefetched alerts when present)."""
    alerts = list(report.alerts.all())
    return alerts[0] if alerts else None


@dataclass(frozen=True)
class ReportLine:
    """A report in the record (not entered in error) as the medication history shows it."""

    report: SideEffectReport
    drugs: tuple[str, ...]  # suspected drugs, by name
    is_urgent: bool  # it raised an urgent alert

    @property
    def anchor(self) -> str:
        return f"side-effect-{self.report.uuid}"

    def mark(self) -> timeline.SideEffectMark:
        report = self.report
        return timeline.SideEffectMark(
            sequence=report.pk,
            onset_on=report.onset_on,
            drugs=self.drugs,
            symptom=report.symptom_label,
            severity=report.severity,
            action=str(report.get_action_display()).lower(),
            is_urgent=self.is_urgent,
            anchor=self.anchor,
        )


def history_lines(patient: Patient) -> list[ReportLine]:
    """The patient's reports in the record, newest onset first, for the medication history and
    its timeline: one query (the suspected-drug links, with their report and alert flag)."""
    through = SideEffectReport.suspected.through
    links = (
        through.objects.filter(
            sideeffectreport__patient=patient,
            sideeffectreport__status=SideEffectReport.Status.RECORDED,
        )
        .select_related("sideeffectreport__recorded_by", "prescription")
        .annotate(
            alerted=Exists(
                SafetyAlert.objects.filter(side_effect_id=OuterRef("sideeffectreport_id"))
            )
        )
        .order_by("-sideeffectreport__onset_on", "-sideeffectreport_id", "prescription__drug")
    )
    grouped: dict[int, tuple[SideEffectReport, list[str], bool]] = {}
    for link in links:
        report = link.sideeffectreport
        alerted = bool(link.alerted)  # type: ignore[attr-defined]  # the annotation above
        entry = grouped.setdefault(report.pk, (report, [], alerted))
        if link.prescription.drug not in entry[1]:
            entry[1].append(link.prescription.drug)
    return [
        ReportLine(report=report, drugs=tuple(drugs), is_urgent=urgent)
        for report, drugs, urgent in grouped.values()
    ]
