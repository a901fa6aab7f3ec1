"""Write and read path for lab results: validate, save, audit; the engine's latest labs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.observation_models import LAB_LABELS, Observation
from dosewise.domain.safety.facts import LAB_UNITS, Lab
from dosewise.patients.models import Patient
from dosewise.records import mark_entered_in_error

# Highest value any person could have for each test, in its unit; above is a typing mistake.
PLAUSIBLE_MAX = {
    "lithium": Decimal("10"),
    "valproate": Decimal("1000"),
    "anc": Decimal("100000"),
    "qtc": Decimal("1000"),
    "sodium": Decimal("250"),
    "potassium": Decimal("15"),
    "egfr": Decimal("250"),
    "alt": Decimal("20000"),
}


def _clean_value(test: str, value: object) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": ["Enter the result as a number."]}) from None
    if not number.is_finite():
        raise ValidationError({"value": ["Enter the result as a number."]})
    if number <= 0:
        raise ValidationError({"value": ["The result must be a positive number."]})
    limit = PLAUSIBLE_MAX[test]
    if number > limit:
        raise ValidationError(
            {
                "value": [
                    f"{number} {LAB_UNITS[test]} is not a plausible {LAB_LABELS[test]} "
                    f"(at most {limit}); check the value and its unit."
                ]
            }
        )
    if number != number.quantize(Decimal("0.001")):
        raise ValidationError({"value": ["Enter at most 3 decimal places."]})
    return number


@write_service(Need.CLINICAL_WRITE)
def record_observation(
    actor: Membership,
    patient: Patient,
    *,
    test: str,
    value: Decimal | str | float | int,
    unit: str,
    effective_on: dt.date,
    today: dt.date | None = None,
) -> Observation:
    """Record a lab result in its one accepted unit (never converted); the care team only."""
    if test not in LAB_UNITS:
        raise ValidationError({"test": [f"Unknown test; choose one of {', '.join(LAB_UNITS)}."]})
    expected = LAB_UNITS[test]
    if (unit or "").strip() != expected:
        raise ValidationError(
            {
                "unit": [
                    f"{LAB_LABELS[test]} is recorded in {expected}, not {unit or 'no unit'}; "
                    "enter the result in that unit."
                ]
            }
        )
    number = _clean_value(test, value)
    if not isinstance(effective_on, dt.date):
        raise ValidationError({"effective_on": ["Enter the date the sample was taken."]})
    if effective_on > (today or timezone.localdate()):
        raise ValidationError({"effective_on": ["The result date cannot be in the future."]})
    observation = Observation.objects.create(
        organization=actor.organization,
        patient=patient,
        test=test,
        value=number,
        unit=expected,
        effective_on=effective_on,
        recorded_by=actor.user,
    )
    record(
        "observation.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=observation,
        detail={"test": test},
    )
    return observation


@write_service(Need.CLINICAL_WRITE)
def mark_observation_entered_in_error(
    actor: Membership, observation: Observation, *, reason: str
) -> Observation:
    """Withdraw a result recorded for the wrong patient or by mistake; it stays, marked."""
    return mark_entered_in_error(actor, observation, reason=reason, noun="observation")


def results(patient: Patient) -> list[Observation]:
    """The patient's results, newest first, including those marked entered in error."""
    return list(Observation.objects.filter(patient=patient).select_related("recorded_by"))


def latest_labs(patient: Patient, *, on: dt.date) -> tuple[Lab, ...]:
    """The latest result of each test up to `on`, as the safety engine reads them."""
    latest: dict[str, Lab] = {}
    rows = (
        Observation.objects.filter(patient=patient, effective_on__lte=on)
        .in_record()
        .order_by("-effective_on", "-created_at", "-id")
        .values_list("test", "value", "unit", "effective_on")
    )
    for test, value, unit, effective_on in rows:
        latest.setdefault(test, Lab(test=test, value=value, unit=unit, on=effective_on))
    return tuple(latest[test] for test in sorted(latest))
