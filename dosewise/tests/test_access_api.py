"""Every JSON API operation, for every persona: the expected status, and refusals that change
nothing and are themselves audited. (A portal login has no clinic membership, so it cannot hold
an API token; its stand-in here is a revoked token.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dosewise.accounts.models import ApiToken
from dosewise.accounts.services import revoke_api_token
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.clinical.models import (
    Assessment,
    Diagnosis,
    Encounter,
    EncounterAddendum,
    SafetyAlert,
)
from dosewise.monitoring.models import MeasurementPlanItem
from dosewise.patients.models import Allergy, CareTeamMember, Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.models import (
    AdherenceRecord,
    Prescription,
    RegimenEvent,
    SafetyOverride,
    TrialSuggestionDecision,
)
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.plans import PlanRequest, activate, create_plan
from dosewise.tests.api_support import ApiClient, api_as
from dosewise.tests.conftest import World

MEMBERS = ("prescriber", "nurse", "colleague", "front_desk", "clinic_admin", "outsider")
PERSONAS = (*MEMBERS, "revoked_token", "anonymous")


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict[str, Any]] = field(default=lambda w: {})

    def status_for(self, persona: str) -> int:
        return 401 if persona in ("anonymous", "revoked_token") else self.expected[persona]


def members(status: int, **overrides: int) -> dict[str, int]:
    return {**dict.fromkeys(MEMBERS, status), **overrides}


def clinical_read(status: int = 200) -> dict[str, int]:
    return members(status, front_desk=404, clinic_admin=404, outsider=404)


def clinical_read_list() -> dict[str, int]:
    """Lists of the member's own organization: an outsider sees theirs (without our patient)."""
    return members(200, front_desk=404, clinic_admin=404)


def care_team_write(status: int) -> dict[str, int]:
    return members(status, colleague=403, front_desk=404, clinic_admin=404, outsider=404)


TODAY = timezone.localdate().isoformat()


def _plan(world: PrescribingWorld, *, active: bool = False) -> Plan:
    """A sertraline taper of the world's active prescription, made on first use."""
    found = Plan.objects.filter(patient=world.patient).first()
    if found is None:
        found = create_plan(
            world.members["prescriber"],
            world.patient,
            PlanRequest(kind="taper", start=timezone.localdate()),
            prescription=world.active,
        )
    if active and found.status == Plan.Status.DRAFT:
        found = activate(world.members["prescriber"], found)
    return found


@dataclass
class PrescribingWorld(World):
    active: Prescription  # sertraline, taken today
    held: Prescription  # prazosin, on hold
    assessment: Assessment  # a PHQ-9 with item 9 positive
    alert: SafetyAlert  # the open alert it raised


@pytest.fixture
def world(world: World) -> PrescribingWorld:
    """The shared world, with an active and a held prescription."""
    prescriber = world.members["prescriber"]

    def order(drug: str, strength: int, timing: str) -> prescribing.OrderInput:
        return prescribing.OrderInput(
            drug=drug,
            form="tablet",
            strength_mg=Decimal(strength),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            timings=(timing,),
            days_supply=30,
            indication=world.diagnosis,
        )

    active = prescribing.prescribe(prescriber, world.patient, order("sertraline", 50, "morning"))
    held = prescribing.prescribe(prescriber, world.patient, order("prazosin", 1, "bedtime"))
    held = prescribing.hold(prescriber, held, reason="side-effects")
    assessment = assessments.record_assessment(
        prescriber,
        world.patient,
        instrument="phq9",
        answers=[1, 2, 1, 2, 1, 1, 1, 1, 1],
        answered_by="patient",
        mode="kiosk",
    )
    shared = {item.name: getattr(world, item.name) for item in fields(world)}
    return PrescribingWorld(
        **shared, active=active, held=held, assessment=assessment, alert=assessment.alerts.get()
    )


def order_body(w: PrescribingWorld, drug: str, strength: int, **changes: Any) -> dict[str, Any]:
    return {
        "drug": drug,
        "form": "tablet",
        "strength_mg": strength,
        "dose_amount": 1,
        "dose_unit": "tablet",
        "times_per_day": 1,
        "days_supply": 30,
        "indication": str(w.diagnosis.uuid),
        **changes,
    }


OPERATIONS = (
    Operation("list patients", "GET", lambda w: "/patients", members(200)),
    Operation(
        "register patient",
        "POST",
        lambda w: "/patients",
        members(201),
        lambda w: {
            "mrn": "API-1",
            "given_name": "Kim",
            "family_name": "Ito",
            "date_of_birth": "1991-02-03",
            "sex_at_birth": "F",
        },
    ),
    Operation(
        "read patient", "GET", lambda w: f"/patients/{w.patient.uuid}", members(200, outsider=404)
    ),
    Operation(
        "update demographics",
        "PATCH",
        lambda w: f"/patients/{w.patient.uuid}",
        members(200, outsider=404),
        lambda w: {"pronouns": "they/them"},
    ),
    Operation(
        "list allergies", "GET", lambda w: f"/patients/{w.patient.uuid}/allergies", clinical_read()
    ),
    Operation(
        "record allergy",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/allergies",
        care_team_write(201),
        lambda w: {"substance": "Sulfa", "reaction": "Rash", "severity": "mild"},
    ),
    Operation(
        "allergy entered in error",
        "POST",
        lambda w: f"/allergies/{w.allergy.uuid}/entered-in-error",
        care_team_write(200),
        lambda w: {"reason": "Wrong patient"},
    ),
    Operation(
        "join care team",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/care-team",
        # Already on it: the treating prescriber and the nurse get a named refusal.
        members(201, prescriber=422, nurse=422, front_desk=404, clinic_admin=404, outsider=404),
        lambda w: {"reason": "Covering this week"},
    ),
    Operation(
        "list encounters",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/encounters",
        clinical_read(),
    ),
    Operation(
        "start encounter",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/encounters",
        care_team_write(201),
        lambda w: {
            "kind": "follow-up",
            "mode": "telehealth",
            "occurred_on": TODAY,
            "chief_complaint": "Check-in",
        },
    ),
    Operation("read encounter", "GET", lambda w: f"/encounters/{w.draft.uuid}", clinical_read()),
    Operation(
        "update draft",
        "PATCH",
        lambda w: f"/encounters/{w.draft.uuid}",
        # Only the note's own clinician edits a draft; the nurse is refused by name.
        care_team_write(200) | {"nurse": 422},
        lambda w: {"plan": "Recheck in 2 weeks"},
    ),
    Operation(
        "sign encounter",
        "POST",
        lambda w: f"/encounters/{w.draft.uuid}/sign",
        care_team_write(200) | {"nurse": 422},
    ),
    Operation(
        "add addendum",
        "POST",
        lambda w: f"/encounters/{w.signed.uuid}/addenda",
        care_team_write(201),
        lambda w: {"text": "Labs reviewed."},
    ),
    Operation(
        "encounter entered in error",
        "POST",
        lambda w: f"/encounters/{w.signed.uuid}/entered-in-error",
        care_team_write(200),
        lambda w: {"reason": "Wrong patient"},
    ),
    Operation(
        "list diagnoses", "GET", lambda w: f"/patients/{w.patient.uuid}/diagnoses", clinical_read()
    ),
    Operation(
        "add diagnosis",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/diagnoses",
        care_team_write(201),
        lambda w: {"code": "F41.1"},
    ),
    Operation("read diagnosis", "GET", lambda w: f"/diagnoses/{w.diagnosis.uuid}", clinical_read()),
    Operation(
        "update diagnosis",
        "PATCH",
        lambda w: f"/diagnoses/{w.diagnosis.uuid}",
        care_team_write(200),
        lambda w: {"status": "remission"},
    ),
    Operation(
        "diagnosis entered in error",
        "POST",
        lambda w: f"/diagnoses/{w.diagnosis.uuid}/entered-in-error",
        care_team_write(200),
        lambda w: {"reason": "Coded in error"},
    ),
    Operation(
        "search drugs",
        "GET",
        lambda w: "/drugs?q=sert",
        members(200, front_desk=404, clinic_admin=404),
    ),
    Operation(
        "show drug",
        "GET",
        lambda w: "/drugs/sertraline",
        members(200, front_desk=404, clinic_admin=404),
    ),
    Operation(
        "safety check",
        "POST",
        lambda w: "/safety/check",
        members(200, front_desk=404, clinic_admin=404),
        lambda w: {"order": {"drug": "sertraline", "dose_mg": 50}},
    ),
    Operation(
        "search ICD-10-CM",
        "GET",
        lambda w: "/icd10cm?q=bipolar",
        members(200, front_desk=404, clinic_admin=404),
    ),
    Operation(
        "list prescriptions",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/prescriptions?include_history=true",
        clinical_read(),
    ),
    Operation(
        "prescribe",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/prescriptions",
        # Only prescribers sign: the nurse on the care team is refused by name.
        care_team_write(201) | {"nurse": 422},
        lambda w: order_body(w, "propranolol", 10),
    ),
    Operation(
        "record outside medication",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/outside-medications",
        care_team_write(201),
        lambda w: {
            "drug": "acetaminophen",
            "source": "otc",
            "strength_mg": 500,
            "dose_amount": 1,
            "dose_unit": "tablet",
            "is_prn": True,
            "prn_max_per_day": 4,
        },
    ),
    Operation(
        "review order",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/prescriptions/review",
        clinical_read(),
        lambda w: order_body(w, "propranolol", 10),
    ),
    Operation(
        "read prescription", "GET", lambda w: f"/prescriptions/{w.active.uuid}", clinical_read()
    ),
    Operation(
        "list regimen events",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/regimen-events",
        clinical_read(),
    ),
    Operation(
        "change dose",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/change-dose",
        care_team_write(201) | {"nurse": 422},
        lambda w: {**order_body(w, "sertraline", 50, dose_amount=2), "reason": "titration"},
    ),
    Operation(
        "switch",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/switch",
        care_team_write(201) | {"nurse": 422},
        lambda w: {**order_body(w, "bupropion", 150), "reason": "side-effects"},
    ),
    Operation(
        "hold",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/hold",
        care_team_write(200) | {"nurse": 422},  # prescription decisions are the prescriber's
        lambda w: {"reason": "side-effects"},
    ),
    Operation(
        "resume",
        "POST",
        lambda w: f"/prescriptions/{w.held.uuid}/resume",
        care_team_write(200) | {"nurse": 422},  # prescription decisions are the prescriber's
        lambda w: {"reason": "other", "reason_text": "Dizziness settled"},
    ),
    Operation(
        "discontinue",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/discontinue",
        care_team_write(200) | {"nurse": 422},  # prescription decisions are the prescriber's
        lambda w: {"reason": "remission"},
    ),
    Operation(
        "renew",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/renew",
        care_team_write(201) | {"nurse": 422},
    ),
    Operation(
        "prescription entered in error",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/entered-in-error",
        care_team_write(200) | {"nurse": 422},  # prescription decisions are the prescriber's
        lambda w: {"reason": "Wrong patient"},
    ),
    Operation(
        "list assessments",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/assessments?instrument=phq9",
        clinical_read(),
    ),
    Operation(
        "record assessment",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/assessments",
        care_team_write(201),
        lambda w: {
            "instrument": "gad7",
            "answers": [1, 1, 1, 1, 1, 1, 1],
            "answered_by": "clinician",
            "mode": "telehealth",
        },
    ),
    Operation(
        "measurement trend",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/measurement?instrument=phq9",
        clinical_read(),
    ),
    Operation(
        "list safety alerts",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/safety-alerts?open=true",
        clinical_read(),
    ),
    Operation(
        "resolve safety alert",
        "POST",
        lambda w: f"/safety-alerts/{w.alert.uuid}/resolve",
        care_team_write(200),
        lambda w: {"safety_assessment": "Passive ideation, no plan; safety plan made."},
    ),
    Operation(
        "assessment entered in error",
        "POST",
        lambda w: f"/assessments/{w.assessment.uuid}/entered-in-error",
        care_team_write(200),
        lambda w: {"reason": "Wrong patient"},
    ),
    Operation(
        "record adherence",
        "POST",
        lambda w: f"/prescriptions/{w.active.uuid}/adherence",
        care_team_write(201),
        lambda w: {"status": "taking-not-as-directed", "note": "Misses weekend doses"},
    ),
    Operation(
        "antidepressant trials",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/antidepressant-trials",
        clinical_read(),
    ),
    Operation(
        "measurement plan",
        "GET",
        lambda w: f"/patients/{w.patient.uuid}/measurement-plan",
        clinical_read(),
    ),
    Operation(
        "set measurement plan item",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/measurement-plan/items",
        care_team_write(200),
        lambda w: {"instrument": "gad7", "interval_days": 28},
    ),
    Operation("due measures", "GET", lambda w: "/monitoring/due", clinical_read_list()),
    Operation("prescriber panel", "GET", lambda w: "/monitoring/panel", clinical_read_list()),
    Operation(
        "plan a taper",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/plans",
        {**care_team_write(201), "nurse": 422},
        lambda w: {"kind": "taper", "start": TODAY, "prescription": str(w.active.uuid)},
    ),
    Operation("get plan", "GET", lambda w: f"/plans/{_plan(w).uuid}", clinical_read()),
    Operation(
        "activate plan",
        "POST",
        lambda w: f"/plans/{_plan(w).uuid}/activate",
        {**care_team_write(200), "nurse": 422},
    ),
    Operation(
        "confirm plan step",
        "POST",
        lambda w: f"/plan-steps/{_plan(w, active=True).steps.get(sequence=1).uuid}/confirm",
        {**care_team_write(200), "nurse": 422},
    ),
    Operation(
        "stop plan",
        "POST",
        lambda w: f"/plans/{_plan(w).uuid}/stop",
        {**care_team_write(200), "nurse": 422},
        lambda w: {"reason": "Patient preference"},
    ),
    Operation(
        "decide treatment-resistance suggestion",
        "POST",
        lambda w: f"/patients/{w.patient.uuid}/trd-suggestion-decision",
        # No suggestion in this world: the care team's request reaches the service and is
        # refused there (422 naming `decision`); a nurse is refused as not a prescriber.
        care_team_write(422),
        lambda w: {"decision": "confirm"},
    ),
)


def _client(world: World, persona: str) -> ApiClient:
    if persona == "anonymous":
        return ApiClient(None)
    if persona == "revoked_token":
        client = api_as(world.members["prescriber"])
        revoke_api_token(world.members["prescriber"], ApiToken.objects.get(name="tests"))
        return client
    return api_as(world.members[persona])


def _clinical_state(world: World) -> tuple[object, ...]:
    return (
        tuple(Patient.objects.order_by("pk").values_list("pk", "updated_at")),
        tuple(Encounter.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        tuple(Diagnosis.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        tuple(Allergy.objects.order_by("pk").values_list("pk", "status")),
        EncounterAddendum.objects.count(),
        CareTeamMember.objects.count(),
        tuple(Prescription.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        RegimenEvent.objects.count(),
        SafetyOverride.objects.count(),
        tuple(Assessment.objects.order_by("pk").values_list("pk", "status")),
        tuple(SafetyAlert.objects.order_by("pk").values_list("pk", "resolved_at")),
        AdherenceRecord.objects.count(),
        TrialSuggestionDecision.objects.count(),
        tuple(MeasurementPlanItem.objects.order_by("pk").values_list("pk", "interval_days")),
        tuple(Plan.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        tuple(PlanStep.objects.order_by("pk").values_list("pk", "status", "on", "daily_dose_mg")),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_api_access(operation: Operation, persona: str, world: World) -> None:
    client = _client(world, persona)
    path, body = operation.path(world), operation.body(world)
    before = _clinical_state(world)
    denials_before = AuditEvent.objects.filter(action="access.denied").count()

    if operation.method == "GET":
        response = client.client.get(f"/api/v1{path}")
    elif operation.method == "POST":
        response = client.post(path, body)
    else:
        response = client.patch(path, body)

    expected = operation.status_for(persona)
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert _clinical_state(world) == before
    if expected in (401, 403, 404):
        assert AuditEvent.objects.filter(action="access.denied").count() == denials_before + 1
    if persona == "outsider" and expected == 200:
        assert str(world.patient.uuid) not in response.content.decode()
