"""Write path for rating-scale administrations and the suicide-risk alerts they raise.

Scoring is the pure `dosewise.domain.scales`; this module stores item answers with who answered,
how and when, raises an urgent `SafetyAlert` on a positive suicide item or ASQ, and tells the
treating prescribers and the organization's on-call contact at once (email on commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.alerts import close_alerts_raised_by, raise_alert
from dosewise.clinical.models import Assessment, Encounter, SafetyAlert
from dosewise.domain.scales import ScoreInputError, UnknownInstrument, default_instruments, score
from dosewise.patients.models import Patient
from dosewise.records import mark_entered_in_error

# Flags that must reach a clinician at once, in the order they are shown.
URGENT_FLAGS = ("acute_risk", "suicide_risk")


@write_service(Need.CLINICAL_WRITE)
def record_assessment(
    actor: Membership,
    patient: Patient,
    *,
    instrument: str,
    answers: Sequence[int],
    answered_by: str,
    mode: str,
    encounter: Encounter | None = None,
    administered_at: dt.datetime | None = None,
) -> Assessment:
    """Score and store one administration; a positive suicide screen raises an urgent alert."""
    try:
        definition = default_instruments().get(instrument)
        result = score(instrument, list(answers))
    except UnknownInstrument as exc:
        raise ValidationError({"instrument": [str(exc)]}) from None
    except ScoreInputError as exc:
        raise ValidationError({"answers": [str(exc)]}) from None
    if answered_by not in Assessment.AnsweredBy.values:
        raise ValidationError({"answered_by": ["Choose patient or clinician."]})
    if mode not in Assessment.Mode.values:
        raise ValidationError({"mode": [f"Unknown mode; use {', '.join(Assessment.Mode.values)}."]})
    when = administered_at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"administered_at": ["An administration cannot be in the future."]})
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": ["This encounter belongs to another patient."]})
    assessment = Assessment.objects.create(
        organization=actor.organization,
        patient=patient,
        encounter=encounter,
        instrument=definition.id,
        instrument_name=result.instrument,
        answers=list(answers),
        total=result.total,
        band=result.band or "",
        positive=result.positive,
        flags=list(result.flags),
        answered_by=answered_by,
        mode=mode,
        administered_at=when,
        recorded_by=actor.user,
    )
    record(
        "assessment.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=assessment,
        detail={
            "instrument": assessment.instrument,
            "total": assessment.total,
            "flags": assessment.flags,
        },
    )
    for flag in URGENT_FLAGS:
        if flag in result.flags:
            raise_alert(
                actor,
                patient,
                kind=flag,
                reason=f"{assessment.instrument_name}: {SafetyAlert.Kind(flag).label.lower()}",
                assessment=assessment,
            )
            break  # one alert per administration: acute risk outranks a positive screen
    return assessment


@write_service(Need.CLINICAL_WRITE)
def resolve_alert(actor: Membership, alert: SafetyAlert, *, safety_assessment: str) -> SafetyAlert:
    """A clinician records the safety assessment that answers the alert."""
    text = safety_assessment.strip()
    if not text:
        ask = (
            "Record the safety assessment (risk, plan, who was told)."
            if alert.assessment_id
            else "Record the action taken (repeat test, dose held, patient called) and who was told."
        )
        raise ValidationError({"safety_assessment": [ask]})
    locked = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.resolved_at is not None:
        raise ValidationError(
            {"safety_assessment": ["This alert already has a safety assessment."]}
        )
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor.user
    locked.safety_assessment = text
    locked.save(update_fields=["resolved_at", "resolved_by", "safety_assessment"])
    record(
        "safety-alert.resolve",
        actor=actor.user,
        organization=actor.organization,
        patient=locked.patient,
        target=locked,
    )
    return locked


@write_service(Need.CLINICAL_WRITE)
def mark_assessment_entered_in_error(
    actor: Membership, assessment: Assessment, *, reason: str
) -> Assessment:
    """Withdraw an administration recorded for the wrong patient or by mistake. An open alert it
    raised closes with that reason on record (audited), so the worklist does not show it."""
    marked = mark_entered_in_error(actor, assessment, reason=reason, noun="assessment")
    close_alerts_raised_by(actor, marked, reason=reason)
    return marked
