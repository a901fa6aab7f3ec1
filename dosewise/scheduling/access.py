"""Looking up an appointment goes through its patient's rules (`dosewise.access`):
demographics-level, organization-scoped, and a 404 (audited) that never says whether it
exists."""

from __future__ import annotations

import uuid

from django.http import Http404

from dosewise.access import Need, check_patient_access
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.scheduling.models import Appointment


def get_appointment(actor: Membership, appointment_uuid: object) -> Appointment:
    """The appointment with this public id, if `actor` may see its patient's demographics."""
    try:
        parsed: uuid.UUID | None = uuid.UUID(str(appointment_uuid))
    except ValueError:
        parsed = None
    found = (
        Appointment.objects.select_related("patient", "patient__organization", "clinician")
        .filter(uuid=parsed)
        .first()
        if parsed
        else None
    )
    if found is None:
        record(
            "access.denied",
            actor=actor.user,
            organization=actor.organization,
            detail={"what": "appointment", "id": str(appointment_uuid)},
        )
        raise Http404("No such record.")
    check_patient_access(actor, found.patient, Need.DEMOGRAPHICS)
    return found


def read_appointment(actor: Membership, appointment: Appointment) -> None:
    """Audit a read of one appointment."""
    record(
        "appointment.read",
        actor=actor.user,
        organization=actor.organization,
        patient=appointment.patient,
        target=appointment,
    )
