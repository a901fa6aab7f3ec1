"""Small helpers shared by the accounts tests: signing in through the real views, audit rows."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from dosewise import demo
from dosewise.accounts.models import User
from dosewise.audit.models import AuditEvent

LOGIN_URL = reverse("accounts:login")
VERIFY_URL = reverse("accounts:login-verify")
ENROL_URL = reverse("accounts:login-enrol")
PATIENT_LIST_URL = reverse("patients:patient-list")


def post_password(
    client: Client, username: str, password: str = PASSWORD, *, url: str = LOGIN_URL, **extra: Any
) -> HttpResponse:
    """The first login step: the username and password form."""
    return client.post(url, {"username": username, "password": password}, **extra)


def confirmed_totp(user: User) -> TOTPDevice:
    """An authenticator app the user has already set up."""
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def code(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return demo.current_code(device)


def wrong_code(device: TOTPDevice) -> str:
    """A six-digit code that is not accepted now (nor one step before or after)."""
    right = int(code(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")
