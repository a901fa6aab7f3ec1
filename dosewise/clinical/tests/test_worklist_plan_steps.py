"""The worklist lists plan steps due today or overdue on the member's care-team patients' active
plans, with a link to the plan page; drafts, future steps, confirmed steps and other clinicians'
patients stay off it, and the page's query count does not grow with the plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.tests.test_assessment_views import WORKLIST_QUERIES
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import plans, services
from dosewise.prescribing.plan_models import Plan
from dosewise.prescribing.services import OrderInput

pytestmark = pytest.mark.django_db


def _taper(prescriber: Membership, patient: Patient, *, days_ago: int, activate: bool) -> Plan:
    """Sertraline 100 mg, then a 25% taper every 14 days made (and begun) `days_ago` days ago."""
    begun = timezone.localdate() - dt.timedelta(days=days_ago)
    depression = clinical.add_diagnosis(prescriber, patient, code="F33.1", today=begun)
    order = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(2),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        start_on=begun,
        days_supply=30,
        indication=depression,
    )
    sertraline = services.prescribe(prescriber, patient, order, today=begun)
    plan = plans.create_plan(
        prescriber,
        patient,
        plans.PlanRequest(kind="taper", start=begun, step_percent=Decimal(25), interval_days=14),
        prescription=sertraline,
        today=begun,
    )
    if activate:
        plans.activate(prescriber, plan)
    return plan


def _plan_section(body: str) -> str:
    return body[body.index('id="plan-steps-heading"') : body.index('id="overdue-heading"')]


def test_step_due_today_is_listed_with_a_link_to_the_plan(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    plan = _taper(prescriber, patient, days_ago=14, activate=True)
    begun = timezone.localdate() - dt.timedelta(days=14)
    plans.confirm_step(prescriber, plan.steps.get(sequence=1), today=begun)

    body = client_for(prescriber).get(reverse("clinical:worklist")).content.decode()

    section = _plan_section(body)
    assert section.count('<tr><td class="date">') == 1
    assert f'<a href="{plan.get_absolute_url()}">Taper of sertraline</a>' in section
    assert f'{timezone.localdate():%Y-%m-%d} <span class="tag">Today</span>' in section
    assert "<td>2</td>" in section
    assert "sertraline 62.5 mg/day: " in section
    assert "Rivera, Alex</a>" in section
    assert body.index('id="alerts-heading"') < body.index('id="plan-steps-heading"')
    event = AuditEvent.objects.get(action="worklist.read")
    assert event.detail == {
        "alerts": 0,
        "appointments": 0,
        "follow_ups": 0,
        "labs": 0,
        "plan_steps": 1,
        "unsigned": 0,
        "overdue": 0,
    }


def test_unconfirmed_earlier_steps_are_overdue(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    _taper(prescriber, patient, days_ago=20, activate=True)

    section = _plan_section(
        client_for(prescriber).get(reverse("clinical:worklist")).content.decode()
    )

    today = timezone.localdate()
    assert section.count('<span class="tag">Overdue</span>') == 2
    assert f"{today - dt.timedelta(days=20):%Y-%m-%d} <span" in section
    assert f"{today - dt.timedelta(days=6):%Y-%m-%d} <span" in section
    assert "sertraline 75 mg/day: " in section
    assert "sertraline 62.5 mg/day: " in section
    assert f"{today + dt.timedelta(days=8):%Y-%m-%d}" not in section


def test_drafts_paused_plans_and_other_teams_are_not_listed(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    colleague: Membership,
    patient: Patient,
) -> None:
    _taper(prescriber, patient, days_ago=3, activate=False)
    other = make_patient(prescriber.organization, "MRN-0002", given_name="Sam", family_name="Ng")
    CareTeamMember.objects.create(
        organization=other.organization, patient=other, user=colleague.user, added_by=colleague.user
    )
    _taper(colleague, other, days_ago=3, activate=True)
    paused_patient = make_patient(prescriber.organization, "MRN-0003", family_name="Paused")
    CareTeamMember.objects.create(
        organization=paused_patient.organization,
        patient=paused_patient,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    paused = _taper(prescriber, paused_patient, days_ago=3, activate=True)
    plans.pause(prescriber, paused)

    section = _plan_section(
        client_for(prescriber).get(reverse("clinical:worklist")).content.decode()
    )

    assert "No plan steps due." in section
    assert "Taper of sertraline" not in section
    colleague_section = _plan_section(
        client_for(colleague).get(reverse("clinical:worklist")).content.decode()
    )
    assert colleague_section.count("Taper of sertraline") == 1
    assert "Ng, Sam</a>" in colleague_section


def test_worklist_query_count_does_not_grow_with_plan_steps(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    client = client_for(prescriber)
    _taper(prescriber, patient, days_ago=1, activate=True)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("clinical:worklist")).status_code == 200
    for index in range(2, 7):
        other = make_patient(prescriber.organization, f"MRN-{index:04}")
        CareTeamMember.objects.create(
            organization=other.organization,
            patient=other,
            user=prescriber.user,
            added_by=prescriber.user,
        )
        _taper(prescriber, other, days_ago=30, activate=True)
    with CaptureQueriesContext(connection) as many:
        body = client.get(reverse("clinical:worklist")).content.decode()
    assert _plan_section(body).count("Taper of sertraline") == 1 + 5 * 3
    assert len(few) == len(many) == WORKLIST_QUERIES
