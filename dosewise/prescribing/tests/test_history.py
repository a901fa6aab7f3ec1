"""The medication history page (regimen, timeline, events), the chart's medication card and the
printable prescription."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership, User
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.domain.timeline import Layout
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.services import OrderInput
from dosewise.tests.test_query_counts import CHART_QUERIES

# Pinned like the chart's (see dosewise/tests/test_query_counts.py): a change is a decision.
_AUDIT_LOCK = 1 if connection.vendor == "postgresql" else 0
HISTORY_QUERIES = 17 + _AUDIT_LOCK  # + the plan steps still planned, + side-effect reports


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.fixture
def depression(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F33.1", today=days_ago(400))


def sertraline(indication: Diagnosis, **changes: object) -> OrderInput:
    base = OrderInput(
        drug="sertraline",
        form="tablet",
        strength_mg=Decimal(50),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        timings=("morning",),
        days_supply=30,
        refills=2,
        indication=indication,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass
class History:
    first: Prescription  # sertraline 50 mg
    higher: Prescription  # sertraline 100 mg
    switched: Prescription  # fluoxetine 20 mg


@pytest.fixture
def history(prescriber: Membership, patient: Patient, depression: Diagnosis) -> History:
    """Sertraline started, raised, held and resumed, then switched to fluoxetine."""
    first = services.prescribe(
        prescriber, patient, sertraline(depression, start_on=days_ago(200)), today=days_ago(200)
    )
    higher = services.change_dose(
        prescriber,
        first,
        sertraline(depression, dose_amount=Decimal(2), start_on=days_ago(150)),
        reason="ineffective",
        today=days_ago(150),
    )
    services.hold(
        prescriber,
        higher,
        reason="other",
        reason_text="Surgery; nil by mouth",
        effective_on=days_ago(100),
    )
    services.resume(
        prescriber, higher, reason="other", reason_text="Eating again", today=days_ago(90)
    )
    switched = services.switch(
        prescriber,
        higher,
        sertraline(
            depression,
            drug="fluoxetine",
            strength_mg=Decimal(20),
            dose_amount=Decimal(1),
            start_on=days_ago(60),
        ),  # fmt: skip
        reason="side-effects",
        reason_text="Sexual side effects",
        today=days_ago(60),
    )
    return History(first=first, higher=higher, switched=switched)


def test_history_page_draws_a_lane_per_drug_with_dose_steps_and_markers(
    client_for, prescriber: Membership, patient: Patient, history: History
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )
    assert response.status_code == 200
    layout: Layout = response.context["layout"]
    assert [lane.drug for lane in layout.lanes] == ["sertraline", "fluoxetine"]
    sertraline_lane, fluoxetine_lane = layout.lanes
    assert [(bar.label, bar.height, bar.is_ongoing) for bar in sertraline_lane.bars] == [
        ("50 mg/day", 14.0, False),
        ("100 mg/day", 28.0, False),
        ("100 mg/day", 28.0, False),
    ]
    assert [(bar.label, bar.is_ongoing) for bar in fluoxetine_lane.bars] == [("20 mg/day", True)]
    assert [hold.title for hold in sertraline_lane.holds] == [
        f"sertraline held from {days_ago(100).isoformat()} to {days_ago(90).isoformat()}"
    ]
    assert [marker.kind for marker in sertraline_lane.markers] == [
        "started",
        "dose_changed",
        "held",
        "resumed",
    ]
    assert [marker.title for marker in fluoxetine_lane.markers] == [
        f"{days_ago(60).isoformat()} — Switched from sertraline to fluoxetine, 20 mg/day. "
        "Reason: Side effects: Sexual side effects."
    ]
    html = response.content.decode()
    # Every marker is a focusable link with its reason as accessible name and hover title.
    held = RegimenEvent.objects.get(kind="held")
    held_title = (
        f"{days_ago(100).isoformat()} — sertraline: held (was 100 mg/day). "
        "Reason: Other: Surgery; nil by mouth."
    )
    assert (
        f'<a class="marker marker-held" href="#event-{held.uuid}" aria-label="{held_title}">'
        in html
    )
    assert f"<title>{held_title}</title>" in html
    assert f'<tr id="event-{held.uuid}">' in html
    assert html.count('<a class="marker ') == 5
    assert html.count('<rect class="dose') == 4
    assert html.count('<line class="hold"') == 2  # the hold and the legend
    assert "style=" not in html
    assert "<script>" not in html
    assert 'media="print"' in html


def test_history_page_lists_events_newest_first_and_the_current_regimen(
    client_for, prescriber: Membership, patient: Patient, history: History
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )
    rows = [
        (row.event.effective_on, row.drug, row.event.kind, row.daily, row.reason)
        for row in response.context["events"]
    ]
    assert rows == [
        (days_ago(60), "fluoxetine", "switched", "20 mg/day", "Side effects: Sexual side effects"),
        (days_ago(90), "sertraline", "resumed", "100 mg/day", "Other: Eating again"),
        (days_ago(100), "sertraline", "held", "100 mg/day", "Other: Surgery; nil by mouth"),
        (days_ago(150), "sertraline", "dose_changed", "100 mg/day", "Ineffective"),
        (days_ago(200), "sertraline", "started", "50 mg/day", "New treatment"),
    ]
    [row] = response.context["regimen"]
    assert (row.prescription, row.product, row.daily, row.since, row.next_refill_due) == (
        history.switched,
        "20 mg tablet",
        "20 mg/day",
        days_ago(60),
        days_ago(30),
    )
    assert "Switched from sertraline" in response.content.decode()


def test_chart_shows_current_medications_with_actions_for_the_care_team(
    client_for, prescriber: Membership, nurse: Membership, colleague: Membership,
    patient: Patient, history: History,
) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    new_rx = reverse("prescribing:prescription-new", args=[patient.uuid])
    outside = reverse("prescribing:outside-medication-new", args=[patient.uuid])
    history_url = reverse("prescribing:medication-history", args=[patient.uuid])
    seen = {}
    for member in (prescriber, nurse, colleague):
        html = client_for(member).get(patient.get_absolute_url()).content.decode()
        seen[member.user.username] = (new_rx in html, outside in html, history_url in html)
        assert (
            f'<a href="{history.switched.get_absolute_url()}"><strong>fluoxetine</strong></a>'
            in html
        )
        assert "sertraline</strong>" not in html
    assert seen == {
        "dr.treating": (True, True, True),
        "nurse": (False, True, True),  # nurses record outside medications, never sign
        "np.colleague": (False, False, True),  # not on the care team: read only
    }


def grow_history(patient: Patient, author: User, events: int) -> None:
    """`events` regimen events over ~10 years: weekly renewals, dose changes, holds, switches.

    Rows are written directly: 500 safety reviews would make this test slow, and the services'
    own tests cover the write path. This is setup, not the behaviour under test.
    """
    drugs = ("sertraline", "escitalopram", "fluoxetine")
    start = days_ago(7 * events + 7)
    current: Prescription | None = None
    held = False
    for index in range(events):
        day = start + dt.timedelta(days=7 * index)
        replaces = current
        if current is None:
            kind, drug, amount = "started", drugs[0], Decimal(1)
        elif held:
            kind, drug, amount = "resumed", current.drug, current.dose_amount
        elif index % 50 == 0:
            kind, amount = "switched", Decimal(1)
            drug = drugs[(drugs.index(current.drug) + 1) % len(drugs)]
        elif index % 13 == 0:
            kind, drug, amount = "held", current.drug, current.dose_amount
        elif index % 5 == 0:
            kind, drug, amount = "dose_changed", current.drug, current.dose_amount % 3 + 1
        else:
            kind, drug, amount = "renewed", current.drug, current.dose_amount
        if kind in ("held", "resumed"):
            prescription, replaces = current, None
            held = kind == "held"
        else:
            prescription = Prescription.objects.create(
                organization=patient.organization,
                patient=patient,
                drug=drug,
                form="tablet",
                strength_mg=Decimal(50),
                dose_amount=amount,
                dose_unit="tablet",
                times_per_day=Decimal(1),
                sig="Take as directed.",
                start_on=day,
                days_supply=7,
                prescriber=author,
                replaces=replaces,
            )
        assert prescription is not None
        RegimenEvent.objects.create(
            organization=patient.organization,
            patient=patient,
            prescription=prescription,
            replaces=replaces,
            kind=kind,
            effective_on=day,
            reason="titration",
            daily_mg=prescription.daily_mg,
            author=author,
        )
        current = prescription


def count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_ten_years_of_history_cost_the_same_queries_as_ten_events(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    long_record = make_patient(patient.organization, "MRN-0002")
    CareTeamMember.objects.create(
        organization=patient.organization,
        patient=long_record,
        user=prescriber.user,
        added_by=prescriber.user,
    )
    grow_history(patient, prescriber.user, 10)
    grow_history(long_record, prescriber.user, 500)
    dates = RegimenEvent.objects.filter(patient=long_record).order_by("effective_on")
    assert dates.count() == 500
    assert (dates.last().effective_on - dates.first().effective_on).days == 7 * 499  # ~10 years

    def history_url(someone: Patient) -> str:
        return reverse("prescribing:medication-history", args=[someone.uuid])

    assert count_queries(client, history_url(patient)) == HISTORY_QUERIES
    assert count_queries(client, history_url(long_record)) == HISTORY_QUERIES
    assert count_queries(client, patient.get_absolute_url()) == CHART_QUERIES
    assert count_queries(client, long_record.get_absolute_url()) == CHART_QUERIES


# --- The printable prescription ----------------------------------------------------------------


@pytest.fixture
def registered(prescriber: Membership) -> Membership:
    prescriber.dea_number = "AT1234563"
    prescriber.dea_schedules = ["2", "2N", "3", "3N", "4", "5"]
    prescriber.save()
    return prescriber


@pytest.fixture
def stimulant(registered: Membership, patient: Patient) -> Prescription:
    today = timezone.localdate()
    adhd = clinical.add_diagnosis(registered, patient, code="F90.0", today=today)
    clinical.sign_encounter(
        registered,
        clinical.start_encounter(
            registered,
            patient,
            kind="intake",
            mode="in-person",
            occurred_on=today,
            today=today,
            plan="Start stimulant",
        ),  # fmt: skip
    )
    order = OrderInput(
        drug="methylphenidate",
        form="tablet",
        strength_mg=Decimal(10),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(2),
        start_on=today,
        days_supply=30,
        earliest_fill_on=today + dt.timedelta(days=30),
        refills=0,
        substitution_allowed=False,
        indication=adhd,
        pdmp_checked_on=today,
    )
    return services.prescribe(registered, patient, order, today=today)


def test_print_of_a_controlled_prescription_has_words_dea_and_the_paper_notice(
    client_for, registered: Membership, patient: Patient, stimulant: Prescription
) -> None:  # type: ignore[no-untyped-def]
    patient.address = "12 Elm Street\nSpringfield, IL 62701"
    patient.save(update_fields=["address"])
    before = AuditEvent.objects.count()
    response = client_for(registered).get(
        reverse("prescribing:prescription-print", args=[stimulant.uuid])
    )
    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.localdate()
    for text in (
        "<dt>Name</dt><dd>Alex Rivera</dd>",
        "<dt>Date of birth</dt><dd>1988-04-12</dd>",
        "<dd>12 Elm Street<br>Springfield, IL 62701</dd>",
        "<strong>methylphenidate</strong> 10 mg tablet",
        "Schedule 2 controlled substance",
        "<strong>Sig:</strong> Take 1 tablet (10 mg) by mouth twice daily.",
        "<dt>Quantity</dt>\n      <dd>60 (sixty) tablets</dd>",
        "<dt>Refills</dt><dd>0 (zero)</dd>",
        "<dt>Days' supply</dt><dd>30</dd>",
        f"<dt>Do not fill before</dt><dd>{(today + dt.timedelta(days=30)).isoformat()}</dd>",
        "<dd>Dispense as written (no substitution)</dd>",
        "<dd>Test Treating, Psychiatrist (MD/DO)</dd>",
        "<dt>NPI</dt><dd>1234567893</dd>",
        "<dt>DEA number</dt><dd>AT1234563</dd>",
        f"<dt>Date written</dt><dd>{today.isoformat()}</dd>",
        "Prescriber's signature",
        "Valid only where paper prescriptions are allowed. Many states require controlled "
        "substances",
        'href="/static/css/print.css" media="print"',
    ):
        assert text in html, text
    assert "Not valid for dispensing" not in html
    assert list(
        AuditEvent.objects.filter(pk__gt=AuditEvent.objects.order_by("pk")[before - 1].pk)
        .order_by("pk")
        .values_list("action", "target_id")
    ) == [("prescription.read", str(stimulant.uuid)), ("prescription.print", str(stimulant.uuid))]


def test_print_of_an_ordinary_prescription_shows_no_dea_number_and_no_words(
    client_for, registered: Membership, patient: Patient, history: History
) -> None:  # type: ignore[no-untyped-def]
    html = (
        client_for(registered)
        .get(reverse("prescribing:prescription-print", args=[history.switched.uuid]))
        .content.decode()
    )
    assert "<dt>Quantity</dt>\n      <dd>30 tablets</dd>" in html
    assert "<dt>Refills</dt><dd>2</dd>" in html
    assert "AT1234563" not in html
    assert "DEA number" not in html


def test_print_of_a_replaced_prescription_says_it_is_not_valid(
    client_for, prescriber: Membership, history: History
) -> None:  # type: ignore[no-untyped-def]
    html = (
        client_for(prescriber)
        .get(reverse("prescribing:prescription-print", args=[history.first.uuid]))
        .content.decode()
    )
    assert "Not valid for dispensing: this prescription is stopped." in html


def test_an_outside_medication_has_nothing_to_print(
    client_for, nurse: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    outside = services.record_outside_medication(
        nurse,
        patient,
        drug="sertraline",
        dose_amount=Decimal(1),
        dose_unit="tablet",
        strength_mg=Decimal(50),
        times_per_day=Decimal(1),
        source="outside",
        outside_prescriber="Dr Elsewhere",
    )
    response = client_for(nurse).get(reverse("prescribing:prescription-print", args=[outside.uuid]))
    assert response.status_code == 200
    assert "not a prescription written here: there is nothing to print" in response.content.decode()
    assert not AuditEvent.objects.filter(action="prescription.print").exists()


def test_a_prescription_entered_in_error_stays_visible_and_marked(
    client_for, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:  # type: ignore[no-untyped-def]
    mistake = services.prescribe(
        prescriber, patient, sertraline(depression, start_on=days_ago(3)), today=days_ago(3)
    )
    services.mark_prescription_entered_in_error(prescriber, mistake, reason="Wrong patient")
    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )
    [lane] = response.context["layout"].lanes
    assert [(bar.is_entered_in_error, bar.is_ongoing) for bar in lane.bars] == [(True, False)]
    assert [row.is_entered_in_error for row in response.context["events"]] == [True, True]
    assert response.context["regimen"] == []
    assert response.content.decode().count('<span class="tag">Entered in error</span>') == 2


def test_planned_taper_steps_show_ahead_of_today(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    """An active taper's unconfirmed steps are drawn ahead of today, marked planned."""
    from django.utils import timezone

    from dosewise.clinical import services as clinical
    from dosewise.prescribing import plans
    from dosewise.prescribing.services import OrderInput

    today = timezone.localdate()
    depression = clinical.add_diagnosis(prescriber, patient, code="F33.1", today=today)
    current = services.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(2),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            start_on=today,
            days_supply=30,
            indication=depression,
        ),
        today=today,
    )
    request = plans.PlanRequest(
        kind="taper", start=today + dt.timedelta(days=7), step_percent=Decimal(25)
    )
    plan = plans.create_plan(prescriber, patient, request, prescription=current)
    plans.activate(prescriber, plan)
    url = reverse("prescribing:medication-history", args=[patient.uuid])
    page = client_for(prescriber).get(url).content.decode()
    planned_bars = page.count('class="dose planned"') + page.count('class="dose ongoing planned"')
    steps_with_dose = plan.steps.exclude(daily_dose_mg=0).count()
    assert planned_bars == steps_with_dose
    assert "(planned)" in page
