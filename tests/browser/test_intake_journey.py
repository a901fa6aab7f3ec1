"""Browser journey: a prescriber signs in with two-factor, finds a patient, writes and signs an
intake with a diagnosis picked through the live ICD-10-CM search.

Drives Debian's Chromium through Playwright (no browser download). Skipped, and reported as
skipped, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from dosewise.accounts.models import Membership
from dosewise.clinical.models import Diagnosis, Encounter, Icd10CmCode
from dosewise.demo import current_code
from dosewise.patients.models import Patient

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there
# unless told otherwise. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def icd_codes(transactional_db: None) -> None:
    """Transactional tests flush every table, the migrated ICD-10-CM copy included; refill it."""
    if not Icd10CmCode.objects.exists():
        from dosewise.clinical.icd10_codeset import load_into

        load_into(Icd10CmCode)


@pytest.fixture
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def test_prescriber_signs_an_intake_with_a_searched_diagnosis(
    icd_codes: None, live_server: object, prescriber: Membership, patient: Patient, page: object
) -> None:
    device = TOTPDevice.objects.create(user=prescriber.user, name="phone", confirmed=True)
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(f"{base}/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill(prescriber.user.username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Continue").click()  # type: ignore[attr-defined]
    page.get_by_label("Code").fill(current_code(device))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Verify").click()  # type: ignore[attr-defined]

    page.get_by_role("heading", name="Patients").wait_for()  # type: ignore[attr-defined]
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
