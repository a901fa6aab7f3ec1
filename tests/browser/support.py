"""What every browser journey shares: Debian's Chromium (never a downloaded browser) and the
marks that skip a journey, and report it skipped, when Chromium is missing."""

from __future__ import annotations

import shutil

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from dosewise.accounts.models import Membership
from dosewise.demo import current_code

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

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

# Each journey module: `pytestmark = JOURNEY_MARKS`.
JOURNEY_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def sign_in(page: object, member: Membership) -> None:
    """Password then the authenticator code, from the login page, ending on the patient list."""
    device = TOTPDevice.objects.create(user=member.user, name="phone", confirmed=True)
    page.get_by_label("Username").fill(member.user.username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Continue").click()  # type: ignore[attr-defined]
    page.get_by_label("Code").fill(current_code(device))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Verify").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Patients").wait_for()  # type: ignore[attr-defined]
