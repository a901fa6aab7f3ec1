"""Every web page and form, for every persona: the expected status, and refusals that change
nothing and are themselves audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login_client
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
from dosewise.portal.models import KioskLink
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
from dosewise.tests.conftest import World

PERSONAS = (
    "prescriber",
    "nurse",
    "colleague",
    "front_desk",
    "clinic_admin",
    "outsider",
    "patient_user",
    "anonymous",
)
DENIED = {302, 403, 404}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    expected: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)
    data_for: Callable[[World], dict[str, object]] | None = None  # data naming the world's rows

    def status_for(self, persona: str) -> int:
        if persona == "anonymous":
            return 302
        if persona == "patient_user":
            return 403  # a portal login has no clinic membership
        return self.expected[persona]


def everyone(status: int, **overrides: int) -> dict[str, int]:
    table = {p: status for p in PERSONAS if p not in ("anonymous", "patient_user")}
    table.update(overrides)
    return table


CLINICAL_READ = everyone(200, front_desk=403, clinic_admin=403, outsider=404)


def _prescription(world: World) -> Prescription:
    """The world's signed prescription, written on first use (through the service)."""
    found = Prescription.objects.filter(patient=world.patient).first()
    if found is None:
        order = prescribing.OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            days_supply=30,
            indication=world.diagnosis,
        )
        found = prescribing.prescribe(world.members["prescriber"], world.patient, order)
    return found


def _alert(world: World) -> SafetyAlert:
    """An open suicide-risk alert from a PHQ-9 with item 9 answered, recorded on first use."""
    found = SafetyAlert.objects.filter(patient=world.patient).first()
    if found is None:
        assessments.record_assessment(
            world.members["prescriber"],
            world.patient,
            instrument="phq9",
            answers=[1, 1, 1, 1, 1, 1, 1, 1, 1],
            answered_by="patient",
            mode="in-clinic",
        )
        found = SafetyAlert.objects.get(patient=world.patient)
    return found


def _adherence_url(world: World) -> str:
    """The visit adherence form, with the world's prescription written first."""
    _prescription(world)
    return reverse("prescribing:adherence-visit", args=[world.patient.uuid])


def _adherence_form(world: World) -> dict[str, object]:
    return {
        "on": timezone.localdate().isoformat(),
        f"status_{_prescription(world).uuid}": "taking-as-directed",
    }


def _plan(world: World, *, active: bool = False) -> Plan:
    """A sertraline taper of the world's prescription (a draft, or activated), made on first
    use through the services."""
    found = Plan.objects.filter(patient=world.patient).first()
    if found is None:
        found = create_plan(
            world.members["prescriber"],
            world.patient,
            PlanRequest(kind="taper", start=timezone.localdate()),
            prescription=_prescription(world),
        )
    if active and found.status == Plan.Status.DRAFT:
        found = activate(world.members["prescriber"], found)
    return found


def _first_step(world: World, *, active: bool = False) -> PlanStep:
    return _plan(world, active=active).steps.get(sequence=1)


PHQ9_FORM = {
    "instrument": "phq9",
    "answered_by": "patient",
    "mode": "in-clinic",
    **{f"item_{number}": "1" for number in range(1, 10)},
}


CARE_TEAM_WRITE = everyone(302, colleague=403, front_desk=403, clinic_admin=403, outsider=404)
CARE_TEAM_FORM = everyone(200, colleague=403, front_desk=403, clinic_admin=403, outsider=404)
# Prescribing itself is for prescribers on the care team (nurses record outside medications).
PRESCRIBER_FORM = {**CARE_TEAM_FORM, "nurse": 403}
PRESCRIBER_WRITE = {**CARE_TEAM_WRITE, "nurse": 403}


def _today(world: World, date_field: str) -> dict[str, object]:
    """Today's date in `date_field`, and the regimen version the page would carry."""
    return {
        date_field: timezone.localdate().isoformat(),
        "expected_regimen_version": str(Patient.objects.get(pk=world.patient.pk).regimen_version),
    }


def _order(world: World) -> dict[str, object]:
    """The new-prescription form filled for sertraline, for the world's depression."""
    return {
        "drug": "sertraline",
        "product": "tablet|50",
        "dose_amount": "1",
        "dose_unit": "tablet",
        "route": "oral",
        "timings": ["morning"],
        "start_on": timezone.localdate().isoformat(),
        "days_supply": "30",
        "refills": "0",
        "indication": str(world.diagnosis.uuid),
        "expected_regimen_version": str(Patient.objects.get(pk=world.patient.pk).regimen_version),
    }


CASES = (
    Case("patient list", "GET", lambda w: reverse("patients:patient-list"), everyone(200)),
    Case("new patient form", "GET", lambda w: reverse("patients:patient-new"), everyone(200)),
    Case("chart", "GET", lambda w: w.patient.get_absolute_url(), everyone(200, outsider=404)),
    Case(
        "edit demographics form",
        "GET",
        lambda w: reverse("patients:patient-edit", args=[w.patient.uuid]),
        everyone(200, outsider=404),
    ),
    Case(
        "record allergy",
        "POST",
        lambda w: reverse("patients:allergy-new", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        {
            "substance": "Sulfa",
            "category": "medication",
            "type": "allergy",
            "reaction": "Rash",
            "severity": "mild",
        },
    ),
    Case(
        "allergy entered in error",
        "POST",
        lambda w: reverse("patients:allergy-entered-in-error", args=[w.allergy.uuid]),
        CARE_TEAM_WRITE,
        {"reason": "Wrong patient"},
    ),
    Case(
        "join care team",
        "POST",
        lambda w: reverse("patients:care-team-join", args=[w.patient.uuid]),
        everyone(302, front_desk=403, clinic_admin=403, outsider=404),
        {"reason": "Covering while Dr Treating is away"},
    ),
    Case(
        "new encounter form",
        "GET",
        lambda w: reverse("clinical:encounter-new", args=[w.patient.uuid]),
        CARE_TEAM_FORM,
    ),
    Case(
        "start encounter",
        "POST",
        lambda w: reverse("clinical:encounter-new", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        {
            "kind": "follow-up",
            "mode": "telehealth",
            "occurred_on": "2026-01-05",
            "chief_complaint": "Follow-up",
        },
    ),
    Case("encounter", "GET", lambda w: w.draft.get_absolute_url(), CLINICAL_READ),
    Case(
        "sign encounter",
        "POST",
        lambda w: reverse("clinical:encounter-sign", args=[w.draft.uuid]),
        CARE_TEAM_WRITE,
    ),
    Case(
        "addendum",
        "POST",
        lambda w: reverse("clinical:encounter-addendum", args=[w.signed.uuid]),
        CARE_TEAM_WRITE,
        {"text": "Lab results reviewed."},
    ),
    Case(
        "encounter entered in error",
        "POST",
        lambda w: reverse("clinical:encounter-entered-in-error", args=[w.signed.uuid]),
        CARE_TEAM_WRITE,
        {"reason": "Wrong patient"},
    ),
    Case(
        "diagnosis form",
        "GET",
        lambda w: reverse("clinical:diagnosis-new", args=[w.patient.uuid]),
        CARE_TEAM_FORM,
    ),
    Case(
        "add diagnosis",
        "POST",
        lambda w: reverse("clinical:diagnosis-new", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        {"code": "F41.1", "status": "active"},
    ),
    Case(
        "diagnosis status",
        "POST",
        lambda w: reverse("clinical:diagnosis-status", args=[w.diagnosis.uuid]),
        CARE_TEAM_WRITE,
        {"status": "remission"},
    ),
    Case(
        "diagnosis entered in error",
        "POST",
        lambda w: reverse("clinical:diagnosis-entered-in-error", args=[w.diagnosis.uuid]),
        CARE_TEAM_WRITE,
        {"reason": "Coded in error"},
    ),
    Case(
        "medication history",
        "GET",
        lambda w: reverse("prescribing:medication-history", args=[w.patient.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "printable prescription",
        "GET",
        lambda w: reverse("prescribing:prescription-print", args=[_prescription(w).uuid]),
        CLINICAL_READ,
    ),
    Case(
        "new prescription form",
        "GET",
        lambda w: reverse("prescribing:prescription-new", args=[w.patient.uuid]),
        PRESCRIBER_FORM,
    ),
    Case(
        "prescribe",
        "POST",
        lambda w: reverse("prescribing:prescription-new", args=[w.patient.uuid]),
        PRESCRIBER_WRITE,
        data_for=_order,
    ),
    Case(
        "check an order",
        "POST",
        lambda w: reverse("prescribing:prescription-review", args=[w.patient.uuid]),
        PRESCRIBER_FORM,
        data_for=_order,
    ),
    Case(
        "outside medication form",
        "GET",
        lambda w: reverse("prescribing:outside-medication-new", args=[w.patient.uuid]),
        CARE_TEAM_FORM,
    ),
    Case(
        "record outside medication",
        "POST",
        lambda w: reverse("prescribing:outside-medication-new", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        {
            "drug": "ibuprofen",
            "source": "otc",
            "strength_mg": "200",
            "dose_amount": "1",
            "dose_unit": "tablet",
            "times_per_day": "2",
            "expected_regimen_version": "0",
        },
    ),
    Case("prescription", "GET", lambda w: _prescription(w).get_absolute_url(), CLINICAL_READ),
    Case(
        "change dose form",
        "GET",
        lambda w: reverse("prescribing:prescription-change-dose", args=[_prescription(w).uuid]),
        PRESCRIBER_FORM,
    ),
    Case(
        "switch form",
        "GET",
        lambda w: reverse("prescribing:prescription-switch", args=[_prescription(w).uuid]),
        PRESCRIBER_FORM,
    ),
    Case(
        "hold prescription",
        "POST",
        lambda w: reverse("prescribing:prescription-hold", args=[_prescription(w).uuid]),
        PRESCRIBER_WRITE,
        data_for=lambda w: {"reason": "side-effects", **_today(w, "effective_on")},
    ),
    Case(
        "discontinue prescription",
        "POST",
        lambda w: reverse("prescribing:prescription-discontinue", args=[_prescription(w).uuid]),
        PRESCRIBER_WRITE,
        data_for=lambda w: {"reason": "remission", **_today(w, "effective_on")},
    ),
    Case(
        "renew prescription",
        "POST",
        lambda w: reverse("prescribing:prescription-renew", args=[_prescription(w).uuid]),
        PRESCRIBER_WRITE,
        data_for=lambda w: _today(w, "start_on"),
    ),
    Case(
        "prescription entered in error",
        "POST",
        lambda w: reverse(
            "prescribing:prescription-entered-in-error", args=[_prescription(w).uuid]
        ),
        PRESCRIBER_WRITE,
        {"reason": "Wrong patient", "expected_regimen_version": "1"},
    ),
    Case(
        "administer a scale form",
        "GET",
        lambda w: reverse("clinical:assessment-new", args=[w.patient.uuid]) + "?instrument=phq9",
        CARE_TEAM_FORM,
    ),
    Case(
        "administer a scale",
        "POST",
        lambda w: reverse("clinical:assessment-new", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        PHQ9_FORM,
    ),
    Case(
        "assessment result",
        "GET",
        lambda w: reverse("clinical:assessment-detail", args=[_alert(w).assessment.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "scores and trends",
        "GET",
        lambda w: reverse("clinical:scores-and-trends", args=[w.patient.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "resolve safety alert",
        "POST",
        lambda w: reverse("clinical:safety-alert-resolve", args=[_alert(w).uuid]),
        CARE_TEAM_WRITE,
        {"safety_assessment": "Passive ideation, no plan; safety plan reviewed."},
    ),
    Case(
        "waiting-room tablet link form",
        "GET",
        lambda w: reverse("portal:kiosk-link-new", args=[w.patient.uuid]),
        CARE_TEAM_FORM,
    ),
    Case(
        "create a waiting-room tablet link",
        "POST",
        lambda w: reverse("portal:kiosk-link-new", args=[w.patient.uuid]),
        CARE_TEAM_FORM,  # the link is shown once on the page (200), not behind a redirect
        {"instruments": "phq9"},
    ),
    Case("adherence at this visit form", "GET", _adherence_url, CARE_TEAM_FORM),
    Case(
        "record adherence at this visit",
        "POST",
        _adherence_url,
        CARE_TEAM_WRITE,
        data_for=_adherence_form,
    ),
    Case(
        "antidepressant trials",
        "GET",
        lambda w: reverse("prescribing:antidepressant-trials", args=[w.patient.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "decide treatment-resistance suggestion",
        "POST",
        lambda w: reverse("prescribing:trd-suggestion-decide", args=[w.patient.uuid]),
        PRESCRIBER_WRITE,
        {"decision": "confirm"},
    ),
    Case(
        "treatment plans",
        "GET",
        lambda w: reverse("prescribing:plan-list", args=[w.patient.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "plan a taper form",
        "GET",
        lambda w: (
            reverse("prescribing:plan-new", args=[w.patient.uuid])
            + f"?kind=taper&prescription={_prescription(w).uuid}"
        ),
        PRESCRIBER_FORM,
    ),
    Case(
        "plan a taper",
        "POST",
        # The prescription is written before the state is read (the form names it).
        lambda w: reverse("prescribing:plan-new", args=[_prescription(w).patient.uuid]),
        PRESCRIBER_WRITE,
        data_for=lambda w: {
            "kind": "taper",
            "start": timezone.localdate().isoformat(),
            "prescription": str(_prescription(w).uuid),
        },
    ),
    Case(
        "treatment plan",
        "GET",
        lambda w: reverse("prescribing:plan-detail", args=[_plan(w).uuid]),
        CLINICAL_READ,
    ),
    Case(
        "activate plan",
        "POST",
        lambda w: reverse("prescribing:plan-activate", args=[_plan(w).uuid]),
        PRESCRIBER_WRITE,
    ),
    Case(
        "edit plan step",
        "POST",
        lambda w: reverse("prescribing:plan-step-edit", args=[_first_step(w).uuid]),
        PRESCRIBER_WRITE,
        data_for=lambda w: {
            "on": _first_step(w).on.isoformat(),
            "daily_dose_mg": "25",
        },
    ),
    Case(
        "repeat plan step",
        "POST",
        lambda w: reverse("prescribing:plan-step-repeat", args=[_first_step(w).uuid]),
        PRESCRIBER_WRITE,
    ),
    Case(
        "confirm plan step",
        "POST",
        lambda w: reverse("prescribing:plan-step-confirm", args=[_first_step(w, active=True).uuid]),
        PRESCRIBER_WRITE,
    ),
    Case(
        "pause plan",
        "POST",
        lambda w: reverse("prescribing:plan-pause", args=[_plan(w, active=True).uuid]),
        PRESCRIBER_WRITE,
    ),
    Case(
        "stop plan",
        "POST",
        lambda w: reverse("prescribing:plan-stop", args=[_plan(w).uuid]),
        PRESCRIBER_WRITE,
        {"reason": "Patient preference"},
    ),
    Case(
        "plan calendar",
        "GET",
        lambda w: reverse("prescribing:plan-calendar", args=[_plan(w).uuid]),
        CLINICAL_READ,
    ),
    Case(
        "plan calendar file",
        "GET",
        lambda w: reverse("prescribing:plan-ics", args=[_plan(w).uuid]),
        CLINICAL_READ,
    ),
    Case(
        "worklist",
        "GET",
        lambda w: reverse("clinical:worklist"),
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "measurement plan",
        "GET",
        lambda w: reverse("monitoring:measurement-plan", args=[w.patient.uuid]),
        CLINICAL_READ,
    ),
    Case(
        "set measurement plan item",
        "POST",
        lambda w: reverse("monitoring:measurement-plan", args=[w.patient.uuid]),
        CARE_TEAM_WRITE,
        {"instrument": "gad7", "interval_days": "28"},
    ),
    Case(
        "due and overdue measures",
        "GET",
        lambda w: reverse("monitoring:due-list"),
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "prescriber panel",
        "GET",
        lambda w: reverse("monitoring:panel"),
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "drug picker",
        "GET",
        lambda w: reverse("prescribing:drug-picker") + "?q=zol",
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "drug knowledge",
        "GET",
        lambda w: reverse("clinical:drug-list") + "?q=zol",
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "drug facts",
        "GET",
        lambda w: reverse("clinical:drug-detail", args=["zoloft"]),
        everyone(200, front_desk=403, clinic_admin=403),
    ),
    Case(
        "ICD-10-CM search",
        "GET",
        lambda w: reverse("clinical:icd10-search") + "?q=bipolar",
        everyone(200, front_desk=403, clinic_admin=403),
    ),
)


def _client(world: World, persona: str) -> Client:
    if persona == "anonymous":
        return Client()
    if persona == "patient_user":
        return login_client(world.patient_user)
    member = world.members[persona]
    return login_client(member.user, member.organization)


def _clinical_state(world: World) -> tuple[object, ...]:
    patient = Patient.objects.get(pk=world.patient.pk)
    return (
        patient.updated_at,
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
        KioskLink.objects.count(),
        AdherenceRecord.objects.count(),
        TrialSuggestionDecision.objects.count(),
        tuple(MeasurementPlanItem.objects.order_by("pk").values_list("pk", "interval_days")),
        tuple(Plan.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        tuple(PlanStep.objects.order_by("pk").values_list("pk", "status", "on", "daily_dose_mg")),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_access(case: Case, persona: str, world: World) -> None:
    client = _client(world, persona)
    url = case.url(world)
    before = _clinical_state(world)
    denials_before = AuditEvent.objects.filter(action="access.denied").count()

    data = case.data_for(world) if case.data_for else case.data
    response = client.get(url) if case.method == "GET" else client.post(url, data)

    expected = case.status_for(persona)
    assert response.status_code == expected, response.content[:500]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    refused = persona in ("anonymous", "patient_user") or expected in (403, 404)
    if refused:
        assert _clinical_state(world) == before
        assert AuditEvent.objects.filter(action="access.denied").count() == denials_before + 1
    if persona == "outsider" and case.method == "GET" and expected == 200:
        assert str(world.patient.uuid).encode() not in response.content
        assert world.patient.mrn.encode() not in response.content
