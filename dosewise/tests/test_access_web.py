"""Every web page and form, for every persona: the expected status, and refusals that change
nothing and are themselves audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login_client
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import Diagnosis, Encounter, EncounterAddendum
from dosewise.patients.models import Allergy, CareTeamMember, Patient
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
CARE_TEAM_WRITE = everyone(302, colleague=403, front_desk=403, clinic_admin=403, outsider=404)
CARE_TEAM_FORM = everyone(200, colleague=403, front_desk=403, clinic_admin=403, outsider=404)

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
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_access(case: Case, persona: str, world: World) -> None:
    client = _client(world, persona)
    url = case.url(world)
    before = _clinical_state(world)
    denials_before = AuditEvent.objects.filter(action="access.denied").count()

    response = client.get(url) if case.method == "GET" else client.post(url, case.data)

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
