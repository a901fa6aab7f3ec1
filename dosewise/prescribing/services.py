"""Write path for prescriptions and the medication history.

Every new prescription, dose change, switch and resumption goes through the safety engine with
the chart's facts. `contraindicated` findings need an override reason, `major` ones an
acknowledgement; both are stored as `SafetyOverride` rows and audited. Each service is one
transaction that locks the patient and checks the regimen version the caller saw, so two
clinicians cannot silently overwrite each other's change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.clinical.observations import latest_labs
from dosewise.domain import controlled
from dosewise.domain import regimen as history
from dosewise.domain.ages import age_in_years
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.knowledge.model import Drug
from dosewise.domain.safety import Finding, Medication, Order, PatientFacts, Severity, Sex, check
from dosewise.domain.sig import Dose, SigError, days_supply_for, quantity_for, sig
from dosewise.patients.models import Allergy, Patient
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.records import mark_entered_in_error

Reason = RegimenEvent.Reason


class SafetyBlock(Exception):
    """Findings that need an override reason (contraindicated) or an acknowledgement (major)."""

    def __init__(
        self,
        findings: list[Finding],
        needs_reason: list[Finding],
        needs_acknowledgement: list[Finding],
    ):
        self.findings = findings
        self.needs_reason = needs_reason
        self.needs_acknowledgement = needs_acknowledgement
        codes = ", ".join(item.code for item in needs_reason + needs_acknowledgement)
        super().__init__(f"Safety review needed before signing: {codes}")


class EditConflict(Exception):
    """The regimen changed since the caller last read it."""

    def __init__(self, expected: int, current: int):
        self.expected = expected
        self.current = current
        super().__init__(
            f"The medication list changed since you opened it (version {expected}, now {current}). "
            "Review the current list and submit again."
        )


@dataclass(frozen=True)
class OrderInput:
    """What the prescriber enters; the service derives the sig, quantity and schedule."""

    drug: str
    form: str
    strength_mg: Decimal
    dose_amount: Decimal
    dose_unit: str
    times_per_day: Decimal | None = None
    route: str = Prescription.Route.ORAL
    timings: tuple[str, ...] = ()
    is_prn: bool = False
    prn_max_per_day: Decimal | None = None
    prn_reason: str = ""
    start_on: dt.date | None = None
    duration_days: int | None = None
    quantity: Decimal | None = None
    days_supply: int | None = None
    refills: int = 0
    earliest_fill_on: dt.date | None = None
    substitution_allowed: bool = True
    indication: Diagnosis | None = None
    note_to_pharmacist: str = ""
    pdmp_checked_on: dt.date | None = None


@dataclass(frozen=True)
class Derived:
    """What the service works out from the order: the sig, quantity, days' supply, start."""

    sig: str
    quantity: Decimal | None
    days_supply: int | None
    start_on: dt.date


@dataclass(frozen=True)
class SafetyDecision:
    """The prescriber's answers to findings: reasons to override, codes acknowledged."""

    reasons: Mapping[str, str] = field(default_factory=dict)
    acknowledged: frozenset[str] = frozenset()


# --- Facts from the chart --------------------------------------------------------------------


def chart_facts(patient: Patient, *, on: dt.date) -> PatientFacts:
    """What the safety engine knows about the patient; unknown stays None, never 'no'."""
    sexes: dict[str, Sex] = {"F": Sex.FEMALE, "M": Sex.MALE}
    sex = sexes.get(patient.sex_at_birth, Sex.UNKNOWN)
    pregnancy = {"pregnant": True, "not-pregnant": False, "not-applicable": False}.get(
        patient.pregnancy_status
    )
    lactation = {"breastfeeding": True, "not-breastfeeding": False, "not-applicable": False}.get(
        patient.lactation_status
    )
    smokers: dict[str, bool] = {
        Patient.SmokingStatus.CURRENT_EVERY_DAY: True,
        Patient.SmokingStatus.CURRENT_SOME_DAY: True,
        Patient.SmokingStatus.FORMER: False,
        Patient.SmokingStatus.NEVER: False,
    }
    smoker = smokers.get(patient.smoking_status)
    recorded = list(
        patient.allergies.filter(status=Allergy.Status.ACTIVE).values_list("substance", "type")
    )
    allergies = [substance for substance, kind in recorded if kind == Allergy.Type.ALLERGY]
    intolerances = [substance for substance, kind in recorded if kind == Allergy.Type.INTOLERANCE]
    conditions = Diagnosis.objects.filter(patient=patient).active().values_list("code", flat=True)
    return PatientFacts(
        age=age_in_years(patient.date_of_birth, on=on),
        sex=sex,
        pregnant=pregnancy,
        breastfeeding=lactation,
        weight_kg=patient.weight_kg,
        smoker=smoker,
        allergies=tuple(allergies),
        intolerances=tuple(intolerances),
        conditions=tuple(sorted(set(conditions))),
        labs=latest_labs(patient, on=on),
    )


def _events(patient: Patient) -> list[history.Event]:
    return [
        history.Event(pk, history.EventKind(kind), prescription_id, effective_on, replaces_id)
        for pk, kind, prescription_id, effective_on, replaces_id in RegimenEvent.objects.filter(
            patient=patient
        )
        .order_by("id")
        .values_list("id", "kind", "prescription_id", "effective_on", "replaces_id")
    ]


def current_prescriptions(patient: Patient, *, on: dt.date) -> list[Prescription]:
    """The regimen on `on`, derived from the medication history."""
    active = history.active_on(_events(patient), on)
    return list(
        Prescription.objects.filter(pk__in=active)
        .select_related("prescriber", "indication")
        .order_by("drug", "start_on")
    )


def regimen_for_check(
    patient: Patient, *, on: dt.date, leaving_out: Iterable[int] = ()
) -> list[Medication]:
    """Current and previously stopped medications as the engine sees them."""
    events = _events(patient)
    knowledge = default_knowledge()
    skip = set(leaving_out)
    intervals = [
        interval for interval in history.intervals(events) if interval.prescription not in skip
    ]
    prescriptions = Prescription.objects.in_bulk([interval.prescription for interval in intervals])
    medications = []
    for interval in intervals:
        prescription = prescriptions[interval.prescription]
        if interval.start > on:
            continue
        medications.append(
            Medication(
                drug=knowledge.find(prescription.drug),
                dose_mg=prescription.dose_mg,
                times_per_day=prescription.prn_max_per_day
                if prescription.is_prn
                else prescription.times_per_day,
                start=interval.start,
                stop=interval.end if interval.end is not None and interval.end <= on else None,
                refills=prescription.refills,
                days_supply=prescription.days_supply,
            )
        )
    return medications


def _drug(name: str) -> Drug:
    try:
        return default_knowledge().find(name)
    except UnknownDrug as exc:
        raise ValidationError({"drug": [str(exc)]}) from None


def seen_in_person(patient: Patient) -> bool:
    return (
        Encounter.objects.in_record()
        .filter(patient=patient, mode=Encounter.Mode.IN_PERSON, status=Encounter.Status.SIGNED)
        .exists()
    )


def review(
    actor: Membership,
    patient: Patient,
    order: OrderInput,
    *,
    replacing: Prescription | None = None,
    ending: Prescription | None = None,
    on: dt.date | None = None,
) -> list[Finding]:
    """The findings a prescriber sees before signing (no write).

    `replacing`: the prescription a dose change or resumption concerns. The engine itself treats
    an order for a drug already in the current regimen as a dose change of it; a held
    prescription counts as stopped, so resuming it after a long gap re-checks the starting dose
    (lamotrigine must be re-titrated after five half-lives).
    `ending`: a switch; that prescription counts as stopped today (washouts apply).
    """
    today = on or timezone.localdate()
    drug = _drug(order.drug)
    dose = Dose(order.dose_amount, order.dose_unit, order.strength_mg)
    per_day = order.prn_max_per_day if order.is_prn else order.times_per_day
    engine_order = Order(
        drug=drug,
        dose_mg=dose.mg,
        times_per_day=per_day or Decimal(1),
        start=order.start_on or today,
        refills=order.refills,
        days_supply=order.days_supply,
    )
    regimen = regimen_for_check(patient, on=today)
    if ending is not None:
        regimen = [
            replace(med, stop=today) if med.drug.name == ending.drug and med.stop is None else med
            for med in regimen
        ]
    knowledge = default_knowledge()
    findings = check(engine_order, regimen, chart_facts(patient, on=today), knowledge, on=today)
    extra = controlled.telemedicine_finding(
        drug=drug.name,
        drug_schedule=drug.dea_schedule,
        seen_in_person=seen_in_person(patient),
        on=today,
        flexibilities_end=settings.DEA_TELEMEDICINE_FLEXIBILITIES_END,
    )
    if extra is not None:
        findings = sorted([*findings, extra], key=Finding.sort_key)
    return findings


def still_needed(
    findings: list[Finding], decision: SafetyDecision = SafetyDecision()
) -> tuple[list[Finding], list[Finding]]:
    """(findings that still need a reason, findings that still need an acknowledgement)."""
    needs_reason = [
        item
        for item in findings
        if item.severity is Severity.CONTRAINDICATED
        and not decision.reasons.get(item.code, "").strip()
    ]
    needs_ack = [
        item
        for item in findings
        if item.severity is Severity.MAJOR
        and item.code not in decision.acknowledged
        and not decision.reasons.get(item.code, "").strip()
    ]
    return needs_reason, needs_ack


def _decide(findings: list[Finding], decision: SafetyDecision) -> list[tuple[Finding, str]]:
    """Raise SafetyBlock unless every contraindicated finding has a reason and every major one
    is acknowledged; return the findings to store as overrides."""
    needs_reason, needs_ack = still_needed(findings, decision)
    if needs_reason or needs_ack:
        raise SafetyBlock(findings, needs_reason, needs_ack)
    return [
        (item, decision.reasons.get(item.code, "").strip() or "Acknowledged")
        for item in findings
        if item.severity in (Severity.CONTRAINDICATED, Severity.MAJOR)
    ]


# --- Validation -------------------------------------------------------------------------------


def validate_order(
    actor: Membership, patient: Patient, order: OrderInput, drug: Drug, *, today: dt.date
) -> Derived:
    """Hard rules (not overridable): shape, indication, DEA registration, refill law, PDMP."""
    errors: dict[str, list[str]] = {}
    dose = Dose(order.dose_amount, order.dose_unit, order.strength_mg)
    try:
        text = sig(
            dose,
            route=order.route,
            times_per_day=order.times_per_day,
            timings=order.timings,
            prn=order.is_prn,
            prn_max_per_day=order.prn_max_per_day,
            prn_reason=order.prn_reason,
        )
    except SigError as exc:
        field_name = str(exc).split(" ", 1)[0].rstrip(":")
        raise ValidationError(
            {
                field_name if field_name in OrderInput.__dataclass_fields__ else "dose_amount": [
                    str(exc)
                ]
            }
        ) from None
    if order.dose_unit not in Prescription.DoseUnit.values:
        errors["dose_unit"] = [
            f"Unknown unit {order.dose_unit!r}; use {', '.join(Prescription.DoseUnit.values)}."
        ]
    if order.route not in Prescription.Route.values:
        errors["route"] = [f"Unknown route {order.route!r}."]
    start = order.start_on or today
    if start < today - dt.timedelta(days=30):
        errors["start_on"] = ["A new prescription cannot start more than 30 days in the past."]
    elif start > today + dt.timedelta(days=365):
        errors["start_on"] = ["A prescription cannot start more than a year ahead."]
    if order.strength_mg >= Decimal(100000):
        errors["strength_mg"] = ["Strength is implausibly large; check the units (mg)."]
    if order.dose_amount >= Decimal(1000):
        errors["dose_amount"] = ["Dose amount is implausibly large; check the units."]
    if order.refills > 11:
        errors["refills"] = ["At most 11 refills (a year of monthly fills)."]
    if order.indication is None:
        errors["indication"] = ["Choose the diagnosis this prescription treats."]
    elif (
        order.indication.patient_id != patient.pk
        or order.indication.status not in Diagnosis.ACTIVE_STATUSES
    ):
        errors["indication"] = ["The indication must be one of this patient's active diagnoses."]
    if problem := controlled.registration_problem(
        drug.dea_schedule, actor.dea_schedules if actor.dea_number else []
    ):
        errors["drug"] = [problem]
    if problem := controlled.refill_problem(drug.dea_schedule, order.refills):
        errors["refills"] = [problem]
    if drug.dea_schedule:
        if order.pdmp_checked_on is None:
            errors["pdmp_checked_on"] = [
                "Record the date you checked the state PDMP before a controlled prescription."
            ]
        elif not today - dt.timedelta(days=7) <= order.pdmp_checked_on <= today:
            errors["pdmp_checked_on"] = [
                "The PDMP check must be from the last 7 days (and not in the future)."
            ]
    quantity = order.quantity
    days = order.days_supply
    if actor.role != Membership.Role.PRESCRIBER:
        errors["prescriber"] = ["Only prescribers sign prescriptions."]
    try:
        if quantity is None and days is not None:
            quantity = quantity_for(
                days,
                dose,
                times_per_day=order.times_per_day,
                prn=order.is_prn,
                prn_max_per_day=order.prn_max_per_day,
            )
        elif days is None and quantity is not None:
            days = days_supply_for(
                quantity,
                dose,
                times_per_day=order.times_per_day,
                prn=order.is_prn,
                prn_max_per_day=order.prn_max_per_day,
            )
    except SigError as exc:
        errors["quantity" if quantity is not None else "days_supply"] = [str(exc)]
    if quantity is not None and quantity >= Decimal(100000):
        errors["quantity"] = ["Quantity is implausibly large."]
    if days is not None and days > 365:
        errors["days_supply"] = ["A prescription covers at most 365 days."]
    if drug.dea_schedule.startswith("2") and days is not None and days > 90:
        errors["days_supply"] = ["A Schedule II prescription covers at most 90 days."]
    if errors:
        raise ValidationError(errors)
    return Derived(sig=text, quantity=quantity, days_supply=days, start_on=start)


def _lock_patient(patient: Patient, expected_version: int | None) -> Patient:
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if expected_version is not None and expected_version != locked.regimen_version:
        raise EditConflict(expected_version, locked.regimen_version)
    return locked


def _bump(patient: Patient) -> None:
    patient.regimen_version += 1
    patient.save(update_fields=["regimen_version"])


def _store_overrides(
    actor: Membership, prescription: Prescription, overridden: list[tuple[Finding, str]]
) -> None:
    for item, reason in overridden:
        SafetyOverride.objects.create(
            organization=actor.organization,
            patient=prescription.patient,
            prescription=prescription,
            code=item.code,
            severity=item.severity.value,
            drugs=list(item.drugs),
            message=item.message,
            reason=reason,
            author=actor.user,
        )
        record(
            "safety.override",
            actor=actor.user,
            organization=actor.organization,
            patient=prescription.patient,
            target=prescription,
            detail={"code": item.code, "severity": item.severity.value, "reason": reason},
        )


def _create(
    actor: Membership,
    patient: Patient,
    order: OrderInput,
    drug: Drug,
    derived: Derived,
    *,
    replaces: Prescription | None,
) -> Prescription:
    return Prescription.objects.create(
        organization=actor.organization,
        patient=patient,
        drug=drug.name,
        form=order.form,
        strength_mg=order.strength_mg,
        dose_amount=order.dose_amount,
        dose_unit=order.dose_unit,
        route=order.route,
        times_per_day=None if order.is_prn else order.times_per_day,
        timings=list(order.timings),
        is_prn=order.is_prn,
        prn_max_per_day=order.prn_max_per_day if order.is_prn else None,
        prn_reason=order.prn_reason,
        sig=derived.sig,
        start_on=derived.start_on,
        duration_days=order.duration_days,
        quantity=derived.quantity,
        days_supply=derived.days_supply,
        refills=order.refills,
        earliest_fill_on=order.earliest_fill_on,
        substitution_allowed=order.substitution_allowed,
        indication=order.indication,
        note_to_pharmacist=order.note_to_pharmacist,
        dea_schedule=drug.dea_schedule,
        pdmp_checked_on=order.pdmp_checked_on,
        pdmp_checked_by=actor.user if order.pdmp_checked_on else None,
        status=Prescription.Status.ACTIVE,
        replaces=replaces,
        prescriber=actor.user,
    )


def _event(
    actor: Membership,
    prescription: Prescription,
    kind: str,
    *,
    effective_on: dt.date,
    reason: str,
    reason_text: str = "",
    replaces: Prescription | None = None,
) -> RegimenEvent:
    if reason not in Reason.values:
        raise ValidationError(
            {"reason": [f"Unknown reason {reason!r}; use {', '.join(Reason.values)}."]}
        )
    if reason == Reason.OTHER and not reason_text.strip():
        raise ValidationError({"reason_text": ["Describe the reason when it is 'other'."]})
    event = RegimenEvent.objects.create(
        organization=actor.organization,
        patient=prescription.patient,
        prescription=prescription,
        replaces=replaces,
        kind=kind,
        effective_on=effective_on,
        reason=reason,
        reason_text=reason_text.strip()[:300],
        daily_mg=prescription.daily_mg,
        author=actor.user,
    )
    record(
        f"regimen.{kind}",
        actor=actor.user,
        organization=actor.organization,
        patient=prescription.patient,
        target=prescription,
        detail={
            "drug": prescription.drug,
            "reason": reason,
            "effective_on": effective_on.isoformat(),
        },
    )
    return event


# --- Services -----------------------------------------------------------------------------------


@write_service(Need.CLINICAL_WRITE)
def prescribe(
    actor: Membership,
    patient: Patient,
    order: OrderInput,
    *,
    decision: SafetyDecision = SafetyDecision(),
    expected_regimen_version: int | None = None,
    today: dt.date | None = None,
) -> Prescription:
    """Sign a new prescription after the safety review."""
    today = today or timezone.localdate()
    locked = _lock_patient(patient, expected_regimen_version)
    drug = _drug(order.drug)
    derived = validate_order(actor, locked, order, drug, today=today)
    overridden = _decide(review(actor, locked, order, on=today), decision)
    prescription = _create(actor, locked, order, drug, derived, replaces=None)
    _event(
        actor,
        prescription,
        RegimenEvent.Kind.STARTED,
        effective_on=prescription.start_on,
        reason=Reason.NEW_TREATMENT,
    )
    _store_overrides(actor, prescription, overridden)
    _bump(locked)
    return prescription


@write_service(Need.CLINICAL_WRITE)
def record_outside_medication(
    actor: Membership,
    patient: Patient,
    *,
    drug: str,
    dose_amount: Decimal,
    dose_unit: str,
    strength_mg: Decimal,
    times_per_day: Decimal | None,
    source: str,
    form: str = "",
    is_prn: bool = False,
    prn_max_per_day: Decimal | None = None,
    outside_prescriber: str = "",
    start_on: dt.date | None = None,
    expected_regimen_version: int | None = None,
) -> Prescription:
    """Medication reconciliation: a drug from another prescriber, over the counter or a
    supplement. It counts in every later safety check. Nurses may record it too."""
    if source not in (
        Prescription.Source.OUTSIDE,
        Prescription.Source.OVER_THE_COUNTER,
        Prescription.Source.SUPPLEMENT,
    ):
        raise ValidationError(
            {"source": ["Choose outside prescriber, over the counter or supplement."]}
        )
    locked = _lock_patient(patient, expected_regimen_version)
    known = _drug(drug)
    dose = Dose(dose_amount, dose_unit, strength_mg)
    try:
        text = sig(
            dose,
            route="oral",
            times_per_day=times_per_day,
            prn=is_prn,
            prn_max_per_day=prn_max_per_day,
        )
    except SigError as exc:
        raise ValidationError({"dose_amount": [str(exc)]}) from None
    prescription = Prescription.objects.create(
        organization=actor.organization,
        patient=locked,
        source=source,
        drug=known.name,
        form=form or dose_unit,
        strength_mg=strength_mg,
        dose_amount=dose_amount,
        dose_unit=dose_unit,
        times_per_day=None if is_prn else times_per_day,
        is_prn=is_prn,
        prn_max_per_day=prn_max_per_day if is_prn else None,
        sig=text,
        start_on=start_on or timezone.localdate(),
        outside_prescriber=outside_prescriber,
        dea_schedule=known.dea_schedule,
        status=Prescription.Status.ACTIVE,
    )
    _event(
        actor,
        prescription,
        RegimenEvent.Kind.STARTED,
        effective_on=prescription.start_on,
        reason=Reason.RECONCILIATION,
    )
    _bump(locked)
    return prescription


def _require_prescriber(actor: Membership, prescription: Prescription) -> None:
    """Prescription decisions are the prescriber's; nurses reconcile outside medications only."""
    if actor.role != Membership.Role.PRESCRIBER and not prescription.is_outside:
        raise ValidationError(
            {
                "prescriber": [
                    "Only prescribers change prescriptions; nurses may update outside medications."
                ]
            }
        )


def _require_active(prescription: Prescription, *statuses: str) -> Prescription:
    locked = (
        Prescription.objects.select_for_update().select_related("patient").get(pk=prescription.pk)
    )
    allowed = statuses or (Prescription.Status.ACTIVE,)
    if locked.status not in allowed:
        raise ValidationError(
            {"status": [f"This prescription is {locked.get_status_display().lower()}."]}
        )
    return locked


def _replace(
    actor: Membership,
    prescription: Prescription,
    order: OrderInput,
    *,
    kind: str,
    reason: str,
    reason_text: str,
    decision: SafetyDecision,
    expected_regimen_version: int | None,
    today: dt.date | None,
) -> Prescription:
    """A new prescription replaces `prescription` from the order's start date."""
    today = today or timezone.localdate()
    locked_patient = _lock_patient(prescription.patient, expected_regimen_version)
    old = _require_active(prescription, Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD)
    drug = _drug(order.drug)
    same_drug = drug.name == old.drug
    if kind == RegimenEvent.Kind.SWITCHED and same_drug:
        raise ValidationError(
            {"drug": ["Switching needs a different drug; use change dose for the same drug."]}
        )
    if kind != RegimenEvent.Kind.SWITCHED and not same_drug:
        raise ValidationError(
            {"drug": ["A dose change or renewal keeps the drug; use switch to change drugs."]}
        )
    derived = validate_order(actor, locked_patient, order, drug, today=today)
    if kind == RegimenEvent.Kind.SWITCHED:
        findings = review(actor, locked_patient, order, ending=old, on=today)
    else:
        findings = review(actor, locked_patient, order, replacing=old, on=today)
    overridden = _decide(findings, decision)
    new = _create(actor, locked_patient, order, drug, derived, replaces=old)
    old.status = (
        Prescription.Status.STOPPED
        if kind != RegimenEvent.Kind.RENEWED
        else Prescription.Status.COMPLETED
    )
    old.save(update_fields=["status", "updated_at"])
    _event(
        actor,
        new,
        kind,
        effective_on=new.start_on,
        reason=reason,
        reason_text=reason_text,
        replaces=old,
    )
    _store_overrides(actor, new, overridden)
    _bump(locked_patient)
    return new


@write_service(Need.CLINICAL_WRITE)
def change_dose(
    actor: Membership,
    prescription: Prescription,
    order: OrderInput,
    *,
    reason: str,
    reason_text: str = "",
    decision: SafetyDecision = SafetyDecision(),
    expected_regimen_version: int | None = None,
    today: dt.date | None = None,
) -> Prescription:
    """A new dose of the same drug: a new prescription replaces the old one from `start_on`."""
    return _replace(
        actor,
        prescription,
        order,
        kind=RegimenEvent.Kind.DOSE_CHANGED,
        reason=reason,
        reason_text=reason_text,
        decision=decision,
        expected_regimen_version=expected_regimen_version,
        today=today,
    )


@write_service(Need.CLINICAL_WRITE)
def switch(
    actor: Membership,
    prescription: Prescription,
    order: OrderInput,
    *,
    reason: str,
    reason_text: str = "",
    decision: SafetyDecision = SafetyDecision(),
    expected_regimen_version: int | None = None,
    today: dt.date | None = None,
) -> Prescription:
    """Replace one drug with another from `start_on` (a direct switch; cross-tapers are plans).
    The old drug counts as stopped that day, so washout rules apply to the new one."""
    return _replace(
        actor,
        prescription,
        order,
        kind=RegimenEvent.Kind.SWITCHED,
        reason=reason,
        reason_text=reason_text,
        decision=decision,
        expected_regimen_version=expected_regimen_version,
        today=today,
    )


def _simple_change(
    actor: Membership,
    prescription: Prescription,
    *,
    kind: str,
    new_status: str,
    allowed: tuple[str, ...],
    reason: str,
    reason_text: str,
    effective_on: dt.date | None,
    expected_regimen_version: int | None,
) -> Prescription:
    _require_prescriber(actor, prescription)
    locked_patient = _lock_patient(prescription.patient, expected_regimen_version)
    locked = _require_active(prescription, *allowed)
    locked.status = new_status
    locked.save(update_fields=["status", "updated_at"])
    _event(
        actor,
        locked,
        kind,
        effective_on=effective_on or timezone.localdate(),
        reason=reason,
        reason_text=reason_text,
    )
    _bump(locked_patient)
    return locked


@write_service(Need.CLINICAL_WRITE)
def hold(
    actor: Membership,
    prescription: Prescription,
    *,
    reason: str,
    reason_text: str = "",
    effective_on: dt.date | None = None,
    expected_regimen_version: int | None = None,
) -> Prescription:
    """Pause a prescription (e.g. side effects, surgery); resume checks safety again."""
    return _simple_change(
        actor,
        prescription,
        kind=RegimenEvent.Kind.HELD,
        new_status=Prescription.Status.ON_HOLD,
        allowed=(Prescription.Status.ACTIVE,),
        reason=reason,
        reason_text=reason_text,
        effective_on=effective_on,
        expected_regimen_version=expected_regimen_version,
    )


@write_service(Need.CLINICAL_WRITE)
def discontinue(
    actor: Membership,
    prescription: Prescription,
    *,
    reason: str,
    reason_text: str = "",
    effective_on: dt.date | None = None,
    expected_regimen_version: int | None = None,
) -> Prescription:
    """Stop a prescription; it keeps counting in washout checks for about five half-lives."""
    return _simple_change(
        actor,
        prescription,
        kind=RegimenEvent.Kind.DISCONTINUED,
        new_status=Prescription.Status.STOPPED,
        allowed=(Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD),
        reason=reason,
        reason_text=reason_text,
        effective_on=effective_on,
        expected_regimen_version=expected_regimen_version,
    )


@write_service(Need.CLINICAL_WRITE)
def resume(
    actor: Membership,
    prescription: Prescription,
    *,
    reason: str,
    reason_text: str = "",
    decision: SafetyDecision = SafetyDecision(),
    expected_regimen_version: int | None = None,
    today: dt.date | None = None,
) -> Prescription:
    """Resume a held prescription after a fresh safety review (the regimen may have changed)."""
    today = today or timezone.localdate()
    _require_prescriber(actor, prescription)
    locked_patient = _lock_patient(prescription.patient, expected_regimen_version)
    locked = _require_active(prescription, Prescription.Status.ON_HOLD)
    order = _as_order(locked, start_on=today)
    overridden = _decide(review(actor, locked_patient, order, replacing=locked, on=today), decision)
    locked.status = Prescription.Status.ACTIVE
    locked.save(update_fields=["status", "updated_at"])
    _event(
        actor,
        locked,
        RegimenEvent.Kind.RESUMED,
        effective_on=today,
        reason=reason,
        reason_text=reason_text,
    )
    _store_overrides(actor, locked, overridden)
    _bump(locked_patient)
    return locked


def _as_order(prescription: Prescription, **changes: object) -> OrderInput:
    base = OrderInput(
        drug=prescription.drug,
        form=prescription.form,
        strength_mg=prescription.strength_mg,
        dose_amount=prescription.dose_amount,
        dose_unit=prescription.dose_unit,
        times_per_day=prescription.times_per_day,
        route=prescription.route,
        timings=tuple(prescription.timings),
        is_prn=prescription.is_prn,
        prn_max_per_day=prescription.prn_max_per_day,
        prn_reason=prescription.prn_reason,
        start_on=prescription.start_on,
        duration_days=prescription.duration_days,
        quantity=prescription.quantity,
        days_supply=prescription.days_supply,
        refills=prescription.refills,
        substitution_allowed=prescription.substitution_allowed,
        indication=prescription.indication,
        note_to_pharmacist=prescription.note_to_pharmacist,
        pdmp_checked_on=prescription.pdmp_checked_on,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@write_service(Need.CLINICAL_WRITE)
def renew(
    actor: Membership,
    prescription: Prescription,
    *,
    start_on: dt.date | None = None,
    earliest_fill_on: dt.date | None = None,
    refills: int | None = None,
    pdmp_checked_on: dt.date | None = None,
    decision: SafetyDecision = SafetyDecision(),
    expected_regimen_version: int | None = None,
    today: dt.date | None = None,
) -> Prescription:
    """A new prescription for the same dose (a Schedule II series uses `earliest_fill_on`)."""
    order = _as_order(
        prescription,
        start_on=start_on or today or timezone.localdate(),
        earliest_fill_on=earliest_fill_on,
        refills=prescription.refills if refills is None else refills,
        pdmp_checked_on=pdmp_checked_on,
        quantity=None,
    )
    return _replace(
        actor,
        prescription,
        order,
        kind=RegimenEvent.Kind.RENEWED,
        reason=Reason.RENEWAL,
        reason_text="",
        decision=decision,
        expected_regimen_version=expected_regimen_version,
        today=today,
    )


@write_service(Need.CLINICAL_WRITE)
def mark_prescription_entered_in_error(
    actor: Membership,
    prescription: Prescription,
    *,
    reason: str,
    expected_regimen_version: int | None = None,
) -> Prescription:
    """Withdraw a prescription written by mistake; it leaves the regimen and stays in the record."""
    _require_prescriber(actor, prescription)
    locked_patient = _lock_patient(prescription.patient, expected_regimen_version)
    marked = mark_entered_in_error(actor, prescription, reason=reason, noun="prescription")
    if not RegimenEvent.objects.filter(
        prescription=marked, kind=RegimenEvent.Kind.DISCONTINUED
    ).exists():
        _event(
            actor,
            marked,
            RegimenEvent.Kind.DISCONTINUED,
            effective_on=timezone.localdate(),
            reason=Reason.OTHER,
            reason_text=f"Entered in error: {reason}"[:300],
        )
    _bump(locked_patient)
    return marked
