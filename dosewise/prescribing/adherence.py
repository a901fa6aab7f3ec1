"""Adherence reported at follow-up, and the antidepressant trial review shown to the prescriber.

The rules are `dosewise.domain.measurement` (adequate trial, "not improving", possible
treatment-resistant depression; `docs/measurement.md`); this module stores what the clinician
records and builds the domain's plain inputs from the record:
- `record_adherence` / `record_visit_adherence`: one `AdherenceRecord` per drug asked about, as
  FHIR R5 MedicationStatement.adherence codes (audited `adherence.record`);
- `trial_review`: the regimen history (entered-in-error prescriptions left out), the adherence
  records and the PHQ-9 totals in the record, through `review_antidepressant_trials`;
- `decide_trd_suggestion`: the prescriber confirms or dismisses the suggestion (audited
  `trd-suggestion.decide`). The decision belongs to the failed trials it was made on; a new
  failed trial makes a new suggestion.

Until episodes are recorded, the whole history is one episode (`episode_start=None`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import Assessment
from dosewise.domain import measurement, regimen
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.patients.models import Patient
from dosewise.prescribing.models import (
    AdherenceRecord,
    Prescription,
    RegimenEvent,
    TrialSuggestionDecision,
)

PHQ9 = "phq9"
NOTE_MAX = 300


def _check_status(status: str) -> str:
    if status not in AdherenceRecord.Status.values:
        raise ValidationError(
            {
                "status": [
                    f"Unknown adherence status {status!r}; use "
                    f"{', '.join(AdherenceRecord.Status.values)}."
                ]
            }
        )
    return status


def _check_day(prescription: Prescription, on: dt.date) -> dt.date:
    if on > timezone.localdate():
        raise ValidationError({"on": ["A follow-up report cannot be dated in the future."]})
    if on < prescription.start_on:
        raise ValidationError(
            {
                "on": [
                    f"{prescription.drug} was started on {prescription.start_on.isoformat()}; "
                    "adherence cannot be reported before that."
                ]
            }
        )
    return on


def _store(
    actor: Membership, prescription: Prescription, *, status: str, on: dt.date, note: str
) -> AdherenceRecord:
    _check_status(status)
    _check_day(prescription, on)
    if prescription.status == Prescription.Status.ENTERED_IN_ERROR:
        raise ValidationError(
            {"prescription": [f"{prescription.drug} was entered in error; nothing to report."]}
        )
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [f"Keep the note to {NOTE_MAX} characters."]})
    entry = AdherenceRecord.objects.create(
        organization=actor.organization,
        patient=prescription.patient,
        prescription=prescription,
        status=status,
        reported_on=on,
        note=note,
        author=actor.user,
    )
    record(
        "adherence.record",
        actor=actor.user,
        organization=actor.organization,
        patient=prescription.patient,
        target=entry,
        detail={
            "prescription": str(prescription.uuid),
            "drug": prescription.drug,
            "status": status,
            "on": on.isoformat(),
        },
    )
    return entry


@write_service(Need.CLINICAL_WRITE)
def record_adherence(
    actor: Membership,
    prescription: Prescription,
    *,
    status: str,
    on: dt.date,
    note: str = "",
) -> AdherenceRecord:
    """Record what the patient reported at the follow-up on `on` about taking this medication
    (care team: prescribers and nurses). A stop the prescriber orders is a regimen event, not
    an adherence record."""
    return _store(actor, prescription, status=status, on=on, note=note)


@write_service(Need.CLINICAL_WRITE)
def record_visit_adherence(
    actor: Membership,
    patient: Patient,
    *,
    reports: Mapping[Prescription, tuple[str, str]],
    on: dt.date,
) -> list[AdherenceRecord]:
    """The "adherence at this visit" form: one record per medication asked about
    (`reports`: prescription -> (status, note)), all or none."""
    if not reports:
        raise ValidationError(
            {"status": ["Choose an adherence status for at least one medication."]}
        )
    for prescription in reports:
        if prescription.patient_id != patient.pk:
            raise ValidationError({"prescription": ["This prescription is another patient's."]})
    return [
        _store(actor, prescription, status=status, on=on, note=note)
        for prescription, (status, note) in reports.items()
    ]


# --- The trial review -------------------------------------------------------------------------


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def trial_review(patient: Patient, *, on: dt.date) -> measurement.TrialReview:
    """Every antidepressant trial of the patient up to `on`, with its verdict, PHQ-9 outcome,
    and the possible treatment-resistance suggestion (three queries). Raises ValueError when
    the record cannot be judged (the domain names the input)."""
    rows = list(
        RegimenEvent.objects.filter(patient=patient)
        .exclude(prescription__status=Prescription.Status.ENTERED_IN_ERROR)
        .select_related("prescription")
        .order_by("effective_on", "id")
    )
    events = [
        regimen.Event(
            row.pk,
            regimen.EventKind(row.kind),
            row.prescription_id,
            row.effective_on,
            row.replaces_id,
        )
        for row in rows
    ]
    doses: dict[int, tuple[str, Decimal]] = {
        row.prescription_id: (row.prescription.drug, row.prescription.daily_mg) for row in rows
    }
    adherence = [
        measurement.AdherenceRecord(drug, reported_on, measurement.Adherence(status))
        for drug, reported_on, status in AdherenceRecord.objects.filter(
            patient=patient, reported_on__lte=on
        )
        .exclude(prescription__status=Prescription.Status.ENTERED_IN_ERROR)
        .order_by("reported_on", "id")
        .values_list("prescription__drug", "reported_on", "status")
    ]
    scores = [
        measurement.ScorePoint("PHQ-9", day, total)
        for day, total in (
            (_local_date(moment), total)
            for moment, total in Assessment.objects.in_record()
            .filter(patient=patient, instrument=PHQ9)
            .order_by("administered_at", "id")
            .values_list("administered_at", "total")
        )
        if day <= on
    ]
    return measurement.review_antidepressant_trials(
        measurement.dose_intervals(events, doses),
        adherence,
        scores,
        default_knowledge(),
        on=on,
    )


def suggestion_trials(
    suggestion: measurement.TreatmentResistanceSuggestion,
) -> list[dict[str, str]]:
    """The failed trials a suggestion lists, as stored with a decision on it."""
    return [
        {"drug": outcome.trial.drug, "start": outcome.trial.start.isoformat()}
        for outcome in suggestion.failed_trials
    ]


def decision_on(
    patient: Patient, suggestion: measurement.TreatmentResistanceSuggestion | None
) -> TrialSuggestionDecision | None:
    """The latest decision made on exactly this suggestion's trials, if any (one query)."""
    if suggestion is None:
        return None
    trials = suggestion_trials(suggestion)
    decisions = TrialSuggestionDecision.objects.filter(patient=patient).select_related("author")
    return next(
        (item for item in decisions.order_by("-decided_at", "-id") if item.trials == trials),
        None,
    )


@dataclass(frozen=True)
class TrialCard:
    """What the "Antidepressant trials" card shows: the review and the decision on its
    suggestion, or why the review could not be made."""

    review: measurement.TrialReview | None
    decision: TrialSuggestionDecision | None
    error: str


def trial_card(patient: Patient, *, on: dt.date) -> TrialCard:
    try:
        review = trial_review(patient, on=on)
    except ValueError as exc:
        return TrialCard(None, None, str(exc))
    return TrialCard(review, decision_on(patient, review.suggestion), "")


@write_service(Need.CLINICAL_WRITE)
def decide_trd_suggestion(
    actor: Membership, patient: Patient, *, decision: str, note: str = ""
) -> TrialSuggestionDecision:
    """The prescriber confirms or dismisses today's "possible treatment-resistant depression"
    suggestion (a dismissal says why). Prescribers only: it is their clinical judgement."""
    choices = {"confirm": "confirmed", "dismiss": "dismissed"}
    if decision not in choices:
        raise ValidationError({"decision": ["Choose confirm or dismiss."]})
    if actor.role != Membership.Role.PRESCRIBER:
        raise ValidationError(
            {"decision": ["Only prescribers confirm or dismiss a treatment-resistance suggestion."]}
        )
    if decision == "dismiss" and not note:
        raise ValidationError({"note": ["Say why you dismiss the suggestion."]})
    try:
        review = trial_review(patient, on=timezone.localdate())
    except ValueError as exc:
        raise ValidationError({"decision": [f"The trial review failed: {exc}"]}) from None
    if review.suggestion is None:
        raise ValidationError(
            {"decision": ["There is no treatment-resistance suggestion to decide on."]}
        )
    earlier = decision_on(patient, review.suggestion)
    if earlier is not None:
        raise ValidationError(
            {
                "decision": [
                    f"Already {earlier.get_decision_display().lower()} by {earlier.author} on "
                    f"{_local_date(earlier.decided_at).isoformat()}."
                ]
            }
        )
    made = TrialSuggestionDecision.objects.create(
        organization=actor.organization,
        patient=patient,
        decision=choices[decision],
        note=note,
        trials=suggestion_trials(review.suggestion),
        author=actor.user,
    )
    record(
        "trd-suggestion.decide",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=made,
        detail={"decision": made.decision, "trials": made.trials},
    )
    return made
