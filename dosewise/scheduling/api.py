"""JSON API of scheduling: appointments (list, book, reschedule, status, cancel), the
bookable clinicians and their hours, and a patient's follow-ups. Thin like the pages
(`views.py`); the rules are in `services.py` and `dosewise.domain.followup`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from dosewise.access import Need, get_patient
from dosewise.api_auth import member
from dosewise.audit.services import record
from dosewise.scheduling import services
from dosewise.scheduling.access import get_appointment, read_appointment
from dosewise.scheduling.followups import appointments_on, follow_ups_for
from dosewise.scheduling.models import Appointment, Availability, TimeOff
from dosewise.scheduling.schemas import (
    AppointmentIn,
    AppointmentOut,
    CancelIn,
    ClinicianHoursOut,
    ClinicianOut,
    FollowUpOut,
    RescheduleIn,
    StatusIn,
)

router = Router(tags=["scheduling"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
AppointmentId = Annotated[str, Path(description="The appointment's public id (UUID).")]
ClinicianId = Annotated[str, Path(description="The clinician's user id (UUID).")]
DAY = Query(None, description="Clinic-local day (YYYY-MM-DD); default today.")
CLINICIAN_FILTER = Query("", max_length=36, description="Only this clinician's (user id).")


def _require(request: HttpRequest) -> Any:
    actor = member(request)
    services.require_scheduler(actor)
    return actor


def _clinician_out(membership: Any) -> dict[str, Any]:
    return {
        "uuid": membership.user.uuid,
        "name": str(membership.user),
        "role": membership.role,
    }


@router.get("/clinicians", response=list[ClinicianOut])
def list_clinicians(request: HttpRequest) -> list[dict[str, Any]]:
    """The organization's bookable clinicians (active prescribers and nurses)."""
    actor = _require(request)
    return [_clinician_out(item) for item in services.clinicians(actor.organization_id)]


@router.get("/clinicians/{user_uuid}/availability", response=ClinicianHoursOut)
def get_availability(request: HttpRequest, user_uuid: ClinicianId) -> dict[str, Any]:
    """A clinician's weekly hours (clinic time) and coming time off."""
    actor = _require(request)
    membership = services.clinician_membership(actor.organization_id, user_uuid)
    if membership is None:
        raise Http404("No such clinician.")
    return {
        "clinician": _clinician_out(membership),
        "time_zone": settings.TIME_ZONE,
        "weekly_hours": list(Availability.objects.filter(clinician=membership.user)),
        "time_off": list(
            TimeOff.objects.filter(clinician=membership.user, ends_at__gt=timezone.now())
        ),
    }


@router.get("/appointments", response=list[AppointmentOut])
def list_appointments(
    request: HttpRequest,
    day: dt.date | None = DAY,
    clinician: str = CLINICIAN_FILTER,
) -> list[Appointment]:
    """The appointments (any status) of one day of the organization, by start."""
    actor = _require(request)
    user = None
    if clinician:
        membership = services.clinician_membership(actor.organization_id, clinician)
        if membership is None:
            raise ValidationError({"clinician": ["No such clinician in this organization."]})
        user = membership.user
    found = appointments_on(actor.organization, day or timezone.localdate(), user)
    record(
        "appointment.list",
        actor=actor.user,
        organization=actor.organization,
        detail={"day": (day or timezone.localdate()).isoformat(), "count": len(found)},
    )
    return found


@router.get("/patients/{patient_uuid}/appointments", response=list[AppointmentOut])
def list_patient_appointments(request: HttpRequest, patient_uuid: PatientId) -> list[Appointment]:
    """Every appointment of a patient, latest first."""
    actor = _require(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    found = list(
        Appointment.objects.filter(patient=patient)
        .select_related("patient", "clinician", "booked_by")
        .order_by("-starts_at", "-id")
    )
    record(
        "appointment.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(found)},
    )
    return found


@router.post("/patients/{patient_uuid}/appointments", response={201: AppointmentOut})
def book_appointment(
    request: HttpRequest, patient_uuid: PatientId, payload: AppointmentIn
) -> Status:
    """Book an appointment. Refusals name the field: `clinician` (not an active prescriber or
    nurse here), `starts_at` (naive, past, off the 5-minute grid, outside hours, time off,
    overlapping), `duration_minutes`, `video_url`, `mode` (no telehealth consent)."""
    actor = _require(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    membership = services.clinician_membership(actor.organization_id, payload.clinician)
    appointment = services.book_appointment(
        actor,
        patient,
        clinician=membership.user if membership else None,
        kind=payload.kind,
        mode=payload.mode,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        video_url=payload.video_url,
    )
    return Status(201, appointment)


@router.get("/appointments/{appointment_uuid}", response=AppointmentOut)
def get_appointment_detail(request: HttpRequest, appointment_uuid: AppointmentId) -> Appointment:
    """One appointment."""
    actor = _require(request)
    appointment = get_appointment(actor, appointment_uuid)
    read_appointment(actor, appointment)
    return appointment


@router.post("/appointments/{appointment_uuid}/reschedule", response=AppointmentOut)
def reschedule_appointment(
    request: HttpRequest, appointment_uuid: AppointmentId, payload: RescheduleIn
) -> Appointment:
    """Move a booked appointment (audited with the old and new time)."""
    actor = _require(request)
    appointment = get_appointment(actor, appointment_uuid)
    return services.reschedule_appointment(
        actor,
        appointment,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
    )


@router.post("/appointments/{appointment_uuid}/status", response=AppointmentOut)
def change_appointment_status(
    request: HttpRequest, appointment_uuid: AppointmentId, payload: StatusIn
) -> Appointment:
    """Mark arrived, fulfilled, no-show, or cancelled (with a reason)."""
    actor = _require(request)
    appointment = get_appointment(actor, appointment_uuid)
    return services.change_status(actor, appointment, status=payload.status, reason=payload.reason)


@router.post("/appointments/{appointment_uuid}/cancel", response=AppointmentOut)
def cancel_appointment(
    request: HttpRequest, appointment_uuid: AppointmentId, payload: CancelIn
) -> Appointment:
    """Cancel a booked appointment with a reason (appointments are never deleted)."""
    actor = _require(request)
    appointment = get_appointment(actor, appointment_uuid)
    return services.cancel_appointment(actor, appointment, reason=payload.reason)


@router.get("/patients/{patient_uuid}/follow-ups", response=list[FollowUpOut])
def list_follow_ups(request: HttpRequest, patient_uuid: PatientId) -> list[Any]:
    """The patient's outstanding follow-up visits (clinical: prescribers and nurses; the
    reasons name drug classes)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    return follow_ups_for([patient.pk], today=timezone.localdate())[patient.pk]
