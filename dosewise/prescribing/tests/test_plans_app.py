"""Plans in the clinic: a generated draft, activation, each confirmed step written to the
medication history through the prescribing services, refusals that write nothing, the patient's
calendar and .ics file, and who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.patients.models import Patient
from dosewise.prescribing import plans, services
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.plan_models import Plan, PlanStep
from dosewise.prescribing.plan_views import ics_text, plan_ics_text
from dosewise.prescribing.services import OrderInput
from dosewise.tests.api_support import api_as


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def depression(prescriber: Membership, patient: Patient, today: dt.date) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F33.1", today=today)


@pytest.fixture
def sertraline(
    prescriber: Membership, patient: Patient, depression: Diagnosis, today: dt.date
) -> Prescription:
    """Sertraline 100 mg a day: 2 tablets of 50 mg."""
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
    return services.prescribe(prescriber, patient, order, today=today)


def taper(today: dt.date, **changes: object) -> plans.PlanRequest:
    values: dict[str, object] = {"kind": "taper", "start": today, "step_percent": Decimal(25)}
    values.update(changes)
    return plans.PlanRequest(**values)  # type: ignore[arg-type]


def written() -> tuple[int, int, int, int]:
    return (
        Plan.objects.count(),
        PlanStep.objects.count(),
        RegimenEvent.objects.count(),
        Prescription.objects.count(),
    )


def test_sertraline_taper_is_a_draft_with_generated_steps(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(
        prescriber, patient, taper(today), prescription=sertraline, reason="Remission"
    )
    assert (plan.kind, plan.status, plan.drug, plan.prescription, plan.indication) == (
        "taper",
        "draft",
        "sertraline",
        sertraline,
        sertraline.indication,
    )
    steps = list(plan.steps.values_list("sequence", "on", "daily_dose_mg"))
    assert steps[:3] == [
        (1, today, Decimal(75)),
        (2, today + dt.timedelta(days=14), Decimal("62.5")),
        (3, today + dt.timedelta(days=28), Decimal(50)),
    ]
    assert steps[-1] == (13, today + dt.timedelta(days=168), Decimal(0))
    assert plan.parameters == {
        "kind": "taper",
        "start": today.isoformat(),
        "drug": "sertraline",
        "from_mg": "100",
        "method": "hyperbolic",
        "step_percent": "25",
        "strategy": "cross-taper",
    }
    assert AuditEvent.objects.filter(action="plan.create").count() == 1


def test_activate_and_confirm_first_step_changes_the_dose(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    plans.activate(prescriber, plan)
    first = plan.steps.get(sequence=1)

    confirmed = plans.confirm_step(prescriber, first, today=today)

    event = confirmed.regimen_event
    assert event is not None
    assert (event.kind, event.daily_mg, event.effective_on, event.replaces) == (
        "dose_changed",
        Decimal(75),
        today,
        sertraline,
    )
    new = event.prescription
    assert (new.strength_mg, new.dose_amount, new.dose_unit) == (
        Decimal(50),
        Decimal("1.5"),
        "tablet",
    )
    assert new.sig == "Take 1 1/2 tablets (75 mg) by mouth once daily in the morning."
    assert (confirmed.status, confirmed.confirmed_by) == ("confirmed", prescriber.user)
    assert services.current_prescriptions(patient, on=today) == [new]
    plan.refresh_from_db()
    assert plan.status == "active"


def test_confirming_every_step_ends_with_discontinued_and_completes_the_plan(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    plans.activate(prescriber, plan)
    for step in plan.steps.order_by("sequence"):
        plans.confirm_step(prescriber, step, today=step.on)
    last = plan.steps.order_by("sequence").last()
    assert last is not None and last.regimen_event is not None
    assert (last.regimen_event.kind, last.regimen_event.effective_on) == (
        "discontinued",
        today + dt.timedelta(days=168),
    )
    assert services.current_prescriptions(patient, on=last.on) == []
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert list(
        RegimenEvent.objects.filter(patient=patient).values_list("daily_mg", flat=True)
    ) == [
        Decimal(100),
        Decimal(75),
        Decimal("62.5"),
        Decimal(50),
        Decimal("37.5"),
        Decimal(30),
        Decimal(24),
        Decimal(18),
        Decimal(14),
        Decimal(12),
        Decimal(10),
        Decimal(8),
        Decimal(6),
        Decimal(6),
    ]


def test_a_step_cannot_be_confirmed_before_its_date_or_out_of_order(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    plans.activate(prescriber, plan)
    before = written()
    with pytest.raises(ValidationError) as early:
        plans.confirm_step(prescriber, plan.steps.get(sequence=1), today=today - dt.timedelta(1))
    assert early.value.message_dict == {"on": [f"This step is due on {today.isoformat()}."]}
    with pytest.raises(ValidationError) as skipped:
        plans.confirm_step(prescriber, plan.steps.get(sequence=2), today=today + dt.timedelta(14))
    assert skipped.value.message_dict == {
        "step": [f"Confirm the step of {today.isoformat()} (step 1) first."]
    }
    assert written() == before


def test_draft_steps_cannot_be_confirmed(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    with pytest.raises(ValidationError) as error:
        plans.confirm_step(prescriber, plan.steps.get(sequence=1), today=today)
    assert error.value.message_dict == {"status": ["This plan is draft."]}


def test_cross_taper_into_phenelzine_is_refused_with_the_finding(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    before = (written(), AuditEvent.objects.filter(action="plan.create").count())
    request = plans.PlanRequest(kind="switch", start=today, to_drug="phenelzine", to_mg=Decimal(45))
    with pytest.raises(plans.PlanRefusedError) as error:
        plans.create_plan(prescriber, patient, request, prescription=sertraline)
    assert [item.code for item in error.value.findings] == [
        "cross-taper-with-maoi",
        "maoi-with-serotonergic",
    ]
    assert list(error.value.message_dict) == ["to_drug"]
    assert error.value.message_dict["to_drug"][0] == (
        "Refused by the safety review: contraindicated cross-taper-with-maoi: "
        "phenelzine is an MAOI: it is never cross-tapered."
    )
    assert (written(), AuditEvent.objects.filter(action="plan.create").count()) == before


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"step_percent": Decimal(80)},
            {"step_percent": ["step_percent: must be between 1 and 50, not 80"]},
        ),
        (
            {"method": "sideways"},
            {"method": ["method: 'sideways' is not one of hyperbolic, linear"]},
        ),
        (
            {"kind": "wander"},
            {"kind": ["Unknown plan kind 'wander'; use titration, taper, switch."]},
        ),
        (
            {"start": dt.date(2000, 1, 1)},
            {"start": ["A plan cannot start in the past."]},
        ),
    ],
)
def test_bad_parameters_name_the_field_and_write_nothing(
    prescriber: Membership,
    patient: Patient,
    sertraline: Prescription,
    today: dt.date,
    changes: dict[str, object],
    errors: dict[str, list[str]],
) -> None:
    before = written()
    with pytest.raises(ValidationError) as error:
        plans.create_plan(prescriber, patient, taper(today, **changes), prescription=sertraline)
    assert error.value.message_dict == errors
    assert written() == before


def test_switch_needs_its_fields_and_titration_a_known_drug(
    prescriber: Membership,
    patient: Patient,
    sertraline: Prescription,
    depression: Diagnosis,
    today: dt.date,
) -> None:
    with pytest.raises(ValidationError) as error:
        plans.create_plan(
            prescriber,
            patient,
            plans.PlanRequest(kind="switch", start=today),
            prescription=sertraline,
        )
    assert error.value.message_dict == {
        "to_drug": ["Choose the drug to switch to."],
        "to_mg": ["Give the new drug's target daily dose in mg."],
    }
    with pytest.raises(ValidationError) as unknown:
        plans.create_plan(
            prescriber,
            patient,
            plans.PlanRequest(kind="titration", start=today, drug="unobtainium", to_mg=Decimal(1)),
            indication=depression,
        )
    assert list(unknown.value.message_dict) == ["drug"]


def test_nurses_cannot_plan(
    nurse: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    before = written()
    with pytest.raises(ValidationError) as error:
        plans.create_plan(nurse, patient, taper(today), prescription=sertraline)
    assert error.value.message_dict == {
        "prescriber": ["Only prescribers plan and change prescriptions."]
    }
    assert written() == before


def test_edit_step_rechecks_and_repeat_step_slows_down(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    second = plan.steps.get(sequence=2)
    step, _ = plans.edit_step(
        prescriber, second, daily_dose_mg=Decimal(50), on=second.on, today=today
    )
    assert (step.daily_dose_mg, step.take) == (
        Decimal(50),
        "Take 1 tablet (50 mg) by mouth once daily in the morning.",
    )
    with pytest.raises(ValidationError) as error:
        plans.edit_step(
            prescriber, second, daily_dose_mg=Decimal(50), on=today + dt.timedelta(days=100)
        )
    assert error.value.message_dict == {
        "on": [f"The step after is on {(today + dt.timedelta(days=28)).isoformat()}."]
    }
    repeated = plans.repeat_step(prescriber, plan.steps.get(sequence=1))
    assert (repeated.sequence, repeated.on, repeated.daily_dose_mg) == (
        2,
        today + dt.timedelta(days=14),
        Decimal(75),
    )
    assert list(plan.steps.order_by("sequence").values_list("sequence", "on")[:3]) == [
        (1, today),
        (2, today + dt.timedelta(days=14)),
        (3, today + dt.timedelta(days=28)),
    ]
    assert plan.steps.count() == 14


def test_stop_needs_a_reason_and_skips_what_is_left(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    plans.activate(prescriber, plan)
    with pytest.raises(ValidationError) as error:
        plans.stop(prescriber, plan, reason=" ")
    assert error.value.message_dict == {"reason": ["Say why the plan is stopped."]}
    stopped = plans.stop(prescriber, plan, reason="Withdrawal symptoms")
    assert (stopped.status, stopped.stop_reason) == ("stopped", "Withdrawal symptoms")
    assert set(plan.steps.values_list("status", flat=True)) == {"skipped"}


def test_ics_has_one_all_day_event_per_step(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    text = plan_ics_text(plan, stamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    starts = [line for line in text.split("\r\n") if line.startswith("DTSTART")]
    assert starts == [
        f"DTSTART;VALUE=DATE:{step.on:%Y%m%d}" for step in plan.steps.order_by("sequence")
    ]
    assert text.count("BEGIN:VEVENT") == 13
    assert "SUMMARY:sertraline: 75 mg a day from today\r\n" in text
    assert "SUMMARY:Stop sertraline\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert ics_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_ics_and_calendar_pages(
    prescriber: Membership,
    patient: Patient,
    sertraline: Prescription,
    today: dt.date,
    client_for: Callable[[Membership], Client],
) -> None:
    plan = plans.create_plan(prescriber, patient, taper(today), prescription=sertraline)
    client = client_for(prescriber)
    response = client.get(reverse("prescribing:plan-ics", args=[plan.uuid]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content.count(b"BEGIN:VEVENT") == 13
    page = client.get(reverse("prescribing:plan-calendar", args=[plan.uuid]))
    assert page.status_code == 200
    assert b"1 tablet of 50 mg and 1 tablet of 25 mg a day" in page.content
    assert len(plans.calendar(plan)) == 169


def test_web_flow_plan_activate_confirm(
    prescriber: Membership,
    patient: Patient,
    sertraline: Prescription,
    today: dt.date,
    client_for: Callable[[Membership], Client],
) -> None:
    client = client_for(prescriber)
    url = reverse("prescribing:plan-new", args=[patient.uuid])
    bad = client.post(
        url,
        {
            "kind": "taper",
            "start": today.isoformat(),
            "prescription": str(sertraline.uuid),
            "step_percent": "80",
        },
    )
    assert bad.status_code == 400
    assert b"step_percent: must be between 1 and 50, not 80" in bad.content
    assert Plan.objects.count() == 0
    made = client.post(
        url,
        {"kind": "taper", "start": today.isoformat(), "prescription": str(sertraline.uuid)},
    )
    plan = Plan.objects.get()
    assert made.status_code == 302 and made["Location"] == plan.get_absolute_url()
    assert client.get(plan.get_absolute_url()).status_code == 200
    client.post(reverse("prescribing:plan-activate", args=[plan.uuid]))
    plan.refresh_from_db()
    assert plan.status == "active"
    first = plan.steps.get(sequence=1)
    done = client.post(reverse("prescribing:plan-step-confirm", args=[first.uuid]))
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.regimen_event is not None and first.regimen_event.daily_mg == Decimal(75)


def test_api_generates_a_plan_and_refuses_an_maoi_cross_taper(
    prescriber: Membership, patient: Patient, sertraline: Prescription, today: dt.date
) -> None:
    client = api_as(prescriber)
    made = client.post(
        f"/patients/{patient.uuid}/plans",
        {"kind": "taper", "start": today.isoformat(), "prescription": str(sertraline.uuid)},
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["kind"], body["status"], len(body["steps"])) == ("taper", "draft", 13)
    assert body["steps"][0]["daily_dose_mg"] == "75.000"
    refused = client.post(
        f"/patients/{patient.uuid}/plans",
        {
            "kind": "switch",
            "start": today.isoformat(),
            "prescription": str(sertraline.uuid),
            "to_drug": "phenelzine",
            "to_mg": "45",
        },
    )
    assert refused.status_code == 422
    assert [item["field"] for item in refused.json()["errors"]] == ["to_drug", "to_drug"]
    assert "cross-taper-with-maoi" in refused.json()["errors"][0]["message"]
    assert Plan.objects.count() == 1
    activated = client.post(f"/plans/{body['uuid']}/activate", {})
    assert activated.json()["status"] == "active"
    confirmed = client.post(f"/plan-steps/{body['steps'][0]['uuid']}/confirm", {})
    assert confirmed.status_code == 200
    event = RegimenEvent.objects.get(uuid=confirmed.json()["regimen_event"])
    assert (event.kind, event.daily_mg) == ("dose_changed", Decimal(75))
