"""Withdrawal and side-effect check-ins at a taper's steps: recorded by the care team through the
plan page, compared with the previous check-in, a suggestion to hold shown with its reason, bad
answers refused naming the field with nothing written, and who may record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.domain.withdrawal import CODES
from dosewise.patients.models import Patient
from dosewise.prescribing import checkins, plans, services
from dosewise.prescribing.models import PlanStepCheckIn, Prescription
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.services import OrderInput


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def plan(prescriber: Membership, patient: Patient, today: dt.date) -> Plan:
    """An active sertraline taper (100 mg a day) whose first step (75 mg) is confirmed."""
    depression = clinical.add_diagnosis(prescriber, patient, code="F33.1", today=today)
    order = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(2),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        start_on=today,
        days_supply=30,
        indication=depression,
    )
    sertraline: Prescription = services.prescribe(prescriber, patient, order, today=today)
    request = plans.PlanRequest(kind="taper", start=today, step_percent=Decimal(25))
    made = plans.create_plan(prescriber, patient, request, prescription=sertraline)
    plans.activate(prescriber, made)
    plans.confirm_step(prescriber, made.steps.get(sequence=1), today=today)
    made.refresh_from_db()
    return made


def answers(**ratings: int) -> dict[str, str]:
    return {code: str(ratings.get(code, 0)) for code in CODES}


def post(client: Client, plan: Plan, step: PlanStep, data: dict[str, str], note: str = ""):  # type: ignore[no-untyped-def]
    url = reverse("prescribing:plan-check-in", args=[plan.uuid])
    return client.post(url, {"step": str(step.uuid), "note": note, **data}, follow=False)


def test_nurse_records_a_check_in_through_the_page(
    plan: Plan, nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(nurse)
    step = plan.steps.get(sequence=1)
    page = client.get(plan.get_absolute_url())
    assert page.status_code == 200
    assert b'name="electric_sensations"' in page.content
    assert f'<option value="{step.uuid}">'.encode() in page.content

    response = post(client, plan, step, answers(dizziness=1), note="Mild dizziness mornings")

    assert (response.status_code, response["Location"]) == (302, plan.get_absolute_url())
    check_in = PlanStepCheckIn.objects.get()
    assert (check_in.step, check_in.recorded_by, check_in.note) == (
        step,
        nurse.user,
        "Mild dizziness mornings",
    )
    assert check_in.ratings == {code: (1 if code == "dizziness" else 0) for code in CODES}
    assert (check_in.hold_suggested, check_in.hold_reason, check_in.total) == (False, "", 1)
    assert AuditEvent.objects.filter(action="plan.check-in").count() == 1
    shown = client.get(plan.get_absolute_url()).content.decode()
    assert "Dizziness or light-headedness: mild" in shown
    assert "Consider holding the current step" not in shown


def test_worsening_shows_consider_holding_with_the_reason(
    plan: Plan, prescriber: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(prescriber)
    step = plan.steps.get(sequence=1)
    post(client, plan, step, answers())

    response = post(client, plan, step, answers(electric_sensations=2))

    assert response.status_code == 302
    latest = PlanStepCheckIn.objects.order_by("-id").first()
    assert latest is not None
    reason = 'New moderate or worse: Electric sensations ("brain zaps").'
    assert (latest.hold_suggested, latest.hold_reason) == (True, reason)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Consider holding the current step</strong> (step 1): " in page
    assert "New moderate or worse: Electric sensations (&quot;brain zaps&quot;)." in page
    assert "Slow down: repeat this step" in page


def test_service_compares_with_the_previous_check_in(plan: Plan, nurse: Membership) -> None:
    step = plan.steps.get(sequence=1)
    first = checkins.record_check_in(nurse, step, answers=answers(nausea=1, sleep=1))
    second = checkins.record_check_in(nurse, step, answers=answers(nausea=2, sleep=2, tremor=1))
    assert (first.hold_suggested, second.hold_suggested) == (False, True)
    assert second.hold_reason == ("Symptoms rose by 3 points in total since the last check-in.")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (answers(nausea=4), "nausea", "Rate nausea as 0 none, 1 mild, 2 moderate or 3 severe."),
        (
            {code: "0" for code in CODES if code != "sleep"},
            "sleep",
            "Rate insomnia or vivid dreams (0 none to 3 severe).",
        ),
        (
            answers(tremor=-1),
            "tremor",
            "Rate tremor or shakiness as 0 none, 1 mild, 2 moderate or 3 severe.",
        ),
    ],
)
def test_bad_answers_name_the_field_and_write_nothing(
    plan: Plan,
    nurse: Membership,
    client_for: Callable[[Membership], Client],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    client = client_for(nurse)
    response = post(client, plan, plan.steps.get(sequence=1), data)
    assert response.status_code == 400
    assert f"Check-in, {field.replace('_', ' ')}: {message}" in response.content.decode()
    assert PlanStepCheckIn.objects.count() == 0
    assert AuditEvent.objects.filter(action="plan.check-in").count() == 0


def test_long_note_and_unknown_step_are_refused(
    plan: Plan, nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(nurse)
    step = plan.steps.get(sequence=1)
    long = post(client, plan, step, answers(), note="x" * 501)
    assert long.status_code == 400
    assert "Check-in, note: Keep the note to 500 characters." in long.content.decode()
    url = reverse("prescribing:plan-check-in", args=[plan.uuid])
    unknown = client.post(url, {"step": "not-a-uuid", **answers()})
    assert unknown.status_code == 400
    assert "Check-in, step: Choose the step the patient is on." in unknown.content.decode()
    assert PlanStepCheckIn.objects.count() == 0


def test_a_step_not_yet_started_is_refused(plan: Plan, nurse: Membership) -> None:
    later = plan.steps.get(sequence=2)
    with pytest.raises(ValidationError) as caught:
        checkins.record_check_in(nurse, later, answers=answers())
    assert caught.value.message_dict == {
        "step": ["Check in on a step the patient has started (a confirmed step)."]
    }
    assert PlanStepCheckIn.objects.count() == 0


def test_colleague_not_on_the_care_team_is_refused(
    plan: Plan, colleague: Membership, client_for: Callable[[Membership], Client]
) -> None:
    step = plan.steps.get(sequence=1)
    with pytest.raises(NotOnCareTeam):
        checkins.record_check_in(colleague, step, answers=answers())
    client = client_for(colleague)
    page = client.get(plan.get_absolute_url())
    assert page.status_code == 200
    assert b"Record check-in" not in page.content
    assert post(client, plan, step, answers()).status_code == 403
    assert PlanStepCheckIn.objects.count() == 0


@pytest.mark.parametrize(("persona", "status"), [("front_desk", 403), ("outsider", 404)])
def test_non_clinical_and_other_organization_are_refused(
    plan: Plan,
    persona: str,
    status: int,
    request: pytest.FixtureRequest,
    client_for: Callable[[Membership], Client],
) -> None:
    member: Membership = request.getfixturevalue(persona)
    response = post(client_for(member), plan, plan.steps.get(sequence=1), answers())
    assert response.status_code == status
    assert PlanStepCheckIn.objects.count() == 0
