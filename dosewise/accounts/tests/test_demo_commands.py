"""The demo clinic commands: `seed_demo` (idempotent) and `demo_code` (demo users only)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import make_member
from dosewise import demo
from dosewise.accounts.models import Membership, Organization, User
from dosewise.accounts.tests.support import (
    PATIENT_LIST_URL,
    VERIFY_URL,
    logged_in_user_id,
    post_password,
)
from dosewise.audit.models import AuditEvent
from dosewise.patients.models import Patient


def run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "patients": Patient.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_seed_demo_creates_the_fictional_clinic(db: None) -> None:
    output = run("seed_demo", patients=3)

    organization = Organization.objects.get()
    assert (organization.name, organization.is_demo) == (demo.DEMO_ORGANIZATION, True)
    assert output.startswith(f"Created {demo.DEMO_ORGANIZATION}\n")
    assert Patient.objects.filter(organization=organization).count() == 3
    assert sorted(Membership.objects.values_list("user__username", "role")) == [
        ("admin.morgan", "admin"),
        ("dr.patel", "prescriber"),
        ("frontdesk.lee", "staff"),
        ("np.nguyen", "prescriber"),
        ("nurse.garcia", "nurse"),
        ("pa.okafor", "prescriber"),
    ]
    assert TOTPDevice.objects.filter(confirmed=True).count() == 6
    for membership, secret in demo.logins():
        assert f"{membership.user.username:<15}" in output
        assert secret in output
    assert AuditEvent.objects.filter(action="member.add", actor=None).count() == 6


def test_seed_demo_twice_creates_nothing_new(db: None) -> None:
    run("seed_demo", patients=3)
    before = counts()

    output = run("seed_demo", patients=3)

    assert counts() == before
    assert output.startswith(f"Already present: {demo.DEMO_ORGANIZATION}\n")


def test_demo_code_prints_the_current_six_digit_code(db: None) -> None:
    run("seed_demo", patients=3)

    output = run("demo_code", "dr.patel")

    assert re.fullmatch(r"\d{6}\n", output)
    device = TOTPDevice.objects.get(user__username="dr.patel")
    assert device.verify_token(output.strip()) is True


def test_demo_login_with_the_printed_code(db: None) -> None:
    run("seed_demo", patients=3)
    client = Client()

    step = post_password(client, "dr.patel", demo.DEMO_PASSWORD)
    response = client.post(VERIFY_URL, {"token": run("demo_code", "dr.patel").strip()})

    assert step["Location"] == VERIFY_URL
    assert response["Location"] == PATIENT_LIST_URL
    assert logged_in_user_id(client) == str(User.objects.get(username="dr.patel").pk)
    assert len(client.get(PATIENT_LIST_URL).context["patients"]) == 3


def test_demo_code_refuses_a_member_of_a_real_organization(prescriber: Membership) -> None:
    TOTPDevice.objects.create(user=prescriber.user, name="Phone", confirmed=True)

    with pytest.raises(
        CommandError, match="'dr.treating' belongs to a non-demo organization; refusing."
    ) as error:
        run("demo_code", "dr.treating")

    assert error.value.returncode == 2


def test_demo_code_refuses_a_demo_user_who_also_works_in_a_real_organization(
    organization: Organization,
) -> None:
    run("seed_demo", patients=1)
    Membership.objects.create(
        user=User.objects.get(username="nurse.garcia"),
        organization=organization,
        role=Membership.Role.NURSE,
    )

    with pytest.raises(CommandError, match="belongs to a non-demo organization"):
        run("demo_code", "nurse.garcia")


def test_demo_code_for_an_unknown_user_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="No user 'nobody' with a membership."):
        run("demo_code", "nobody")


def test_demo_code_without_an_authenticator_is_an_error(db: None) -> None:
    run("seed_demo", patients=1)
    TOTPDevice.objects.filter(user__username="nurse.garcia").delete()

    with pytest.raises(CommandError, match="'nurse.garcia' has no authenticator set up."):
        run("demo_code", "nurse.garcia")


def test_seed_demo_never_prints_a_real_users_authenticator_secret(
    organization: Organization,
) -> None:
    real = make_member(organization, "dr.patel", Membership.Role.PRESCRIBER, last="Patel")
    device = TOTPDevice.objects.create(user=real.user, name="Phone", confirmed=True)

    try:
        output = run("seed_demo", patients=1)
    except CommandError:
        output = ""

    assert demo.totp_secret(device) not in output
    assert not Membership.objects.filter(user=real.user, organization__is_demo=True).exists()
