"""Fixtures of the browser journeys: a Chromium page, and the ICD-10-CM table refilled after a
transactional flush."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dosewise.clinical.models import Icd10CmCode
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there
# unless told otherwise. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def icd_codes(transactional_db: None) -> None:
    """Transactional tests flush every table, the migrated ICD-10-CM copy included; refill it."""
    if not Icd10CmCode.objects.exists():
        from dosewise.clinical.icd10_codeset import load_into

        load_into(Icd10CmCode)


@pytest.fixture
def page() -> Iterator[object]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
