"""The demo clinic loads on an empty database, through the services, and only once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dosewise.accounts.models import Membership, Organization
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.patients.models import Patient


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
        "F31",
        "F32",
        "F33",
        "F41",
        "F43",
        "F90",
    }  # bipolar, depression, anxiety, PTSD, ADHD
    assert AuditEvent.objects.filter(action="patient.create").count() == 40
    assert AuditEvent.objects.filter(action="encounter.sign").count() == 40
    assert "dr.patel" in out.getvalue()
    assert "TOTP secret" in out.getvalue()

    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Patient.objects.count() == 40
    assert AuditEvent.objects.count() == events
    call_command("verify_audit", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_pages_show_the_fictional_data_banner(client) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo", patients=1, stdout=io.StringIO())
    response = client.get("/accounts/login/")
    assert b"Demonstration data." in response.content
