"""Browser journey: a prescriber signs in with two-factor, finds a patient, writes and signs an
intake with a diagnosis picked through the live ICD-10-CM search.

Drives Debian's Chromium through Playwright (no browser download). Skipped, and reported as
skipped, when Chromium or Playwright is missing.
"""

from __future__ import annotations

from dosewise.accounts.models import Membership
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.patients.models import Patient
from tests.browser.support import JOURNEY_MARKS, sign_in

pytestmark = JOURNEY_MARKS


def test_prescriber_signs_an_intake_with_a_searched_diagnosis(
    icd_codes: None, live_server: object, prescriber: Membership, patient: Patient, page: object
) -> None:
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    sign_in(page, prescriber)
    page.get_by_label("Search by name, MRN or date of birth").fill("Rivera")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Rivera, Alex").click()  # type: ignore[attr-defined]

    page.get_by_role("link", name="New intake").click()  # type: ignore[attr-defined]
    page.get_by_label("Chief complaint").fill("Low mood and racing thoughts for a month.")  # type: ignore[attr-defined]
    page.get_by_label("Risk assessment").fill("Denies suicidal ideation; low acute risk.")  # type: ignore[attr-defined]
    page.get_by_label("Plan").fill("Mood charting; follow up in two weeks.")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save draft").click()  # type: ignore[attr-defined]

    page.get_by_role("link", name="Add diagnosis").click()  # type: ignore[attr-defined]
    page.get_by_label("Find an ICD-10-CM code by words or code").fill("bipolar II")  # type: ignore[attr-defined]
    page.get_by_label("F31.81 Bipolar II disorder").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add diagnosis").click()  # type: ignore[attr-defined]
    page.get_by_text("Diagnosis F31.81 Bipolar II disorder added.").wait_for()  # type: ignore[attr-defined]

    page.get_by_role("button", name="Sign encounter").click()  # type: ignore[attr-defined]
    page.get_by_text("Encounter signed.").wait_for()  # type: ignore[attr-defined]

    encounter = Encounter.objects.get(patient=patient)
    assert encounter.status == Encounter.Status.SIGNED
    assert encounter.signed_by == prescriber.user
    assert encounter.chief_complaint == "Low mood and racing thoughts for a month."
    assert list(Diagnosis.objects.filter(encounter=encounter).values_list("code", "status")) == [
        ("F31.81", "active")
    ]
