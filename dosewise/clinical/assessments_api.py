"""JSON API for measurement-based care: rating-scale administrations, their trend, and the
suicide-risk alerts they raise.

Thin like the web views: parse, resolve through `dosewise.access`, call one service
(`dosewise.clinical.assessments`), render. Every endpoint is clinical: front desk and clinic
admins get 404; writing needs the patient's care team (403 otherwise).

The trend's analysis is `dosewise.domain.measurement.assess` over one episode. Until episodes
are recorded, every score of the instrument belongs to one episode (its first score is the
baseline); `episode_start` in the answer says so by being null.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText, ReasonIn
from dosewise.audit.services import record
from dosewise.clinical import assessments
from dosewise.clinical.assessment_schemas import (
    AssessmentIn,
    AssessmentOut,
    MeasurementOut,
    SafetyAlertOut,
    SafetyAssessmentIn,
)
from dosewise.clinical.models import Assessment, Encounter, SafetyAlert
from dosewise.domain import measurement
from dosewise.domain.scales import Instrument, UnknownInstrument, default_instruments

router = Router(tags=["measurement"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
AssessmentId = Annotated[str, Path(description="The administration's public id (UUID).")]
AlertId = Annotated[str, Path(description="The safety alert's public id (UUID).")]
INSTRUMENT_FILTER = Query(
    None, max_length=32, description="Only this instrument (phq9, gad7, ...)."
)
INSTRUMENT = Query(..., max_length=32, description="The instrument (phq9, gad7, pcl5, ...).")
STALE_AFTER_DAYS = Query(
    42,
    ge=1,
    le=3650,
    description="A latest score older than this many days is 'no recent measure'.",
)


def _instrument(instrument_id: str) -> Instrument:
    """The known instrument of a query; an unknown id is an error naming the parameter."""
    try:
        return default_instruments().get(instrument_id)
    except UnknownInstrument as exc:
        raise ValidationError({"instrument": [str(exc)]}) from None


def _shown(assessments_: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Load what `AssessmentOut` shows, so the schema never queries."""
    return assessments_.select_related("patient", "encounter", "recorded_by").prefetch_related(
        Prefetch("alerts", queryset=SafetyAlert.objects.order_by("created_at"))
    )


def _reload(assessment: Assessment) -> Assessment:
    return _shown(Assessment.objects.filter(pk=assessment.pk)).get()


def _reload_alert(alert: SafetyAlert) -> SafetyAlert:
    return SafetyAlert.objects.select_related(
        "patient", "assessment", "observation", "side_effect", "resolved_by"
    ).get(pk=alert.pk)


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# --- Administrations --------------------------------------------------------------------------


@router.post("/patients/{patient_uuid}/assessments", response={201: AssessmentOut})
def record_assessment(
    request: HttpRequest, patient_uuid: PatientId, payload: AssessmentIn
) -> Assessment:
    """Score and store one administration (care team). A positive suicide item (PHQ-9 item 9)
    or ASQ screen raises an urgent safety alert, returned as `alert`."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    encounter = None
    if payload.encounter is not None:
        try:
            encounter = get_patient_record(actor, Encounter, payload.encounter, Need.CLINICAL_WRITE)
        except Http404:
            # A field of the body, not the resource of the URL: say which field is wrong.
            raise ValidationError({"encounter": ["No such encounter."]}) from None
    assessment = assessments.record_assessment(
        actor,
        patient,
        instrument=payload.instrument,
        answers=payload.answers,
        answered_by=payload.answered_by,
        mode=payload.mode,
        encounter=encounter,
        administered_at=payload.administered_at,
    )
    return _reload(assessment)


@router.get("/patients/{patient_uuid}/assessments", response=list[AssessmentOut])
def list_assessments(
    request: HttpRequest,
    patient_uuid: PatientId,
    instrument: QueryText | None = INSTRUMENT_FILTER,
    include_entered_in_error: bool = False,
) -> list[Assessment]:
    """The patient's administrations, newest first."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    found = patient.assessments.order_by("-administered_at", "-created_at")
    if instrument is not None:
        found = found.filter(instrument=_instrument(instrument).id)
    if not include_entered_in_error:
        found = found.in_record()
    listed = list(_shown(found))
    record(
        "assessment.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(listed), "instrument": instrument},
    )
    return listed


@router.post("/assessments/{assessment_uuid}/entered-in-error", response=AssessmentOut)
def mark_assessment_entered_in_error(
    request: HttpRequest, assessment_uuid: AssessmentId, payload: ReasonIn
) -> Assessment:
    """Withdraw an administration recorded by mistake; it stays in the record, marked (care
    team). It then leaves the trend and the analysis."""
    actor = member(request)
    assessment = get_patient_record(actor, Assessment, assessment_uuid, Need.CLINICAL_WRITE)
    assessment = assessments.mark_assessment_entered_in_error(
        actor, assessment, reason=payload.reason
    )
    return _reload(assessment)


# --- Trend ------------------------------------------------------------------------------------


@router.get("/patients/{patient_uuid}/measurement", response=MeasurementOut)
def get_measurement(
    request: HttpRequest,
    patient_uuid: PatientId,
    instrument: QueryText = INSTRUMENT,
    stale_after_days: int = STALE_AFTER_DAYS,
) -> dict[str, Any]:
    """One instrument's scores in time order, and how the patient is doing on it: baseline,
    latest, change in points and percent, and the status (remission, response, partial
    response, not improving, deterioration, no recent measure). All scores count as one
    episode for now."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    definition = _instrument(instrument)
    scores = list(
        patient.assessments.in_record()
        .filter(instrument=definition.id)
        .order_by("administered_at", "created_at")
        .values_list("administered_at", "total", "band")
    )
    dated = [(_local_date(moment), total, band or None) for moment, total, band in scores]
    # The service allows a few minutes of clock skew into the future; near midnight that can
    # date the latest score tomorrow, which `assess` would refuse as a future score.
    on = max(timezone.localdate(), dated[-1][0]) if dated else timezone.localdate()
    analysis = None
    rules = measurement.INSTRUMENTS.get(definition.name)
    if rules is not None and dated:
        result = measurement.assess(
            [measurement.ScorePoint(rules.instrument, day, total) for day, total, _band in dated],
            on=on,
            stale_after_days=stale_after_days,
        )
        analysis = _analysis(result)
    points = [{"date": day, "total": total, "band": band} for day, total, band in dated]
    record(
        "measurement.read",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"instrument": definition.id, "count": len(points)},
    )
    return {
        "instrument": definition.id,
        "instrument_name": definition.name,
        "on": on,
        "stale_after_days": stale_after_days,
        "episode_start": None,
        "points": points,
        "analysis": analysis,
    }


def _analysis(result: measurement.Assessment) -> dict[str, Any]:
    return {
        "baseline": {"date": result.baseline.on, "total": result.baseline.total},
        "latest": {"date": result.latest.on, "total": result.latest.total},
        "change_points": result.change_points,
        "change_percent": None if result.change_percent is None else float(result.change_percent),
        "status": result.status.value,
        "reliable_improvement": result.reliable_improvement,
        "reliable_deterioration": result.reliable_deterioration,
        "important_improvement": result.important_improvement,
        "important_deterioration": result.important_deterioration,
        "days_since_latest": result.days_since_latest,
    }


# --- Safety alerts ----------------------------------------------------------------------------


@router.get("/patients/{patient_uuid}/safety-alerts", response=list[SafetyAlertOut])
def list_safety_alerts(
    request: HttpRequest, patient_uuid: PatientId, open: bool = False
) -> list[SafetyAlert]:
    """The patient's safety alerts, newest first; `open=true`: only those still awaiting a
    safety assessment."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    alerts = patient.safety_alerts.select_related(
        "patient", "assessment", "observation", "side_effect", "resolved_by"
    )
    if open:
        alerts = alerts.open()
    found = list(alerts.order_by("-created_at"))
    record(
        "safety-alert.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(found), "open": open},
    )
    return found


@router.post("/safety-alerts/{alert_uuid}/resolve", response=SafetyAlertOut)
def resolve_safety_alert(
    request: HttpRequest, alert_uuid: AlertId, payload: SafetyAssessmentIn
) -> SafetyAlert:
    """Record the safety assessment that answers an alert (care team); the alert then leaves
    the chart banner and the worklist."""
    actor = member(request)
    alert = get_patient_record(actor, SafetyAlert, alert_uuid, Need.CLINICAL_WRITE)
    alert = assessments.resolve_alert(actor, alert, safety_assessment=payload.safety_assessment)
    return _reload_alert(alert)
