"""Demo data for reminders: the demo clinic's patients' contact preferences, so `make run`
shows reminders sent (var/mail/, var/sms/) as well as skipped for want of consent. Called by
`dosewise.demo.seed()`; every row goes through the service (validated, audited)."""

from __future__ import annotations

from dosewise.access import visible_patients
from dosewise.accounts.models import Membership
from dosewise.notifications import services
from dosewise.notifications.models import ContactPreference


def seed_contact_preferences(actor: Membership) -> int:
    """Record preferences for the patients of `actor`'s organization (a front desk member),
    in MRN order: every tenth declined, every tenth (from the fifth) has no answer recorded,
    every fourth prefers text messages, the others email. Returns how many were recorded;
    running it again records nothing new."""
    recorded = 0
    patients = visible_patients(actor).order_by("mrn")
    done = set(
        ContactPreference.objects.filter(patient__in=patients).values_list("patient_id", flat=True)
    )
    for index, patient in enumerate(patients):
        if patient.pk in done or index % 10 == 4:
            continue
        sms = index % 4 == 3
        services.set_contact_preference(
            actor,
            patient,
            reminders_consent=index % 10 != 9,
            email_allowed=bool(patient.email),
            sms_allowed=sms and bool(patient.phone),
            preferred_channel="sms" if sms and patient.phone else "email",
        )
        recorded += 1
    return recorded
