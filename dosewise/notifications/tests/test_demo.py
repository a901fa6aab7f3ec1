"""The demo clinic's contact preferences (called from dosewise.demo.seed)."""

from __future__ import annotations

import pytest

from conftest import make_patient
from dosewise.notifications.demo import seed_contact_preferences
from dosewise.notifications.models import ContactPreference

pytestmark = pytest.mark.django_db


def test_seeds_a_mix_of_answers_once(organization, front_desk, outsider) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        make_patient(
            organization, f"DW-{1001 + n}", email=f"p{n}@example.invalid", phone=f"555-01{n:02d}"
        )
    make_patient(outsider.organization, "DW-9999", email="x@example.invalid")

    assert seed_contact_preferences(front_desk) == 11
    assert seed_contact_preferences(front_desk) == 0

    rows = {
        p.patient.mrn: (p.reminders_consent, p.preferred_channel)
        for p in ContactPreference.objects.select_related("patient")
    }
    assert "DW-1005" not in rows  # index 4: no answer recorded
    assert rows["DW-1010"] == (False, "email")  # index 9: declined
    assert rows["DW-1004"] == (True, "sms")  # index 3
    assert rows["DW-1001"] == (True, "email")
    assert "DW-9999" not in rows  # another organization's patient
    assert all(p.consent_recorded_by == front_desk.user for p in ContactPreference.objects.all())
