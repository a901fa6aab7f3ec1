"""Prescribing services: every order is checked, history is appended, conflicts are caught."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.prescribing.services import EditConflict, OrderInput, SafetyBlock, SafetyDecision

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def depression(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F33.1", today=TODAY)


def sertraline(indication: Diagnosis, **changes: object) -> OrderInput:
    base = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        start_on=TODAY,
        days_supply=30,
        refills=2,
        indication=indication,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_prescribe_writes_prescription_event_and_audit(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    before = AuditEvent.objects.count()
    prescription = services.prescribe(prescriber, patient, sertraline(depression), today=TODAY)
    assert prescription.sig == "Take 1 tablet (50 mg) by mouth once daily in the morning."
    assert (prescription.quantity, prescription.days_supply, prescription.status) == (
        Decimal(30),
        30,
        "active",
    )
    assert list(RegimenEvent.objects.values_list("kind", "reason", "daily_mg")) == [
        ("started", "new-treatment", Decimal(50))
    ]
    assert actions()[before:] == ["regimen.started"]
    patient.refresh_from_db()
    assert patient.regimen_version == 1
    assert services.current_prescriptions(patient, on=TODAY) == [prescription]


def test_contraindicated_order_is_blocked_until_a_reason_is_given(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    services.prescribe(prescriber, patient, sertraline(depression), today=TODAY)
    mao = OrderInput(
        drug="phenelzine",
        form="tablet",
        strength_mg=Decimal(15),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(3),
        start_on=TODAY,
        days_supply=30,
        indication=depression,
    )
    with pytest.raises(SafetyBlock) as blocked:
        services.prescribe(prescriber, patient, mao, today=TODAY)
    assert [item.code for item in blocked.value.needs_reason] == ["maoi-with-serotonergic"]
    assert Prescription.objects.filter(drug="phenelzine").count() == 0
    decision = SafetyDecision(
        reasons={"maoi-with-serotonergic": "Sertraline stops today; specialist plan"}
    )
    prescription = services.prescribe(prescriber, patient, mao, decision=decision, today=TODAY)
    override = SafetyOverride.objects.get()
    assert (override.prescription, override.code, override.severity, override.reason) == (
        prescription,
        "maoi-with-serotonergic",
        "contraindicated",
        "Sertraline stops today; specialist plan",
    )
    assert "safety.override" in actions()


def test_major_finding_needs_acknowledgement(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    order = sertraline(
        depression, dose_amount=Decimal(5), days_supply=30
    )  # 250 mg/day: above label maximum
    with pytest.raises(SafetyBlock) as blocked:
        services.prescribe(prescriber, patient, order, today=TODAY)
    assert "dose-above-label-maximum" in [item.code for item in blocked.value.needs_acknowledgement]
    codes = frozenset(item.code for item in blocked.value.needs_acknowledgement)
    services.prescribe(
        prescriber, patient, order, decision=SafetyDecision(acknowledged=codes), today=TODAY
    )
    assert (
        SafetyOverride.objects.filter(
            code="dose-above-label-maximum", reason="Acknowledged"
        ).count()
        == 1
    )


def test_dose_change_replaces_the_prescription_and_keeps_history(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = services.prescribe(
        prescriber,
        patient,
        sertraline(depression, start_on=TODAY - dt.timedelta(days=20)),
        today=TODAY - dt.timedelta(days=20),
    )
    second = services.change_dose(
        prescriber,
        first,
        sertraline(depression, dose_amount=Decimal(2)),
        reason="ineffective",
        today=TODAY,
    )
    first.refresh_from_db()
    assert (first.status, second.replaces) == ("stopped", first)
    assert second.sig == "Take 2 tablets (100 mg) by mouth once daily in the morning."
    assert services.current_prescriptions(patient, on=TODAY) == [second]
    assert services.current_prescriptions(patient, on=TODAY - dt.timedelta(days=1)) == [first]
    assert list(RegimenEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "started",
        "dose_changed",
    ]


def test_switch_to_an_maoi_hits_the_washout(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = services.prescribe(
        prescriber,
        patient,
        sertraline(depression, start_on=TODAY - dt.timedelta(days=60)),
        today=TODAY - dt.timedelta(days=60),
    )
    mao = OrderInput(
        drug="phenelzine",
        form="tablet",
        strength_mg=Decimal(15),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(3),
        start_on=TODAY,
        days_supply=30,
        indication=depression,
    )
    with pytest.raises(SafetyBlock) as blocked:
        services.switch(prescriber, first, mao, reason="ineffective", today=TODAY)
    assert "washout-before-maoi" in [item.code for item in blocked.value.needs_reason]
    first.refresh_from_db()
    assert first.status == "active"


def test_hold_resume_discontinue(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    prescription = services.prescribe(prescriber, patient, sertraline(depression), today=TODAY)
    services.hold(prescriber, prescription, reason="side-effects", effective_on=TODAY)
    assert services.current_prescriptions(patient, on=TODAY) == []
    services.resume(
        prescriber, prescription, reason="other", reason_text="Nausea settled", today=TODAY
    )
    services.discontinue(
        prescriber, prescription, reason="remission", effective_on=TODAY + dt.timedelta(days=1)
    )
    assert list(RegimenEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "started",
        "held",
        "resumed",
        "discontinued",
    ]
    with pytest.raises(ValidationError):
        services.hold(prescriber, prescription, reason="cost")


def test_stale_regimen_version_is_an_edit_conflict(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    services.prescribe(
        prescriber, patient, sertraline(depression), expected_regimen_version=0, today=TODAY
    )
    with pytest.raises(EditConflict):
        services.prescribe(
            prescriber,
            patient,
            sertraline(depression, drug="bupropion", strength_mg=Decimal(150)),
            expected_regimen_version=0,
            today=TODAY,
        )
    assert Prescription.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dose_amount": Decimal(0)}, "dose_amount"),
        ({"dose_unit": "bucket"}, "dose_unit"),
        ({"drug": "sertralin"}, "drug"),
        ({"indication": None}, "indication"),
        ({"times_per_day": None}, "times_per_day"),
        ({"start_on": TODAY - dt.timedelta(days=90)}, "start_on"),
    ],
)
def test_bad_orders_are_refused_and_write_nothing(
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    changes: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(ValidationError) as error:
        services.prescribe(
            prescriber, patient, replace(sertraline(depression), **changes), today=TODAY
        )  # type: ignore[arg-type]
    assert field in error.value.message_dict
    assert Prescription.objects.count() == 0
    assert RegimenEvent.objects.count() == 0


def test_indication_must_be_the_patients(
    prescriber: Membership, patient: Patient, outsider: Membership
) -> None:
    from conftest import make_patient
    from dosewise.patients.models import CareTeamMember

    other = make_patient(prescriber.organization, "MRN-0009")
    CareTeamMember.objects.create(
        organization=other.organization,
        patient=other,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    foreign = clinical.add_diagnosis(prescriber, other, code="F41.1", today=TODAY)
    with pytest.raises(ValidationError) as error:
        services.prescribe(prescriber, patient, sertraline(foreign), today=TODAY)
    assert error.value.message_dict["indication"] == [
        "The indication must be one of this patient's active diagnoses."
    ]


def stimulant(indication: Diagnosis, **changes: object) -> OrderInput:
    base = OrderInput(
        drug="methylphenidate",
        form="tablet",
        strength_mg=Decimal(10),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(2),
        start_on=TODAY,
        days_supply=30,
        refills=0,
        indication=indication,
        pdmp_checked_on=TODAY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def adhd(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F90.0", today=TODAY)


def test_controlled_needs_dea_registration(
    prescriber: Membership, patient: Patient, adhd: Diagnosis
) -> None:
    with pytest.raises(ValidationError) as error:
        services.prescribe(prescriber, patient, stimulant(adhd), today=TODAY)
    assert error.value.message_dict["drug"] == [
        "Your DEA registration does not cover Schedule 2 (no DEA registration on file)."
    ]


@pytest.fixture
def registered(prescriber: Membership) -> Membership:
    prescriber.dea_number = "AT1234563"
    prescriber.dea_schedules = ["2", "2N", "3", "3N", "4", "5"]
    prescriber.save()
    return prescriber


def test_schedule_ii_rules_and_pdmp(
    registered: Membership, patient: Patient, adhd: Diagnosis
) -> None:
    with pytest.raises(ValidationError) as error:
        services.prescribe(
            registered, patient, stimulant(adhd, refills=1, pdmp_checked_on=None), today=TODAY
        )
    assert set(error.value.message_dict) == {"refills", "pdmp_checked_on"}
    findings = services.review(registered, patient, stimulant(adhd), on=TODAY)
    assert [(f.code, f.severity.value) for f in findings if f.code.startswith("controlled-")] == [
        ("controlled-telemedicine-flexibility", "moderate")
    ]
    prescription = services.prescribe(registered, patient, stimulant(adhd), today=TODAY)
    assert (prescription.dea_schedule, prescription.pdmp_checked_by) == ("2", registered.user)


def test_after_the_flexibilities_end_an_in_person_visit_is_needed(
    registered: Membership, patient: Patient, adhd: Diagnosis, settings: object
) -> None:
    settings.DEA_TELEMEDICINE_FLEXIBILITIES_END = dt.date(2026, 11, 1)  # type: ignore[attr-defined]
    with pytest.raises(SafetyBlock) as blocked:
        services.prescribe(registered, patient, stimulant(adhd), today=TODAY)
    assert [f.code for f in blocked.value.needs_acknowledgement] == [
        "controlled-telemedicine-in-person-required"
    ]
    clinical.sign_encounter(
        registered,
        clinical.start_encounter(
            registered,
            patient,
            kind="intake",
            mode="in-person",
            occurred_on=TODAY,
            today=TODAY,
            plan="Start stimulant",
        ),
    )
    assert (
        services.prescribe(registered, patient, stimulant(adhd), today=TODAY).drug
        == "methylphenidate"
    )


def test_clinician_off_the_care_team_cannot_prescribe(
    colleague: Membership, patient: Patient, depression: Diagnosis
) -> None:
    with pytest.raises(NotOnCareTeam):
        services.prescribe(colleague, patient, sertraline(depression), today=TODAY)
    assert Prescription.objects.count() == 0
