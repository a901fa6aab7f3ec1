"""Urgent safety alerts: raise one (inside the caller's write transaction) and tell the
patient's treating prescribers and the organization's on-call contact at once.

Sources: a positive suicide item or ASQ screen (`clinical.assessments`), a critical lab result
(`clinical.observations`), a severe side effect or a rash on a drug with a serious-rash warning
(`prescribing.side_effects`). Answering an alert is `clinical.assessments.resolve_alert`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import Assessment, Observation, SafetyAlert
from dosewise.patients.models import Patient
from dosewise.prescribing.side_effect_models import SideEffectReport

# What the email asks for, by kind; the message carries no patient details by design.
ASKS = {
    SafetyAlert.Kind.SUICIDE_RISK: "A screening answer needs a clinician's safety assessment now.",
    SafetyAlert.Kind.ACUTE_RISK: "A screening answer needs a clinician's safety assessment now.",
    SafetyAlert.Kind.CRITICAL_LAB: "A critical result needs a clinician's review now.",
    SafetyAlert.Kind.SEVERE_SIDE_EFFECT: "A side-effect report needs a clinician's review now.",
    SafetyAlert.Kind.SERIOUS_RASH: "A side-effect report needs a clinician's review now.",
}


def _notify(alert: SafetyAlert) -> None:
    """Email the patient's treating prescribers and the on-call contact (no PHI in the body)."""
    prescribers = Membership.objects.filter(
        organization=alert.organization,
        role=Membership.Role.PRESCRIBER,
        is_active=True,
        user__care_team_places__patient=alert.patient,
        user__care_team_places__ended_at__isnull=True,
    ).values_list("user__email", flat=True)
    recipients = sorted(
        {email for email in prescribers if email} | {alert.organization.on_call_email} - {""}
    )
    if not recipients:
        return
    link = settings.SITE_URL + reverse("patients:patient-chart", args=[alert.patient.uuid])
    send_mail(
        f"Dosewise urgent: {alert.get_kind_display()}",
        f"{ASKS[SafetyAlert.Kind(alert.kind)]}\n"
        f"Open the chart (sign-in required): {link}\n"
        "This message contains no patient details by design.",
        None,
        recipients,
    )


def raise_alert(
    actor: Membership,
    patient: Patient,
    *,
    kind: str,
    reason: str,
    assessment: Assessment | None = None,
    observation: Observation | None = None,
    side_effect: SideEffectReport | None = None,
) -> SafetyAlert:
    """Open an urgent alert for what was just recorded (exactly one source), audited; the email
    goes out when the caller's transaction commits. Call inside a write service."""
    alert = SafetyAlert.objects.create(
        organization=patient.organization,
        patient=patient,
        assessment=assessment,
        observation=observation,
        side_effect=side_effect,
        kind=kind,
        reason=reason[:300],
    )
    record(
        "safety-alert.raise",
        actor=actor.user,
        organization=patient.organization,
        patient=patient,
        target=alert,
        detail={"kind": kind},
    )
    transaction.on_commit(lambda: _notify(alert))
    return alert


def close_alerts_raised_by(
    actor: Membership,
    record_in_error: Assessment | Observation | SideEffectReport,
    *,
    reason: str,
) -> None:
    """Close the open alerts a record raised once it is marked entered in error: the danger it
    showed was never there. The reason stays on each alert (audited), and the worklist drops it.
    Call inside the service's transaction."""
    source, noun = {
        Assessment: ("assessment", "screening"),
        Observation: ("observation", "lab result"),
        SideEffectReport: ("side_effect", "side-effect report"),
    }[type(record_in_error)]
    alerts = SafetyAlert.objects.open().filter(**{source: record_in_error}).select_for_update()
    for alert in alerts:
        alert.resolved_at = timezone.now()
        alert.resolved_by = actor.user
        alert.safety_assessment = f"Closed: the {noun} was entered in error ({reason.strip()})."
        alert.save(update_fields=["resolved_at", "resolved_by", "safety_assessment"])
        record(
            "safety-alert.resolve",
            actor=actor.user,
            organization=actor.organization,
            patient=alert.patient,
            target=alert,
            detail={"why": f"{source} entered in error"},
        )
