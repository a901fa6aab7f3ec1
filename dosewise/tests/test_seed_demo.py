"""The demo clinic loads on an empty database, through the services, and only once."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from dosewise import demo
from dosewise.accounts.models import Membership, Organization
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.prescribing.plan_models import Plan, PlanStep

TODAY = dt.date(2026, 11, 27)

# Regimen events (one prescription each) of the medication stories (28), the lab-monitoring
# demo (clozapine start and dose change, sertraline, aripiprazole: 4) and the side-effect demo
# (lamotrigine start and dose change: 2).
DEMO_EVENTS = 28 + 4 + 2


def _days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def _history(mrn: str) -> list[tuple[str, str, Decimal, str, dt.date]]:
    return list(
        RegimenEvent.objects.filter(patient__mrn=mrn)
        .order_by("id")
        .values_list("kind", "prescription__drug", "daily_mg", "reason", "effective_on")
    )


def _current(mrn: str, on: dt.date = TODAY) -> list[tuple[str, Decimal, str]]:
    patient = Patient.objects.get(mrn=mrn)
    return [
        (item.drug, item.daily_mg, item.source)
        for item in services.current_prescriptions(patient, on=on)
    ]


@pytest.mark.django_db
def test_seed_demo_on_an_empty_database() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    organization = Organization.objects.get(is_demo=True)
    roles = sorted(
        Membership.objects.filter(organization=organization).values_list("role", "credential")
    )
    assert roles == [
        ("admin", ""),
        ("nurse", ""),
        ("prescriber", "np"),
        ("prescriber", "pa"),
        ("prescriber", "psychiatrist"),
        ("staff", ""),
    ]
    assert Patient.objects.filter(organization=organization).count() == 40
    assert Encounter.objects.filter(kind="intake", status="signed").count() == 40
    families = {code[:3] for code in Diagnosis.objects.values_list("code", flat=True)}
    assert families == {
        "F20",  # the clozapine patient (treatment-resistant schizophrenia)
        "F31",
        "F32",
        "F33",
        "F41",
        "F43",
        "F90",
    }  # schizophrenia, bipolar, depression, anxiety, PTSD, ADHD
    assert AuditEvent.objects.filter(action="patient.create").count() == 40
    assert AuditEvent.objects.filter(action="encounter.sign").count() == 40
    assert "dr.patel" in out.getvalue()
    assert "TOTP secret" in out.getvalue()

    assert (Prescription.objects.count(), RegimenEvent.objects.count()) == (
        DEMO_EVENTS,
        DEMO_EVENTS,
    )
    assert SafetyOverride.objects.count() == 2

    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Patient.objects.count() == 40
    assert (Prescription.objects.count(), RegimenEvent.objects.count()) == (
        DEMO_EVENTS,
        DEMO_EVENTS,
    )
    assert AuditEvent.objects.count() == events
    call_command("verify_audit", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_pages_show_the_fictional_data_banner(client) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo", patients=1, stdout=io.StringIO())
    response = client.get("/accounts/login/")
    assert b"Demonstration data." in response.content


@pytest.fixture
def demo_clinic(db: None) -> Organization:
    organization, created = demo.seed(today=TODAY)
    assert created
    return organization


def test_sertraline_is_started_and_titrated_after_four_weeks(demo_clinic: Organization) -> None:
    """DW-1001 (recurrent depression): 50 mg, then 100 mg 28 days later; OTC ibuprofen."""
    assert _history("DW-1001") == [
        ("started", "ibuprofen", Decimal(1200), "reconciliation", _days_ago(100 + 365)),
        ("started", "sertraline", Decimal(50), "new-treatment", _days_ago(100)),
        ("dose_changed", "sertraline", Decimal(100), "titration", _days_ago(72)),
    ]
    assert _current("DW-1001") == [
        ("ibuprofen", Decimal(1200), "otc"),
        ("sertraline", Decimal(100), "prescribed"),
    ]
    raised = Prescription.objects.get(patient__mrn="DW-1001", drug="sertraline", status="active")
    assert raised.indication is not None
    assert raised.indication.code == "F33.1"
    assert raised.sig == "Take 1 tablet (100 mg) by mouth once daily in the morning."
    assert raised.replaces is not None
    assert (raised.replaces.strength_mg, raised.replaces.status) == (Decimal(50), "stopped")


def test_escitalopram_is_switched_to_bupropion_for_side_effects(
    demo_clinic: Organization,
) -> None:
    """DW-1002 (depression): escitalopram 10 -> 20 mg, then bupropion XL 150 -> 300 mg."""
    assert _history("DW-1002") == [
        ("started", "escitalopram", Decimal(10), "new-treatment", _days_ago(180)),
        ("dose_changed", "escitalopram", Decimal(20), "titration", _days_ago(152)),
        ("switched", "bupropion", Decimal(150), "side-effects", _days_ago(96)),
        ("dose_changed", "bupropion", Decimal(300), "titration", _days_ago(68)),
    ]
    switch = RegimenEvent.objects.get(patient__mrn="DW-1002", kind="switched")
    assert switch.replaces is not None
    assert (switch.replaces.drug, switch.replaces.strength_mg) == ("escitalopram", Decimal(20))
    assert switch.reason_text.startswith("Sexual dysfunction on escitalopram 20 mg")
    assert _current("DW-1002") == [("bupropion", Decimal(300), "prescribed")]
    assert _current("DW-1002", on=_days_ago(97)) == [("escitalopram", Decimal(20), "prescribed")]


def test_recorded_intolerance_is_shown_but_does_not_block(demo_clinic: Organization) -> None:
    """DW-1003 (generalized anxiety): escitalopram recorded as an intolerance (not an allergy):
    the check shows a moderate finding, so the restart at 5 mg needs no override."""
    assert _history("DW-1003") == [
        ("started", "escitalopram", Decimal(5), "new-treatment", _days_ago(45)),
        ("dose_changed", "escitalopram", Decimal(10), "titration", _days_ago(31)),
    ]
    assert not SafetyOverride.objects.filter(patient__mrn="DW-1003").exists()


def test_clonazepam_is_titrated_then_reduced_beside_sertraline(demo_clinic: Organization) -> None:
    """DW-1004 (panic disorder): clonazepam 0.5 -> 1 mg/day, then reduced to 0.5 mg/day."""
    assert _history("DW-1004") == [
        ("started", "sertraline", Decimal(25), "new-treatment", _days_ago(120)),
        ("started", "clonazepam", Decimal("0.5"), "new-treatment", _days_ago(120)),
        ("dose_changed", "clonazepam", Decimal(1), "titration", _days_ago(117)),
        ("dose_changed", "sertraline", Decimal(50), "titration", _days_ago(113)),
        ("dose_changed", "clonazepam", Decimal("0.5"), "titration", _days_ago(36)),
    ]
    reduced = Prescription.objects.get(patient__mrn="DW-1004", drug="clonazepam", status="active")
    assert (reduced.sig, reduced.dea_schedule, reduced.refills, reduced.pdmp_checked_on) == (
        "Take 1 tablet (0.5 mg) by mouth once daily at bedtime.",
        "4",
        1,
        _days_ago(36),
    )
    assert reduced.events.get().reason_text.startswith("Planned taper")
    assert _current("DW-1004") == [
        ("clonazepam", Decimal("0.5"), "prescribed"),
        ("sertraline", Decimal(50), "prescribed"),
    ]


def test_lithium_dose_change_with_lisinopril_acknowledged(demo_clinic: Organization) -> None:
    """DW-1006 (bipolar I): lithium for the bipolar diagnosis; lisinopril from primary care
    raises lithium levels, a major finding answered with the monitoring plan."""
    assert _history("DW-1006") == [
        ("started", "lisinopril", Decimal(10), "reconciliation", _days_ago(160 + 730)),
        ("started", "lithium carbonate", Decimal(600), "new-treatment", _days_ago(160)),
        ("dose_changed", "lithium carbonate", Decimal(900), "titration", _days_ago(150)),
    ]
    lisinopril = Prescription.objects.get(patient__mrn="DW-1006", drug="lisinopril")
    assert (lisinopril.source, lisinopril.outside_prescriber, lisinopril.prescriber) == (
        "outside",
        demo.PRIMARY_CARE,
        None,
    )
    lithium = Prescription.objects.filter(patient__mrn="DW-1006", drug="lithium carbonate")
    assert {item.indication.code for item in lithium if item.indication} == {"F31.32"}
    overrides = SafetyOverride.objects.filter(patient__mrn="DW-1006").order_by("id")
    assert [(item.code, item.severity, item.drugs) for item in overrides] == [
        ("lithium-clearance-reduced", "major", ["lisinopril", "lithium carbonate"]),
        ("lithium-clearance-reduced", "major", ["lisinopril", "lithium carbonate"]),
    ]
    assert all("level" in item.reason for item in overrides)
    assert _current("DW-1006") == [
        ("lisinopril", Decimal(10), "outside"),
        ("lithium carbonate", Decimal(900), "prescribed"),
    ]


def test_methylphenidate_has_monthly_schedule_ii_prescriptions(demo_clinic: Organization) -> None:
    """DW-1008 (ADHD): one prescription a month, no refills, earliest fill when the previous
    supply runs out, PDMP checked at each visit by a DEA-registered prescriber."""
    assert [kind for kind, *_ in _history("DW-1008")] == [
        "started",
        "dose_changed",
        "renewed",
        "renewed",
        "renewed",
        "renewed",
    ]
    series = list(
        Prescription.objects.filter(patient__mrn="DW-1008")
        .order_by("id")
        .values_list(
            "strength_mg",
            "start_on",
            "earliest_fill_on",
            "pdmp_checked_on",
            "quantity",
            "refills",
            "dea_schedule",
            "status",
        )
    )
    assert series == [
        (Decimal(18), _days_ago(150), None, _days_ago(150), Decimal(30), 0, "2", "stopped"),
        (Decimal(36), _days_ago(122), None, _days_ago(122), Decimal(30), 0, "2", "completed"),
        (
            Decimal(36),
            _days_ago(92),
            _days_ago(92),
            _days_ago(94),
            Decimal(30),
            0,
            "2",
            "completed",
        ),
        (
            Decimal(36),
            _days_ago(62),
            _days_ago(62),
            _days_ago(64),
            Decimal(30),
            0,
            "2",
            "completed",
        ),
        (
            Decimal(36),
            _days_ago(32),
            _days_ago(32),
            _days_ago(34),
            Decimal(30),
            0,
            "2",
            "completed",
        ),
        (Decimal(36), _days_ago(2), _days_ago(2), _days_ago(4), Decimal(30), 0, "2", "active"),
    ]
    prescriber = Membership.objects.get(organization=demo_clinic, user__username="np.nguyen")
    assert prescriber.dea_number == "MN2345672"
    assert "2" in prescriber.dea_schedules
    assert set(
        Prescription.objects.filter(patient__mrn="DW-1008").values_list(
            "prescriber__username", flat=True
        )
    ) == {"np.nguyen"}


def test_demo_regimens_are_audited_and_seeded_only_once(demo_clinic: Organization) -> None:
    assert SafetyOverride.objects.count() == 2
    assert AuditEvent.objects.filter(action="safety.override").count() == 2
    assert set(
        AuditEvent.objects.filter(action__startswith="regimen.").values_list("action", flat=True)
    ) == {"regimen.dose_changed", "regimen.renewed", "regimen.started", "regimen.switched"}
    assert AuditEvent.objects.filter(action__startswith="regimen.").count() == (
        RegimenEvent.objects.count()
    )
    assert RegimenEvent.objects.count() == DEMO_EVENTS
    assert not Prescription.objects.filter(source="prescribed", indication__isnull=True).exists()
    call_command("verify_audit", stdout=io.StringIO())

    counts = (
        Prescription.objects.count(),
        RegimenEvent.objects.count(),
        AuditEvent.objects.count(),
    )
    organization, created = demo.seed(today=TODAY)
    assert (organization, created) == (demo_clinic, False)
    assert (
        Prescription.objects.count(),
        RegimenEvent.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_demo_scores_show_a_response_and_an_open_suicide_alert(demo_clinic: Organization) -> None:
    """DW-1001 reaches PHQ-9 remission on sertraline; DW-1002's latest PHQ-9 answered item 9,
    so an urgent alert stays open until a clinician records a safety assessment."""
    from dosewise.clinical.models import Assessment, SafetyAlert

    totals = list(
        Assessment.objects.filter(patient__mrn="DW-1001", instrument="phq9")
        .order_by("administered_at")
        .values_list("total", flat=True)
    )
    assert totals == [18, 12, 8, 4]
    assert list(
        Assessment.objects.filter(patient__mrn="DW-1003")
        .order_by("administered_at")
        .values_list("instrument", "total")
    ) == [("gad7", 15), ("gad7", 11), ("gad7", 8)]
    alert = SafetyAlert.objects.get(assessment__isnull=False)
    assert (alert.patient.mrn, alert.kind, alert.resolved_at) == ("DW-1002", "suicide_risk", None)


def _steps(mrn: str) -> list[tuple[int, dt.date, str, Decimal, str, int]]:
    return list(
        PlanStep.objects.filter(plan__patient__mrn=mrn)
        .order_by("sequence")
        .values_list("sequence", "on", "drug", "daily_dose_mg", "status", "every_days")
    )


def test_demo_has_an_active_sertraline_taper_with_a_step_due_today(
    demo_clinic: Organization,
) -> None:
    """DW-1011 (recurrent depression, a year in remission): a hyperbolic taper from 100 mg,
    begun two weeks ago; step 1 (75 mg) confirmed then, step 2 (62.5 mg) due today."""
    plan = Plan.objects.get(patient__mrn="DW-1011")
    assert (plan.kind, plan.status, plan.drug, plan.to_drug) == (
        "taper",
        "active",
        "sertraline",
        "",
    )
    assert plan.indication is not None
    assert plan.indication.code == "F33.1"
    steps = _steps("DW-1011")
    assert len(steps) == 13
    assert steps[:3] == [
        (1, _days_ago(14), "sertraline", Decimal(75), "confirmed", 1),
        (2, TODAY, "sertraline", Decimal("62.5"), "planned", 1),
        (3, _days_ago(-14), "sertraline", Decimal(50), "planned", 1),
    ]
    assert steps[-1] == (13, _days_ago(-154), "sertraline", Decimal(0), "planned", 1)
    assert _history("DW-1011") == [
        ("started", "sertraline", Decimal(50), "new-treatment", _days_ago(420)),
        ("dose_changed", "sertraline", Decimal(100), "titration", _days_ago(392)),
        ("dose_changed", "sertraline", Decimal(75), "titration", _days_ago(14)),
    ]
    confirmed = PlanStep.objects.get(plan=plan, sequence=1)
    assert confirmed.regimen_event is not None
    assert confirmed.regimen_event.daily_mg == Decimal(75)
    assert _current("DW-1011") == [("sertraline", Decimal(75), "prescribed")]


def test_demo_has_an_active_cross_taper_from_paroxetine_to_sertraline(
    demo_clinic: Organization,
) -> None:
    """DW-1009 (PTSD): paroxetine 20 mg down in weekly steps while sertraline 50 mg starts, from
    three days ahead; nothing confirmed yet, so the history is only the paroxetine start."""
    plan = Plan.objects.get(patient__mrn="DW-1009")
    assert (plan.kind, plan.status, plan.drug, plan.to_drug) == (
        "switch",
        "active",
        "paroxetine",
        "sertraline",
    )
    assert plan.parameters["strategy"] == "cross-taper"
    assert _steps("DW-1009") == [
        (1, _days_ago(-3), "paroxetine", Decimal(15), "planned", 1),
        (2, _days_ago(-3), "sertraline", Decimal(50), "planned", 1),
        (3, _days_ago(-10), "paroxetine", Decimal(10), "planned", 1),
        (4, _days_ago(-17), "paroxetine", Decimal(5), "planned", 1),
        (5, _days_ago(-24), "paroxetine", Decimal(0), "planned", 1),
    ]
    assert _history("DW-1009") == [
        ("started", "paroxetine", Decimal(20), "new-treatment", _days_ago(120)),
    ]


def test_demo_has_a_draft_lamotrigine_titration_beside_valproate(
    demo_clinic: Organization,
) -> None:
    """DW-1005 (bipolar II) on divalproex 1000 mg/day: the draft titration follows the label's
    schedule with valproate, starting with 25 mg every other day."""
    plan = Plan.objects.get(patient__mrn="DW-1005")
    assert (plan.kind, plan.status, plan.drug, plan.prescription) == (
        "titration",
        "draft",
        "lamotrigine",
        None,
    )
    assert _steps("DW-1005") == [
        (1, _days_ago(-7), "lamotrigine", Decimal(25), "planned", 2),
        (2, _days_ago(-21), "lamotrigine", Decimal(25), "planned", 1),
        (3, _days_ago(-35), "lamotrigine", Decimal(50), "planned", 1),
        (4, _days_ago(-42), "lamotrigine", Decimal(100), "planned", 1),
    ]
    assert _current("DW-1005") == [("valproate", Decimal(1000), "prescribed")]


def test_demo_plans_are_audited_and_seeded_only_once(demo_clinic: Organization) -> None:
    assert Plan.objects.count() == 3
    assert PlanStep.objects.count() == 22
    assert sorted(
        AuditEvent.objects.filter(action__startswith="plan.").values_list("action", flat=True)
    ) == [
        "plan.activate",
        "plan.activate",
        "plan.confirm-step",
        "plan.create",
        "plan.create",
        "plan.create",
    ]
    demo.seed(today=TODAY)
    assert (Plan.objects.count(), PlanStep.objects.count()) == (3, 22)
