"""Browser journeys of follow-up and monitoring (issue 6): a critical lithium level entered in
another unit raises an urgent alert that a prescriber clears from the worklist; the front desk
books a telehealth follow-up and is refused a double booking; a rash on lamotrigine raises an
alert and marks the medication timeline; the Monitoring page goes from overdue to done.

Drives Debian's Chromium through Playwright (no browser download). Skipped, and reported as
skipped, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.clinical import services as clinical
from dosewise.clinical.models import SafetyAlert
from dosewise.clinical.observation_models import Observation
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.services import OrderInput
from dosewise.prescribing.side_effect_models import SideEffectReport
from dosewise.scheduling import services as scheduling
from dosewise.scheduling.models import Appointment
from tests.browser.support import JOURNEY_MARKS, sign_in

pytestmark = JOURNEY_MARKS

LITHIUM_CRITICAL = (
    "critical (at or above 1.5 mmol/L): lithium toxicity likely; above 2.0 mmol/L severe"
)
ACTION_TAKEN = (
    "Lithium held tonight; patient called, no toxicity signs; repeat trough level and renal "
    "function tomorrow morning. Nurse informed."
)


def open_patient(page: object, search: str, link: str) -> None:
    page.get_by_label("Search by name, MRN or date of birth").fill(search)  # type: ignore[attr-defined]
    page.get_by_role("link", name=link).click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name=link, exact=False).first.wait_for()  # type: ignore[attr-defined]


def lithium_order(indication: object, start: dt.date) -> OrderInput:
    return OrderInput(
        drug="lithium carbonate",
        form="capsule",
        strength_mg=Decimal(300),
        dose_amount=Decimal(1),
        dose_unit="capsule",
        times_per_day=Decimal(2),
        timings=("morning", "bedtime"),
        start_on=start,
        days_supply=30,
        indication=indication,  # type: ignore[arg-type]
    )


def put_on_lithium(prescriber: Membership, patient: Patient, *, days_ago: int) -> None:
    """Bipolar II disorder; lithium started `days_ago` days before today."""
    start = timezone.localdate() - dt.timedelta(days=days_ago)
    bipolar = clinical.add_diagnosis(prescriber, patient, code="F31.81", today=start)
    prescribing.prescribe(prescriber, patient, lithium_order(bipolar, start), today=start)


def next_monday() -> dt.date:
    """A Monday at least a week ahead: bookable whatever day the tests run."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 + (7 - today.weekday()) % 7)


# --- 1. critical lithium level -> urgent alert -> worklist -> action taken ----------------------


def test_critical_lithium_level_alerts_and_is_cleared_from_the_worklist(
    icd_codes: None,
    live_server: object,
    prescriber: Membership,
    nurse: Membership,
    patient: Patient,
    page: object,
) -> None:
    put_on_lithium(prescriber, patient, days_ago=6)
    base = live_server.url  # type: ignore[attr-defined]

    # The nurse on the care team records the level, entered in mEq/L.
    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, nurse)
    open_patient(page, "Rivera", "Rivera, Alex")
    page.get_by_role("link", name="Lab results").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Lab results and vitals for").wait_for()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Record a result").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Record a lab result or vital sign").wait_for()  # type: ignore[attr-defined]
    # Choosing the test swaps in its units (HTMX): wait for the swap before choosing one
    # (htmx takes its `htmx-request` class off the select once the new units are in).
    with page.expect_response(re.compile(r"/observations/units/")):  # type: ignore[attr-defined]
        page.get_by_label("Test").select_option(label="Lithium level")  # type: ignore[attr-defined]
    page.locator("select[name=test]:not(.htmx-request)").wait_for()  # type: ignore[attr-defined]
    # The units replaced the unit field rather than nesting a second one inside it.
    assert page.locator("[id=unit-field]").count() == 1  # type: ignore[attr-defined]
    page.get_by_label("Result").fill("1.6")  # type: ignore[attr-defined]
    page.get_by_label("Unit").select_option("mEq/L")  # type: ignore[attr-defined]
    assert page.get_by_label("Sample date").input_value() == timezone.localdate().isoformat()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Record result").click()  # type: ignore[attr-defined]

    page.get_by_text("Result recorded.").wait_for()  # type: ignore[attr-defined]
    row = page.get_by_role("row").filter(has_text="Lithium level")  # type: ignore[attr-defined]
    row.get_by_text("1.6 mmol/L", exact=True).wait_for()
    row.get_by_text("entered as 1.6 mEq/L").wait_for()
    row.get_by_text("Critical high").wait_for()  # the flag in a word, not colour alone
    row.get_by_text("Urgent alert open").wait_for()

    # The chart carries the urgent banner.
    page.get_by_role("link", name="Alex Rivera").click()  # type: ignore[attr-defined]
    banner = page.get_by_role("alert").filter(has_text="Urgent: Critical lab result")  # type: ignore[attr-defined]
    banner.get_by_text(LITHIUM_CRITICAL).wait_for()
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]

    # The prescriber finds the alert at the top of the worklist and records the action taken.
    sign_in(page, prescriber)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Worklist", exact=True).wait_for()  # type: ignore[attr-defined]
    headings = page.locator("main h2").all_inner_texts()  # type: ignore[attr-defined]
    assert headings[0] == "Open urgent alerts"
    alerts = page.get_by_role("region", name="Open urgent alerts")  # type: ignore[attr-defined]
    first = alerts.get_by_role("row").nth(1)  # the first row after the header
    first.get_by_text("Rivera, Alex").wait_for()
    first.get_by_text("Critical lab result").wait_for()
    first.get_by_role("link", name="Record action taken").click()

    banner = page.get_by_role("alert").filter(has_text="Urgent: Critical lab result")  # type: ignore[attr-defined]
    banner.get_by_label("Action taken").fill(ACTION_TAKEN)
    banner.get_by_role("button", name="Record action taken").click()
    page.get_by_text("the alert is resolved").wait_for()  # type: ignore[attr-defined]
    assert page.get_by_role("alert").filter(has_text="Urgent:").count() == 0  # type: ignore[attr-defined]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()  # type: ignore[attr-defined]
    page.get_by_role("region", name="Open urgent alerts").get_by_text(  # type: ignore[attr-defined]
        "No open safety alerts."
    ).wait_for()

    observation = Observation.objects.get(patient=patient, test="lithium")
    assert (
        observation.value,
        observation.unit,
        observation.entered_value,
        observation.entered_unit,
        observation.interpretation,
        observation.recorded_by,
    ) == (Decimal("1.6"), "mmol/L", Decimal("1.6"), "mEq/L", "critical-high", nurse.user)
    alert = SafetyAlert.objects.get(patient=patient)
    assert (alert.kind, alert.resolved_by, alert.safety_assessment) == (
        "critical_lab",
        prescriber.user,
        ACTION_TAKEN,
    )
    assert alert.resolved_at is not None


# --- 2. front desk books a telehealth follow-up; an overlap is refused -------------------------


@pytest.fixture
def clinician_hours(prescriber: Membership) -> None:
    """Mon-Fri 9:00-12:00 and 13:00-17:00."""
    for weekday in range(5):
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))):
            scheduling.add_availability(
                prescriber, prescriber.user, weekday=weekday, start_time=start, end_time=end
            )


def test_front_desk_books_a_telehealth_follow_up_and_is_refused_an_overlap(
    live_server: object,
    front_desk: Membership,
    prescriber: Membership,
    patient: Patient,
    clinician_hours: None,
    page: object,
) -> None:
    other = make_patient(
        front_desk.organization, "MRN-0002", given_name="Sam", family_name="Okafor"
    )
    monday = next_monday()
    clinician = f"{prescriber.user} ({prescriber.get_role_display()})"
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, front_desk)
    open_patient(page, "Rivera", "Rivera, Alex")
    # The appointments card loads (HTMX) on the patient's page.
    card = page.get_by_role("region", name="Appointments")  # type: ignore[attr-defined]
    card.get_by_text("Telehealth consent: none").wait_for()
    card.get_by_role("link", name="All appointments, consent and calendar feed").click()

    # No consent yet: a video visit cannot be booked, so the front desk records it first.
    consent = page.get_by_role("region", name="Telehealth consent")  # type: ignore[attr-defined]
    consent.get_by_text("No current consent").wait_for()
    consent.get_by_label("Consent given on").fill(timezone.localdate().isoformat())
    consent.get_by_role("button", name="Record consent").click()
    page.get_by_text("Telehealth consent recorded.").wait_for()  # type: ignore[attr-defined]

    page.get_by_role("link", name="Book an appointment").first.click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Book an appointment").wait_for()  # type: ignore[attr-defined]
    page.get_by_label("Clinician").select_option(label=clinician)  # type: ignore[attr-defined]
    page.get_by_label("Kind of visit").select_option(label="Follow-up")  # type: ignore[attr-defined]
    page.get_by_role("group", name="Mode").get_by_label("Telehealth").check()  # type: ignore[attr-defined]
    page.get_by_label("Date").fill(monday.isoformat())  # type: ignore[attr-defined]
    page.get_by_label("Start time").fill("10:00")  # type: ignore[attr-defined]
    page.get_by_label("Duration").select_option(label="30 minutes")  # type: ignore[attr-defined]
    page.get_by_label("Video link").fill("https://video.example.org/rivera")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Book").click()  # type: ignore[attr-defined]
    page.get_by_text(  # type: ignore[attr-defined]
        f"Booked Alex Rivera with {prescriber.user} on {monday.isoformat()} 10:00."
    ).wait_for()

    # The day view of the calendar shows it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Calendar").wait_for()  # type: ignore[attr-defined]
    page.get_by_label("View").select_option(label="Day")  # type: ignore[attr-defined]
    page.get_by_label("Date").fill(monday.isoformat())  # type: ignore[attr-defined]
    page.get_by_label("Clinician").select_option(label=str(prescriber.user))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name=re.compile(monday.isoformat())).wait_for()  # type: ignore[attr-defined]
    page.get_by_role(  # type: ignore[attr-defined]
        "link", name="10:00 Rivera, Alex · Follow-up · Telehealth · Booked"
    ).wait_for()

    # A second patient at an overlapping time with the same clinician is refused.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Patients").wait_for()  # type: ignore[attr-defined]
    open_patient(page, "Okafor", "Okafor, Sam")
    card = page.get_by_role("region", name="Appointments")  # type: ignore[attr-defined]
    card.get_by_text("Telehealth consent: none").wait_for()
    card.get_by_role("link", name="Book an appointment").click()
    page.get_by_role("heading", name="Book an appointment").wait_for()  # type: ignore[attr-defined]
    page.get_by_label("Clinician").select_option(label=clinician)  # type: ignore[attr-defined]
    page.get_by_label("Kind of visit").select_option(label="Follow-up")  # type: ignore[attr-defined]
    page.get_by_role("group", name="Mode").get_by_label("In person").check()  # type: ignore[attr-defined]
    page.get_by_label("Date").fill(monday.isoformat())  # type: ignore[attr-defined]
    page.get_by_label("Start time").fill("10:15")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Book").click()  # type: ignore[attr-defined]

    start_field = page.locator(".field").filter(has=page.get_by_label("Start time"))  # type: ignore[attr-defined]
    start_field.get_by_role("alert").filter(
        has_text=f"{prescriber.user} already has an appointment at this time."
    ).wait_for()
    # What was typed is still there to correct.
    assert page.get_by_label("Start time").input_value() == "10:15"  # type: ignore[attr-defined]
    assert page.get_by_label("Date").input_value() == monday.isoformat()  # type: ignore[attr-defined]

    assert list(
        Appointment.objects.values_list("patient", "clinician", "kind", "mode", "status")
    ) == [(patient.pk, prescriber.user.pk, "follow-up", "telehealth", "booked")]
    assert not Appointment.objects.filter(patient=other).exists()
    assert scheduling.current_consent(patient) is not None


# --- 3. rash on lamotrigine -> urgent alert and a timeline marker ------------------------------


@pytest.fixture
def on_lamotrigine(icd_codes: None, prescriber: Membership, patient: Patient) -> Prescription:
    start = timezone.localdate() - dt.timedelta(days=14)
    bipolar = clinical.add_diagnosis(prescriber, patient, code="F31.81", today=start)
    return prescribing.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="lamotrigine",
            form="tablet",
            strength_mg=Decimal(25),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=start,
            days_supply=30,
            indication=bipolar,
        ),
        today=start,
    )


def test_prescriber_reports_a_rash_on_lamotrigine_and_sees_the_alert_and_marker(
    live_server: object,
    prescriber: Membership,
    patient: Patient,
    on_lamotrigine: Prescription,
    page: object,
) -> None:
    onset = timezone.localdate() - dt.timedelta(days=1)
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, prescriber)
    open_patient(page, "Rivera", "Rivera, Alex")
    page.get_by_role("link", name="Report a side effect").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Report a side effect").wait_for()  # type: ignore[attr-defined]
    page.get_by_role("combobox", name="Symptom").select_option(label="Rash")  # type: ignore[attr-defined]
    page.get_by_role("group", name="Severity").get_by_label("Moderate").check()  # type: ignore[attr-defined]
    page.get_by_label("Onset").fill(onset.isoformat())  # type: ignore[attr-defined]
    page.get_by_role("group", name="Suspected medications").get_by_label(  # type: ignore[attr-defined]
        re.compile("lamotrigine")
    ).check()
    page.get_by_role("group", name="Action taken").get_by_label("Stopped").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Record side effect").click()  # type: ignore[attr-defined]

    page.get_by_text("Side effect recorded: ").wait_for()  # type: ignore[attr-defined]
    page.get_by_text("Urgent alert raised: Rash (moderate) on lamotrigine").wait_for()  # type: ignore[attr-defined]
    alert = page.get_by_role("region", name=re.compile("with a serious-rash warning"))  # type: ignore[attr-defined]
    alert.get_by_text("Urgent", exact=True).wait_for()
    alert.get_by_text(re.compile(r"^Open: ")).wait_for()

    page.get_by_role("link", name="Medication history").click()  # type: ignore[attr-defined]
    timeline = page.get_by_role("region", name="Timeline")  # type: ignore[attr-defined]
    lane = timeline.get_by_role("group", name="lamotrigine", exact=True)
    marker = lane.get_by_role(
        "link", name=re.compile(r"Side effect \(moderate\): rash; suspected lamotrigine")
    )
    marker.wait_for()
    assert "marker-side_effect_urgent" in (marker.get_attribute("class") or "")
    timeline.get_by_text("Side effect that raised an urgent alert").wait_for()  # the legend

    report = SideEffectReport.objects.get(patient=patient)
    assert (report.symptom, report.severity, report.onset_on, report.action) == (
        "rash",
        "moderate",
        onset,
        "stopped",
    )
    assert list(report.suspected.all()) == [on_lamotrigine]
    assert list(SafetyAlert.objects.filter(patient=patient).values_list("kind", flat=True)) == [
        "serious_rash"
    ]


# --- 4. Monitoring page: overdue, then done with the result -------------------------------------


def test_monitoring_page_goes_from_overdue_to_done_with_the_result(
    icd_codes: None,
    live_server: object,
    prescriber: Membership,
    patient: Patient,
    page: object,
) -> None:
    put_on_lithium(prescriber, patient, days_ago=10)  # the 5-7 day level window has passed
    today = timezone.localdate().isoformat()
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, prescriber)
    open_patient(page, "Rivera", "Rivera, Alex")
    page.get_by_role("link", name="Monitoring (labs due)").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Monitoring").wait_for()  # type: ignore[attr-defined]
    level = page.get_by_role("row").filter(  # type: ignore[attr-defined]
        has=page.get_by_role("rowheader", name=re.compile("after a start or dose change"))  # type: ignore[attr-defined]
    )
    level.get_by_text(re.compile(r"\bOverdue 3 days$")).wait_for()  # in words, not colour alone
    level.get_by_text("None yet").wait_for()
    level.get_by_role("link", name="Record result").click()

    page.get_by_role("heading", name="Record a lab result or vital sign").wait_for()  # type: ignore[attr-defined]
    assert page.get_by_label("Test").input_value() == "lithium"  # type: ignore[attr-defined]
    page.get_by_label("Result").fill("0.8")  # type: ignore[attr-defined]
    page.get_by_label("Unit").select_option("mmol/L")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Record result").click()  # type: ignore[attr-defined]
    page.get_by_text("Result recorded.").wait_for()  # type: ignore[attr-defined]

    page.get_by_role("link", name="Alex Rivera").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Monitoring (labs due)").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Monitoring").wait_for()  # type: ignore[attr-defined]
    level = page.get_by_role("row").filter(  # type: ignore[attr-defined]
        has=page.get_by_role("rowheader", name=re.compile("after a start or dose change"))  # type: ignore[attr-defined]
    )
    level.get_by_text(re.compile(r"\bDone$")).wait_for()
    level.get_by_text(re.compile(rf"Lithium level 0\.8 mmol/L on {today}")).wait_for()

    assert list(
        Observation.objects.filter(patient=patient).values_list("test", "value", "unit")
    ) == [("lithium", Decimal("0.8"), "mmol/L")]
