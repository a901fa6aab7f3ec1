"""Two-factor enforcement: a session that skipped the second factor is ended on its next request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts.middleware import ACTIVE_ORGANIZATION_KEY
from dosewise.accounts.models import Membership, User
from dosewise.accounts.tests.support import LOGIN_URL, PATIENT_LIST_URL, logged_in_user_id

PAGES = [
    reverse("patients:patient-list"),
    reverse("accounts:security"),
    reverse("accounts:choose-organization"),
    reverse("accounts:member-list"),
    "/",
]


def unverified_client(user: User) -> Client:
    """Logged in (e.g. through another login path) but never past the second factor."""
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_unverified_prescriber_session_is_logged_out_on_any_page(
    prescriber: Membership, path: str
) -> None:
    client = unverified_client(prescriber.user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_unverified_admin_session_is_logged_out(clinic_admin: Membership) -> None:
    client = unverified_client(clinic_admin.user)

    response = client.get(reverse("accounts:member-list"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_unverified_superuser_session_is_logged_out(db: None) -> None:
    user = User.objects.create_superuser("root", "root@example.org", "irrelevant-password")
    client = unverified_client(user)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_unverified_prescriber_session_with_a_device_on_record_is_logged_out(
    prescriber: Membership,
) -> None:
    TOTPDevice.objects.create(user=prescriber.user, name="Phone", confirmed=True)
    client = unverified_client(prescriber.user)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_nurse_session_without_second_factor_is_allowed(nurse: Membership) -> None:
    client = unverified_client(nurse.user)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 200
    assert client.session[ACTIVE_ORGANIZATION_KEY] == nurse.organization_id


def test_verified_prescriber_session_is_kept(
    prescriber: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(prescriber)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 200
    assert logged_in_user_id(client) == str(prescriber.user.pk)


def test_session_whose_device_was_removed_is_logged_out(
    prescriber: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(prescriber)
    TOTPDevice.objects.filter(user=prescriber.user).delete()

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None


def test_nurse_promoted_to_prescriber_must_pass_two_factor(nurse: Membership) -> None:
    client = unverified_client(nurse.user)
    assert client.get(PATIENT_LIST_URL).status_code == 200
    Membership.objects.filter(pk=nurse.pk).update(
        role=Membership.Role.PRESCRIBER,
        credential=Membership.Credential.PSYCHIATRIST,
        npi="1234567893",
    )

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None
