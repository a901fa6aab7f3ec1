"""Write and read path for lab results and vitals: validate against the catalogue, convert to
the canonical unit, interpret, save, audit, raise an urgent alert for a critical result; and the
engine's latest labs.

Catalogue, conversions and flags: `dosewise.domain.labs` (docs/labs.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.observation_models import Observation
from dosewise.domain import labs
from dosewise.domain.safety.facts import LAB_UNITS, Lab
from dosewise.patients.models import Patient
from dosewise.records import mark_entered_in_error

BLOOD_PRESSURE = "blood_pressure"  # one entry, two rows (systolic and diastolic)


@dataclass(frozen=True)
class Reading:
    """A checked result, ready to store."""

    test: labs.LabTest
    loinc_code: str
    entered_value: Decimal | None
    entered_unit: str
    value: Decimal | None
    unit: str
    value_code: str


def _invalid(exc: labs.LabInputError) -> ValidationError:
    return ValidationError({exc.field: [str(exc)]})


def check_result(test: str, value: object, unit: str) -> Reading:
    """The result as it would be stored, or ValidationError naming the field (test, unit,
    value). `test` is a catalogue id or one of its LOINC codes."""
    try:
        lab_test = labs.find_test(str(test or ""))
        given = (test or "").strip()
        loinc_code = given if given in lab_test.loinc else lab_test.loinc[0]
        if lab_test.coded:
            if (unit or "").strip():
                raise labs.UnitNotAccepted(f"{lab_test.name} is a coded result: it takes no unit.")
            answer = lab_test.value_code(str(value or ""))
            return Reading(lab_test, loinc_code, None, "", None, "", answer.code)
        quantity = labs.to_canonical(lab_test, value, unit)
        option = lab_test.unit_option(unit)
        entered = labs.parse_decimal(value)
    except labs.LabInputError as exc:
        raise _invalid(exc) from None
    return Reading(lab_test, loinc_code, entered, option.code, quantity.value, quantity.unit, "")


def on_clozapine(patient: Patient, *, on: dt.date) -> bool:
    """Whether clozapine is in the patient's regimen on `on` (its ANC follows the label)."""
    # Imported here: prescribing.services imports this module for `latest_labs`.
    from dosewise.prescribing.services import current_prescriptions

    return any(p.drug == "clozapine" for p in current_prescriptions(patient, on=on))


def lab_context(patient: Patient, *, on: dt.date) -> labs.LabContext:
    """What about the patient changes how a result reads on `on`."""
    sexes: dict[str, str] = {"F": "female", "M": "male"}
    return labs.LabContext(
        on_clozapine=on_clozapine(patient, on=on),
        ben=patient.benign_ethnic_neutropenia,
        sex=sexes.get(patient.sex_at_birth, ""),
    )


def _check_date(effective_on: object, today: dt.date) -> dt.date:
    if not isinstance(effective_on, dt.date) or isinstance(effective_on, dt.datetime):
        raise ValidationError({"effective_on": ["Enter the date the sample was taken."]})
    if effective_on > today:
        raise ValidationError({"effective_on": ["The result date cannot be in the future."]})
    return effective_on


def _store(
    actor: Membership, patient: Patient, reading: Reading, *, effective_on: dt.date
) -> Observation:
    """Interpret, save, audit, and raise an urgent alert for a critical result."""
    # Imported here: clinical.alerts imports the models of other apps.
    from dosewise.clinical.alerts import raise_alert
    from dosewise.clinical.models import SafetyAlert

    context = lab_context(patient, on=effective_on)
    given = reading.value_code if reading.value is None else reading.value
    meaning = labs.interpret(reading.test, given, context=context)
    reference = meaning.reference
    high = None
    if reference is not None:
        high = reference.high if reference.high is not None else reference.below
    observation = Observation.objects.create(
        organization=patient.organization,
        patient=patient,
        test=reading.test.id,
        loinc_code=reading.loinc_code,
        value=reading.value,
        unit=reading.unit,
        entered_value=reading.entered_value,
        entered_unit=reading.entered_unit,
        value_code=reading.value_code,
        interpretation=meaning.flag.value,
        interpretation_note=meaning.message[:300],
        reference_low=reference.low if reference else None,
        reference_high=high,
        reference_text=(
            f"{reference.text(reading.unit)} ({reference.label})"[:120] if reference else ""
        ),
        effective_on=effective_on,
        recorded_by=actor.user,
    )
    record(
        "observation.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=observation,
        detail={"test": reading.test.id, "interpretation": meaning.flag.value},
    )
    if meaning.is_critical:
        raise_alert(
            actor,
            patient,
            kind=SafetyAlert.Kind.CRITICAL_LAB,
            reason=f"{meaning.message} {meaning.action}",
            observation=observation,
        )
    return observation


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
    """Record a lab result or vital sign (care team only): `test` is a catalogue id or a LOINC
    code, `value` a number in `unit` (one of the test's accepted units) or, for a coded test, one
    of its answers. A critical result opens an urgent alert in the same transaction."""
    reading = check_result(test, value, unit)
    effective_on = _check_date(effective_on, today or timezone.localdate())
    return _store(actor, patient, reading, effective_on=effective_on)


def parse_blood_pressure(value: str) -> tuple[str, str]:
    """ "128/82" -> ("128", "82"), or ValidationError on the value."""
    systolic, slash, diastolic = str(value or "").partition("/")
    if not slash or not systolic.strip() or not diastolic.strip():
        raise ValidationError(
            {"value": ["Enter blood pressure as systolic/diastolic, e.g. 128/82."]}
        )
    return systolic.strip(), diastolic.strip()


@write_service(Need.CLINICAL_WRITE)
def record_blood_pressure(
    actor: Membership,
    patient: Patient,
    *,
    systolic: object,
    diastolic: object,
    unit: str,
    effective_on: dt.date,
    today: dt.date | None = None,
) -> tuple[Observation, Observation]:
    """One blood-pressure reading as two rows (systolic, diastolic), both or neither."""
    high = check_result("bp_systolic", systolic, unit)
    low = check_result("bp_diastolic", diastolic, unit)
    if high.value is not None and low.value is not None and low.value >= high.value:
        raise ValidationError({"value": ["The diastolic pressure must be below the systolic."]})
    effective_on = _check_date(effective_on, today or timezone.localdate())
    return (
        _store(actor, patient, high, effective_on=effective_on),
        _store(actor, patient, low, effective_on=effective_on),
    )


@write_service(Need.CLINICAL_WRITE)
def mark_observation_entered_in_error(
    actor: Membership, observation: Observation, *, reason: str
) -> Observation:
    """Withdraw a result recorded for the wrong patient or by mistake; it stays, marked. A
    critical-result alert it raised closes with that reason on record."""
    from dosewise.clinical.alerts import close_alerts_raised_by  # see _store

    marked = mark_entered_in_error(actor, observation, reason=reason, noun="observation")
    close_alerts_raised_by(actor, marked, reason=reason)
    return marked


@write_service(Need.CLINICAL_WRITE)
def set_benign_ethnic_neutropenia(actor: Membership, patient: Patient, *, value: bool) -> Patient:
    """Record whether the patient has benign ethnic neutropenia (Duffy-null associated
    neutrophil count): later ANC results read against 1000/uL instead of 1500/uL (audited)."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.benign_ethnic_neutropenia == value:
        return locked
    locked.benign_ethnic_neutropenia = value
    locked.save(update_fields=["benign_ethnic_neutropenia", "updated_at"])
    record(
        "patient.benign-ethnic-neutropenia",
        actor=actor.user,
        organization=actor.organization,
        patient=locked,
        target=locked,
        detail={"benign_ethnic_neutropenia": value},
    )
    return locked


def results(patient: Patient, *, test: str = "") -> list[Observation]:
    """The patient's results, newest first, including those marked entered in error."""
    rows = Observation.objects.filter(patient=patient)
    if test:
        rows = rows.filter(test=test)
    return list(rows.select_related("recorded_by").prefetch_related("alerts"))


def latest_labs(patient: Patient, *, on: dt.date) -> tuple[Lab, ...]:
    """The latest result of each test the safety engine reads, up to `on`, in its units."""
    latest: dict[str, Lab] = {}
    rows = (
        Observation.objects.filter(
            patient=patient, effective_on__lte=on, test__in=LAB_UNITS, value__isnull=False
        )
        .in_record()
        .order_by("-effective_on", "-created_at", "-id")
        .values_list("test", "value", "unit", "effective_on")
    )
    for test, value, unit, effective_on in rows:
        if value is not None:  # filtered above; narrows the type
            latest.setdefault(test, Lab(test=test, value=value, unit=unit, on=effective_on))
    return tuple(latest[test] for test in sorted(latest))
