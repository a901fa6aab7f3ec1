"""The JSON API for prescribing: orders, changes and the medication history, with the safety
review (409 `safety-block`, resent with overrides) and concurrent edits (409 `edit-conflict`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.tests.api_support import (
    PROBLEM,
    actions_since,
    api_as,
    audit_mark,
    events_since,
    fields_in_error,
    problem,
)

pytestmark = pytest.mark.django_db

SAFETY_BLOCK = "https://dosewise.org/problems/safety-block"
EDIT_CONFLICT = "https://dosewise.org/problems/edit-conflict"
APA_MDD = (
    "APA Practice Guideline for the Treatment of Patients With Major Depressive Disorder, "
    "3rd ed. (Gelenberg et al.)"
)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def depression(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F33.1")


@pytest.fixture
def adhd(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F90.0")


@pytest.fixture
def registered(prescriber: Membership) -> Membership:
    prescriber.dea_number = "AT1234563"
    prescriber.dea_schedules = ["2", "2N", "3", "3N", "4", "5"]
    prescriber.save()
    return prescriber


@pytest.fixture(autouse=True)
def telemedicine_flexibilities_in_force(settings: Any) -> None:
    # Controlled orders for a patient never seen in person give a moderate finding while the
    # DEA flexibilities last, a major one after; keep these tests independent of the date.
    settings.DEA_TELEMEDICINE_FLEXIBILITIES_END = today() + dt.timedelta(days=365)


def sertraline(indication: Diagnosis, /, **changes: Any) -> dict[str, Any]:
    return {
        "drug": "sertraline",
        "form": "tablet",
        "strength_mg": 50,
        "dose_amount": 1,
        "dose_unit": "tablet",
        "times_per_day": 1,
        "timings": ["morning"],
        "days_supply": 30,
        "refills": 2,
        "indication": str(indication.uuid),
        **changes,
    }


def phenelzine(indication: Diagnosis, /, **changes: Any) -> dict[str, Any]:
    fields = {"drug": "phenelzine", "strength_mg": 15, "times_per_day": 3, "timings": []}
    return sertraline(indication, **{**fields, "refills": 0, **changes})


def methylphenidate(indication: Diagnosis, /, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"drug": "methylphenidate", "strength_mg": 10, "times_per_day": 2}
    fields.update(refills=0, timings=["morning", "noon"], pdmp_checked_on=today().isoformat())
    return sertraline(indication, **{**fields, **changes})


def started(actor: Membership, patient: Patient, indication: Diagnosis, **changes: Any) -> Any:
    """A sertraline prescription signed through the service (setup, not the behaviour tested)."""
    order = services.OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        days_supply=30,
        indication=indication,
    )
    return services.prescribe(actor, patient, replace(order, **changes))


def another_patient(prescriber: Membership) -> Patient:
    """A second patient of the clinic, whose care team the prescriber is on too."""
    other = make_patient(prescriber.organization, "MRN-0009")
    CareTeamMember.objects.create(
        organization=other.organization,
        patient=other,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    return other


def person(member: Membership) -> dict[str, str]:
    return {"uuid": str(member.user.uuid), "name": str(member.user)}


def without_timestamps(body: dict[str, Any]) -> dict[str, Any]:
    """The body without the values the clock decides (`created_at`, `updated_at`)."""
    return {key: value for key, value in body.items() if key not in ("created_at", "updated_at")}


def written() -> tuple[int, int, int]:
    return (
        Prescription.objects.count(),
        RegimenEvent.objects.count(),
        SafetyOverride.objects.count(),
    )


# --- Prescribing ------------------------------------------------------------------------------


def test_prescriber_signs_a_prescription(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        sertraline(depression, note_to_pharmacist="  Blister pack please "),
    )
    assert response.status_code == 201
    prescription = Prescription.objects.get()
    event = RegimenEvent.objects.get()
    body = without_timestamps(response.json())
    assert [without_timestamps(item) for item in body.pop("events")] == [
        {
            "uuid": str(event.uuid),
            "prescription": str(prescription.uuid),
            "drug": "sertraline",
            "kind": "started",
            "effective_on": today().isoformat(),
            "reason": "new-treatment",
            "reason_text": "",
            "daily_mg": "50",
            "replaces": None,
            "author": person(prescriber),
        }
    ]
    assert body == {
        "uuid": str(prescription.uuid),
        "patient": str(patient.uuid),
        "source": "prescribed",
        "status": "active",
        "drug": "sertraline",
        "form": "tablet",
        "strength_mg": "50",
        "dose_amount": "1",
        "dose_unit": "tablet",
        "route": "oral",
        "times_per_day": "1",
        "timings": ["morning"],
        "is_prn": False,
        "prn_max_per_day": None,
        "prn_reason": "",
        "sig": "Take 1 tablet (50 mg) by mouth once daily in the morning.",
        "daily_mg": "50",
        "start_on": today().isoformat(),
        "duration_days": None,
        "quantity": "30",
        "days_supply": 30,
        "refills": 2,
        "earliest_fill_on": None,
        "substitution_allowed": True,
        "indication": {
            "uuid": str(depression.uuid),
            "code": "F33.1",
            "description": "Major depressive disorder, recurrent, moderate",
        },
        "note_to_pharmacist": "Blister pack please",
        "outside_prescriber": "",
        "dea_schedule": "",
        "pdmp_checked_on": None,
        "pdmp_checked_by": None,
        "prescriber": person(prescriber),
        "replaces": None,
        "entered_in_error_reason": "",
        "overrides": [],
        "regimen_version": 1,
    }
    assert actions_since(mark) == ["regimen.started"]


@pytest.mark.parametrize(
    ("amount", "strength"),
    [("0.5", "50"), (0.5, 50), ("0.500", "50.000")],
    ids=["strings", "numbers", "trailing zeros"],
)
def test_amounts_are_taken_as_numbers_or_strings_and_returned_as_strings(
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    amount: object,
    strength: object,
) -> None:
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions",
        sertraline(depression, dose_amount=amount, strength_mg=strength),
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["dose_amount"], body["strength_mg"], body["daily_mg"], body["quantity"]) == (
        "0.5",
        "50",
        "25",
        "15",
    )
    assert body["sig"] == "Take 1/2 tablet (25 mg) by mouth once daily in the morning."
    read_back = api_as(prescriber).get(f"/prescriptions/{body['uuid']}").json()
    assert (read_back["dose_amount"], read_back["quantity"]) == ("0.5", "15")


def test_nurse_cannot_sign_a_prescription(
    nurse: Membership, patient: Patient, depression: Diagnosis
) -> None:
    response = api_as(nurse).post(f"/patients/{patient.uuid}/prescriptions", sertraline(depression))
    assert problem(response, 422)["errors"] == [
        {"field": "prescriber", "message": "Only prescribers sign prescriptions."}
    ]
    assert written() == (0, 0, 0)


# --- The safety review -----------------------------------------------------------------------

MAOI_FINDING = {
    "code": "maoi-with-serotonergic",
    "severity": "contraindicated",
    "drugs": ["phenelzine", "sertraline"],
    "message": "sertraline with the MAOI phenelzine is contraindicated.",
    "mechanism": "Serotonin syndrome (fatal cases reported).",
    "action": "Do not start phenelzine while sertraline is taken. If switching, stop sertraline "
    "and wait 14 days before starting phenelzine.",
    "source": APA_MDD,
}


def test_contraindicated_order_is_blocked_then_signed_with_a_reason(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    started(prescriber, patient, depression)
    client = api_as(prescriber)
    before, mark = written(), audit_mark()

    blocked = client.post(f"/patients/{patient.uuid}/prescriptions", phenelzine(depression))

    assert blocked.status_code == 409
    assert blocked["Content-Type"] == PROBLEM
    assert blocked.json() == {
        "type": SAFETY_BLOCK,
        "title": "Safety review needed",
        "status": 409,
        "detail": "Safety review needed before signing: maoi-with-serotonergic. Give a reason in "
        "`overrides` for each finding that needs one, list those that need an acknowledgement "
        "in `acknowledged`, and send the request again.",
        "findings": [{**MAOI_FINDING, "needs": "reason"}],
    }
    assert written() == before
    assert actions_since(mark) == []

    reason = "Sertraline stops today; specialist cross-taper plan"
    signed = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        phenelzine(depression, overrides={"maoi-with-serotonergic": f"  {reason} "}),
    )

    assert signed.status_code == 201
    prescription = Prescription.objects.get(drug="phenelzine")
    override = SafetyOverride.objects.get()
    assert (
        override.prescription,
        override.code,
        override.severity,
        override.drugs,
        override.reason,
        override.author,
    ) == (
        prescription,
        "maoi-with-serotonergic",
        "contraindicated",
        ["phenelzine", "sertraline"],
        reason,
        prescriber.user,
    )
    assert [without_timestamps(item) for item in signed.json()["overrides"]] == [
        {
            "code": "maoi-with-serotonergic",
            "severity": "contraindicated",
            "drugs": ["phenelzine", "sertraline"],
            "message": MAOI_FINDING["message"],
            "reason": reason,
            "author": person(prescriber),
        }
    ]
    assert actions_since(mark) == ["regimen.started", "safety.override"]
    audited = AuditEvent.objects.get(action="safety.override")
    assert (audited.patient, audited.detail) == (
        patient,
        {"code": "maoi-with-serotonergic", "severity": "contraindicated", "reason": reason},
    )


def test_an_acknowledgement_does_not_override_a_contraindication(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    started(prescriber, patient, depression)
    before = written()
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions",
        phenelzine(depression, acknowledged=["maoi-with-serotonergic"]),
    )
    assert response.status_code == 409
    assert [(f["code"], f["needs"]) for f in response.json()["findings"]] == [
        ("maoi-with-serotonergic", "reason")
    ]
    assert written() == before


def test_major_finding_is_signed_once_acknowledged(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = api_as(prescriber)
    order = sertraline(depression, dose_amount=5)  # 250 mg a day: above the label maximum
    mark = audit_mark()

    blocked = client.post(f"/patients/{patient.uuid}/prescriptions", order)

    assert blocked.status_code == 409
    assert blocked.json()["type"] == SAFETY_BLOCK
    assert [(f["code"], f["severity"], f["needs"]) for f in blocked.json()["findings"]] == [
        ("dose-above-label-maximum", "major", "acknowledgement"),
        ("start-above-label-starting-dose", "moderate", None),
    ]
    assert written() == (0, 0, 0)

    signed = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        {**order, "acknowledged": ["dose-above-label-maximum"]},
    )

    assert signed.status_code == 201
    assert list(SafetyOverride.objects.values_list("code", "severity", "reason")) == [
        ("dose-above-label-maximum", "major", "Acknowledged")
    ]
    assert actions_since(mark) == ["regimen.started", "safety.override"]


def test_review_returns_the_findings_and_writes_nothing(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    started(prescriber, patient, depression)
    client = api_as(prescriber)
    before, mark = written(), audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/prescriptions/review",
        {key: value for key, value in phenelzine(depression).items() if key != "indication"},
    )
    assert response.status_code == 200
    assert response.json() == {"findings": [{**MAOI_FINDING, "needs": "reason"}]}
    assert written() == before
    assert actions_since(mark) == ["chart.read"]


def test_review_of_a_switch_counts_the_ended_drug_as_stopped_today(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    current = started(prescriber, patient, depression)
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions/review",
        {**phenelzine(depression), "ending": str(current.uuid)},
    )
    assert response.status_code == 200
    assert [(f["code"], f["severity"], f["needs"]) for f in response.json()["findings"]] == [
        ("washout-before-maoi", "contraindicated", "reason")
    ]


def test_review_refuses_a_prescription_of_another_patient(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    other = another_patient(prescriber)
    theirs = started(prescriber, other, clinical.add_diagnosis(prescriber, other, code="F41.1"))
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions/review",
        {**sertraline(depression), "replacing": str(theirs.uuid)},
    )
    assert problem(response, 422)["errors"] == [
        {"field": "replacing", "message": "No such prescription of this patient."}
    ]


# --- Concurrent edits ------------------------------------------------------------------------


def test_stale_regimen_version_is_an_edit_conflict_and_writes_nothing(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = api_as(prescriber)
    first = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        sertraline(depression, expected_regimen_version=0),
    )
    assert (first.status_code, first.json()["regimen_version"]) == (201, 1)
    before, mark = written(), audit_mark()

    late = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        sertraline(depression, drug="bupropion", strength_mg=150, expected_regimen_version=0),
    )

    assert late.status_code == 409
    assert late["Content-Type"] == PROBLEM
    assert late.json() == {
        "type": EDIT_CONFLICT,
        "title": "Edit conflict",
        "status": 409,
        "detail": "The medication list changed since you opened it (version 0, now 1). Review "
        "the current list and submit again.",
        "regimen_version": 1,
        "expected_regimen_version": 0,
    }
    assert written() == before
    assert actions_since(mark) == []


def test_a_stale_hold_is_an_edit_conflict(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    prescription = started(prescriber, patient, depression)
    other = started(prescriber, patient, depression, drug="bupropion", strength_mg=Decimal(150))
    services.discontinue(prescriber, other, reason="cost")
    response = api_as(prescriber).post(
        f"/prescriptions/{prescription.uuid}/hold",
        {"reason": "side-effects", "expected_regimen_version": 1},
    )
    assert response.status_code == 409
    assert (response.json()["type"], response.json()["regimen_version"]) == (EDIT_CONFLICT, 3)
    prescription.refresh_from_db()
    assert prescription.status == "active"
    assert RegimenEvent.objects.filter(kind="held").count() == 0


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_amount": 0}, "dose_amount", "Input should be greater than 0"),
        ({"dose_amount": "-1"}, "dose_amount", "Input should be greater than 0"),
        (
            {"dose_amount": "0.0001"},
            "dose_amount",
            "Decimal input should have no more than 3 decimal places",
        ),
        (
            {"dose_unit": "bucket"},
            "dose_unit",
            "Input should be 'tablet', 'capsule', 'mL', 'patch', 'spray' or 'mg'",
        ),
        (
            {"drug": "sertralin"},
            "drug",
            # Ritalin is a brand of methylphenidate: close enough in spelling to be offered.
            "unknown drug 'sertralin'; did you mean sertraline, methylphenidate?",
        ),
        (
            {"times_per_day": None},
            "times_per_day",
            "times_per_day must be given for a scheduled medication",
        ),
        ({"timings": ["morning", "morning"]}, "timings", "Name each time of day once."),
        (
            {"timings": ["midnight"]},
            "timings.0",
            "Input should be 'morning', 'noon', 'evening' or 'bedtime'",
        ),
        ({"start_on": "27/11/2026"}, "start_on", "Write the date as YYYY-MM-DD."),
        ({"dosage": "50 mg"}, "dosage", "Unknown field."),
        ({"acknowledged": ["nul\x00"]}, "acknowledged.0", "Text cannot contain NUL characters."),
        ({"indication": None}, "indication", "UUID input should be a string, bytes or UUID object"),
        (
            {"overrides": {"maoi-with-serotonergic": " "}},
            "overrides.maoi-with-serotonergic",
            "String should have at least 1 character",
        ),
        (
            {"dose_unit": "mL", "dose_amount": 9999, "times_per_day": 999},
            "dose_amount",
            "This makes a daily dose too large to record; check the dose, strength and frequency.",
        ),
        (
            {"dose_amount": 9999, "days_supply": 365},
            "days_supply",
            "This makes a quantity too large to record; check the dose and days' supply.",
        ),
    ],
)
def test_invalid_orders_are_refused_naming_the_field_and_write_nothing(
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/prescriptions", sertraline(depression, **changes)
    )
    assert problem(response, 422)["errors"] == [{"field": field, "message": message}]
    assert written() == (0, 0, 0)
    assert actions_since(mark) == []


def test_an_order_without_an_indication_is_refused(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    order = sertraline(depression)
    del order["indication"]
    response = api_as(prescriber).post(f"/patients/{patient.uuid}/prescriptions", order)
    assert problem(response, 422)["errors"] == [
        {"field": "indication", "message": "This field is required."}
    ]
    assert written() == (0, 0, 0)


@pytest.mark.parametrize("whose", ["another patient's", "unknown", "entered in error"])
def test_indication_must_be_an_active_diagnosis_of_this_patient(
    prescriber: Membership, patient: Patient, depression: Diagnosis, whose: str
) -> None:
    if whose == "another patient's":
        other = another_patient(prescriber)
        indication = clinical.add_diagnosis(prescriber, other, code="F41.1").uuid
    elif whose == "unknown":
        indication = "00000000-0000-0000-0000-000000000000"
    else:
        indication = clinical.mark_diagnosis_entered_in_error(
            prescriber, depression, reason="Wrong code"
        ).uuid
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/prescriptions",
        {**sertraline(depression), "indication": str(indication)},
    )
    assert problem(response, 422)["errors"] == [
        {
            "field": "indication",
            "message": "The indication must be one of this patient's active diagnoses.",
        }
    ]
    assert written() == (0, 0, 0)
    assert actions_since(mark) == []


# --- Controlled substances -------------------------------------------------------------------


def test_controlled_drug_needs_a_dea_registration(
    prescriber: Membership, patient: Patient, adhd: Diagnosis
) -> None:
    response = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions", methylphenidate(adhd)
    )
    assert problem(response, 422)["errors"] == [
        {
            "field": "drug",
            "message": "Your DEA registration does not cover Schedule 2 (no DEA registration "
            "on file).",
        }
    ]
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"refills": 1},
            "refills",
            "Schedule II prescriptions cannot have refills (21 CFR 1306.12); issue separate "
            "prescriptions with earliest fill dates.",
        ),
        (
            {"pdmp_checked_on": None},
            "pdmp_checked_on",
            "Record the date you checked the state PDMP before a controlled prescription.",
        ),
        (
            {"pdmp_checked_on": "2020-01-01"},
            "pdmp_checked_on",
            "The PDMP check must be from the last 7 days (and not in the future).",
        ),
        (
            {"days_supply": 91},
            "days_supply",
            "A Schedule II prescription covers at most 90 days.",
        ),
    ],
)
def test_schedule_ii_rules_are_refused_naming_the_field(
    registered: Membership,
    patient: Patient,
    adhd: Diagnosis,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = api_as(registered).post(
        f"/patients/{patient.uuid}/prescriptions", methylphenidate(adhd, **changes)
    )
    assert problem(response, 422)["errors"] == [{"field": field, "message": message}]
    assert written() == (0, 0, 0)


def test_schedule_ii_series_is_signed_and_renewed_with_an_earliest_fill_date(
    registered: Membership, patient: Patient, adhd: Diagnosis
) -> None:
    client = api_as(registered)
    first = client.post(f"/patients/{patient.uuid}/prescriptions", methylphenidate(adhd))
    assert first.status_code == 201
    body = first.json()
    assert (
        body["dea_schedule"],
        body["refills"],
        body["quantity"],
        body["pdmp_checked_on"],
        body["pdmp_checked_by"],
    ) == ("2", 0, "60", today().isoformat(), person(registered))

    next_fill = (today() + dt.timedelta(days=30)).isoformat()
    mark = audit_mark()
    renewed = client.post(
        f"/prescriptions/{body['uuid']}/renew",
        {"earliest_fill_on": next_fill, "pdmp_checked_on": today().isoformat()},
    )

    assert renewed.status_code == 201
    assert (
        renewed.json()["replaces"],
        renewed.json()["earliest_fill_on"],
        renewed.json()["refills"],
        renewed.json()["status"],
    ) == (body["uuid"], next_fill, 0, "active")
    assert Prescription.objects.get(uuid=body["uuid"]).status == "completed"
    assert actions_since(mark) == ["regimen.renewed"]


def test_renewing_a_schedule_ii_prescription_needs_a_fresh_pdmp_check(
    registered: Membership, patient: Patient, adhd: Diagnosis
) -> None:
    client = api_as(registered)
    first = client.post(f"/patients/{patient.uuid}/prescriptions", methylphenidate(adhd)).json()
    before = written()
    response = client.post(f"/prescriptions/{first['uuid']}/renew", {})
    assert fields_in_error(response) == ["pdmp_checked_on"]
    assert written() == before


# --- Outside medications ---------------------------------------------------------------------


def test_outside_medication_is_recorded_and_counts_in_the_safety_review(
    nurse: Membership, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = api_as(nurse)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/outside-medications",
        {
            "drug": "Nardil",
            "source": "outside",
            "strength_mg": 15,
            "dose_amount": 1,
            "dose_unit": "tablet",
            "times_per_day": 3,
            "outside_prescriber": "Dr. Okafor (community psychiatry)",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["drug"],
        body["source"],
        body["form"],
        body["sig"],
        body["prescriber"],
        body["outside_prescriber"],
        [event["reason"] for event in body["events"]],
    ) == (
        "phenelzine",
        "outside",
        "tablet",
        "Take 1 tablet (15 mg) by mouth three times daily.",
        None,
        "Dr. Okafor (community psychiatry)",
        ["reconciliation"],
    )
    assert actions_since(mark) == ["regimen.started"]

    blocked = api_as(prescriber).post(
        f"/patients/{patient.uuid}/prescriptions", sertraline(depression)
    )
    assert blocked.status_code == 409
    assert [f["code"] for f in blocked.json()["findings"] if f["needs"]] == [
        "maoi-with-serotonergic"
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "prescribed"}, "source"),
        ({"drug": "st johns wart"}, "drug"),
        ({"dose_unit": "scoop"}, "dose_unit"),
        ({"times_per_day": None}, "dose_amount"),
    ],
)
def test_invalid_outside_medication_is_refused_naming_the_field(
    nurse: Membership, patient: Patient, changes: dict[str, Any], field: str
) -> None:
    body = {
        "drug": "St John's wort",
        "source": "supplement",
        "strength_mg": 300,
        "dose_amount": 1,
        "dose_unit": "capsule",
        "times_per_day": 3,
        **changes,
    }
    response = api_as(nurse).post(f"/patients/{patient.uuid}/outside-medications", body)
    assert fields_in_error(response) == [field]
    assert written() == (0, 0, 0)


# --- Reading ---------------------------------------------------------------------------------


def test_list_shows_the_regimen_today_or_the_whole_history(
    prescriber: Membership, nurse: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    second = services.change_dose(
        prescriber,
        first,
        replace(services._as_order(first), dose_amount=Decimal(2), start_on=today()),
        reason="titration",
    )
    client = api_as(nurse)
    mark = audit_mark()

    current = client.get(f"/patients/{patient.uuid}/prescriptions")

    assert current.status_code == 200
    assert current.json()["regimen_version"] == 2
    assert [(item["uuid"], item["status"]) for item in current.json()["items"]] == [
        (str(second.uuid), "active")
    ]
    assert [event.action for event in events_since(mark)] == ["chart.read", "prescription.list"]
    assert events_since(mark)[1].detail == {"count": 1, "include_history": False}

    history = client.get(f"/patients/{patient.uuid}/prescriptions", include_history="true")
    assert [(item["uuid"], item["status"]) for item in history.json()["items"]] == [
        (str(first.uuid), "stopped"),
        (str(second.uuid), "active"),
    ]
    stopped = client.get(
        f"/patients/{patient.uuid}/prescriptions", include_history="true", status="stopped"
    )
    assert [item["uuid"] for item in stopped.json()["items"]] == [str(first.uuid)]


def test_list_refuses_an_unknown_status(prescriber: Membership, patient: Patient) -> None:
    response = api_as(prescriber).get(f"/patients/{patient.uuid}/prescriptions", status="paused")
    assert fields_in_error(response) == ["status"]


def test_listing_prescriptions_takes_the_same_queries_for_one_or_many(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = api_as(prescriber)
    started(prescriber, patient, depression)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/patients/{patient.uuid}/prescriptions", include_history="true")
        assert response.status_code == 200
        return len(captured)

    queries()  # the first request also stamps the token's last use
    one = queries()
    for drug, strength in (("bupropion", 150), ("prazosin", 1)):
        started(prescriber, patient, depression, drug=drug, strength_mg=Decimal(strength))
    assert queries() == one


def test_prescription_detail_shows_its_history_and_overrides(
    prescriber: Membership, nurse: Membership, patient: Patient, depression: Diagnosis
) -> None:
    started(prescriber, patient, depression)
    signed = services.prescribe(
        prescriber,
        patient,
        services.OrderInput(
            drug="phenelzine",
            form="tablet",
            strength_mg=Decimal(15),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(3),
            days_supply=30,
            indication=depression,
        ),
        decision=services.SafetyDecision(reasons={"maoi-with-serotonergic": "Specialist plan"}),
    )
    services.hold(prescriber, signed, reason="side-effects")
    client = api_as(nurse)
    mark = audit_mark()

    response = client.get(f"/prescriptions/{signed.uuid}")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["sig"], body["regimen_version"]) == (
        "on-hold",
        "Take 1 tablet (15 mg) by mouth three times daily.",
        3,
    )
    assert [(event["kind"], event["reason"]) for event in body["events"]] == [
        ("started", "new-treatment"),
        ("held", "side-effects"),
    ]
    assert [(item["code"], item["reason"]) for item in body["overrides"]] == [
        ("maoi-with-serotonergic", "Specialist plan")
    ]
    assert actions_since(mark) == ["prescription.read"]


def test_regimen_events_list_the_history_in_order(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    client = api_as(prescriber)
    changed = client.post(
        f"/prescriptions/{first.uuid}/change-dose",
        {**sertraline(depression, dose_amount=2), "reason": "titration"},
    ).json()
    client.post(f"/prescriptions/{changed['uuid']}/hold", {"reason": "side-effects"})
    client.post(
        f"/prescriptions/{changed['uuid']}/resume",
        {"reason": "other", "reason_text": "Nausea settled"},
    )
    client.post(f"/prescriptions/{changed['uuid']}/discontinue", {"reason": "remission"})
    mark = audit_mark()

    response = client.get(f"/patients/{patient.uuid}/regimen-events")

    assert response.status_code == 200
    assert response.json()["regimen_version"] == 5
    assert [
        (item["kind"], item["drug"], item["daily_mg"], item["reason"], item["reason_text"])
        for item in response.json()["items"]
    ] == [
        ("started", "sertraline", "50", "new-treatment", ""),
        ("dose_changed", "sertraline", "100", "titration", ""),
        ("held", "sertraline", "100", "side-effects", ""),
        ("resumed", "sertraline", "100", "other", "Nausea settled"),
        ("discontinued", "sertraline", "100", "remission", ""),
    ]
    assert response.json()["items"][1]["replaces"] == str(first.uuid)
    assert actions_since(mark) == ["chart.read", "regimen-event.list"]


# --- Changing a prescription -----------------------------------------------------------------


def test_change_dose_replaces_the_prescription(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/prescriptions/{first.uuid}/change-dose",
        {
            **sertraline(depression, dose_amount=2),
            "reason": "ineffective",
            "expected_regimen_version": 1,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["sig"], body["replaces"], body["status"], body["regimen_version"]) == (
        "Take 2 tablets (100 mg) by mouth once daily in the morning.",
        str(first.uuid),
        "active",
        2,
    )
    first.refresh_from_db()
    assert first.status == "stopped"
    assert actions_since(mark) == ["regimen.dose_changed"]


def test_change_dose_keeps_the_drug(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    before = written()
    response = api_as(prescriber).post(
        f"/prescriptions/{first.uuid}/change-dose",
        {**sertraline(depression, drug="bupropion", strength_mg=150), "reason": "ineffective"},
    )
    assert problem(response, 422)["errors"] == [
        {
            "field": "drug",
            "message": "A dose change or renewal keeps the drug; use switch to change drugs.",
        }
    ]
    assert written() == before


def test_switch_replaces_the_drug(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/prescriptions/{first.uuid}/switch",
        {
            **sertraline(depression, drug="Wellbutrin", strength_mg=150, timings=[]),
            "reason": "side-effects",
            "reason_text": "Sexual side effects",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["drug"], body["replaces"], body["events"][0]["kind"]) == (
        "bupropion",
        str(first.uuid),
        "switched",
    )
    assert body["events"][0]["reason_text"] == "Sexual side effects"
    assert actions_since(mark) == ["regimen.switched"]


def test_switch_to_an_maoi_is_blocked_by_the_washout(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression)
    before = written()
    response = api_as(prescriber).post(
        f"/prescriptions/{first.uuid}/switch", {**phenelzine(depression), "reason": "ineffective"}
    )
    assert response.status_code == 409
    assert [(f["code"], f["needs"]) for f in response.json()["findings"]] == [
        ("washout-before-maoi", "reason")
    ]
    assert written() == before
    first.refresh_from_db()
    assert first.status == "active"


def test_hold_resume_and_discontinue(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    prescription = started(prescriber, patient, depression)
    client = api_as(prescriber)
    path = f"/prescriptions/{prescription.uuid}"
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    mark = audit_mark()

    held = client.post(f"{path}/hold", {"reason": "side-effects", "reason_text": "Nausea"})
    assert (held.status_code, held.json()["status"]) == (200, "on-hold")
    resumed = client.post(f"{path}/resume", {"reason": "other", "reason_text": "Nausea settled"})
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")
    stopped = client.post(f"{path}/discontinue", {"reason": "remission", "effective_on": tomorrow})
    assert (stopped.status_code, stopped.json()["status"]) == (200, "stopped")

    assert [(e["kind"], e["effective_on"]) for e in stopped.json()["events"]] == [
        ("started", today().isoformat()),
        ("held", today().isoformat()),
        ("resumed", today().isoformat()),
        ("discontinued", tomorrow),
    ]
    assert actions_since(mark) == ["regimen.held", "regimen.resumed", "regimen.discontinued"]


@pytest.mark.parametrize(
    ("action", "body", "field", "message"),
    [
        ("hold", {"reason": "other"}, "reason_text", "Describe the reason when it is 'other'."),
        ("hold", {"reason": "renewal"}, "reason", None),
        ("discontinue", {"reason": "new-treatment"}, "reason", None),
        ("resume", {"reason": "cost"}, "status", "This prescription is active."),
        ("hold", {}, "reason", "This field is required."),
    ],
)
def test_status_changes_refuse_bad_input_naming_the_field(
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    action: str,
    body: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    prescription = started(prescriber, patient, depression)
    client = api_as(prescriber)
    before, mark = written(), audit_mark()
    response = client.post(f"/prescriptions/{prescription.uuid}/{action}", body)
    errors = problem(response, 422)["errors"]
    assert [error["field"] for error in errors] == [field]
    if message is not None:
        assert errors[0]["message"] == message
    assert written() == before
    assert actions_since(mark) == []


def test_renew_writes_a_new_prescription_at_the_same_dose(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    first = started(prescriber, patient, depression, refills=2)
    response = api_as(prescriber).post(f"/prescriptions/{first.uuid}/renew", {"refills": 1})
    assert response.status_code == 201
    body = response.json()
    assert (body["sig"], body["refills"], body["replaces"], body["events"][0]["reason"]) == (
        first.sig,
        1,
        str(first.uuid),
        "renewal",
    )


def test_entered_in_error_leaves_the_regimen_and_stays_in_the_record(
    prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    prescription = started(prescriber, patient, depression)
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/prescriptions/{prescription.uuid}/entered-in-error", {"reason": " Wrong patient "}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["entered_in_error_reason"]) == (
        "entered-in-error",
        "Wrong patient",
    )
    assert actions_since(mark) == ["prescription.entered-in-error", "regimen.discontinued"]
    assert client.get(f"/patients/{patient.uuid}/prescriptions").json()["items"] == []
    history = client.get(f"/patients/{patient.uuid}/prescriptions", include_history="true")
    assert [item["status"] for item in history.json()["items"]] == ["entered-in-error"]

    again = client.post(f"/prescriptions/{prescription.uuid}/entered-in-error", {"reason": "Twice"})
    assert problem(again, 422)["errors"] == [
        {"field": "status", "message": "This prescription is already marked entered in error."}
    ]
