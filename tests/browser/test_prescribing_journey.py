"""Browser journey: a prescriber signs in with two-factor, opens a patient with depression who
takes sertraline, orders phenelzine, sees the contraindicated finding with what to do, writes an
override reason and signs.

Drives Debian's Chromium through Playwright (no browser download). Skipped, and reported as
skipped, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.prescribing.services import OrderInput
from tests.browser.support import JOURNEY_MARKS, sign_in

pytestmark = JOURNEY_MARKS

MESSAGE = "sertraline with the MAOI phenelzine is contraindicated."
ACTION = (
    "Do not start phenelzine while sertraline is taken. If switching, stop sertraline and wait 14 days "
    "before starting phenelzine."
)
OVERRIDE_REASON = (
    "Sertraline stops today on the inpatient team's plan; phenelzine is not started before the "
    "14-day washout, pharmacy informed."
)


@pytest.fixture
def on_sertraline(icd_codes: None, prescriber: Membership, patient: Patient) -> Diagnosis:
    """The chart before the browser starts: recurrent depression, sertraline for two weeks."""
    today = timezone.localdate()
    depression = clinical.add_diagnosis(prescriber, patient, code="F33.1", today=today)
    started = today - dt.timedelta(days=14)
    services.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=started,
            days_supply=30,
            refills=2,
            indication=depression,
        ),
        today=started,
    )
    return depression


def test_prescriber_overrides_a_contraindicated_finding_with_a_reason(
    live_server: object,
    prescriber: Membership,
    patient: Patient,
    on_sertraline: Diagnosis,
    page: object,
) -> None:
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, prescriber)
    page.get_by_label("Search by name, MRN or date of birth").fill("Rivera")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Rivera, Alex").click()  # type: ignore[attr-defined]

    page.get_by_role("link", name="New prescription").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="New prescription").wait_for()  # type: ignore[attr-defined]
    page.get_by_label("Find a drug by generic or brand name").fill("phenelzine")  # type: ignore[attr-defined]
    page.get_by_label("phenelzine", exact=False).first.check()  # type: ignore[attr-defined]
    page.get_by_label("Form and strength").select_option(label="tablet, 15 mg")  # type: ignore[attr-defined]
    page.get_by_label("Dose amount").fill("1")  # type: ignore[attr-defined]
    page.get_by_label("Dose unit").select_option("tablet")  # type: ignore[attr-defined]
    page.get_by_label("Times per day").fill("3")  # type: ignore[attr-defined]
    page.get_by_label("Days' supply").fill("30")  # type: ignore[attr-defined]
    page.get_by_label("Indication").select_option(label=str(on_sertraline))  # type: ignore[attr-defined]

    # Check first: the findings appear beside the form, nothing is written.
    page.get_by_role("button", name="Check safety").click()  # type: ignore[attr-defined]
    check = page.get_by_role("region", name="Safety check")  # type: ignore[attr-defined]
    check.get_by_text(re.compile(r"\bContraindicated$")).wait_for()  # the severity in a word
    check.get_by_text(MESSAGE).wait_for()
    check.get_by_text(ACTION).wait_for()
    check.get_by_text("Signing needs a written override reason.").wait_for()

    # Signing is refused until the contraindicated finding has a written reason.
    page.get_by_role("button", name="Sign prescription").click()  # type: ignore[attr-defined]
    block = page.get_by_role("alert").filter(has_text="Safety review needed before signing")  # type: ignore[attr-defined]
    block.get_by_text(MESSAGE).wait_for()
    block.get_by_text(ACTION).wait_for()
    assert not Prescription.objects.filter(drug="phenelzine").exists()
    assert not SafetyOverride.objects.exists()

    page.get_by_label("Why are you going ahead despite this?").fill(OVERRIDE_REASON)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign prescription").click()  # type: ignore[attr-defined]
    page.get_by_text(  # type: ignore[attr-defined]
        "Signed: Take 1 tablet (15 mg) by mouth three times daily."
    ).wait_for()

    prescription = Prescription.objects.get(drug="phenelzine")
    assert (
        prescription.patient,
        prescription.prescriber,
        prescription.indication,
        prescription.status,
        prescription.daily_mg,
        prescription.quantity,
    ) == (patient, prescriber.user, on_sertraline, "active", Decimal(45), Decimal(90))
    assert list(
        SafetyOverride.objects.values_list(
            "prescription", "code", "severity", "drugs", "reason", "author"
        )
    ) == [
        (
            prescription.pk,
            "maoi-with-serotonergic",
            "contraindicated",
            ["phenelzine", "sertraline"],
            OVERRIDE_REASON,
            prescriber.user.pk,
        )
    ]
    assert list(
        RegimenEvent.objects.filter(prescription=prescription).values_list("kind", "reason")
    ) == [("started", "new-treatment")]
    override_audit = AuditEvent.objects.get(action="safety.override")
    assert (override_audit.patient, override_audit.channel, override_audit.detail["reason"]) == (
        patient,
        "web",
        OVERRIDE_REASON,
    )
