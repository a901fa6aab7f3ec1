"""Login: password, then (for prescribers and admins) a second factor; enrolment on first login."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from dosewise.accounts import views
from dosewise.accounts.models import Membership
from dosewise.accounts.tests.support import (
    ENROL_URL,
    LOGIN_URL,
    PATIENT_LIST_URL,
    VERIFY_URL,
    actions,
    code,
    confirmed_totp,
    logged_in_user_id,
    post_password,
    wrong_code,
)
from dosewise.audit.models import AuditEvent


class FakeTime:
    """Stands in for the `time` module the login views read the clock from."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


# --- Password step ------------------------------------------------------------------------------


def test_login_page_renders_a_form_with_an_empty_next(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "accounts/login.html"
    assert response.context["next"] == ""


def test_wrong_password_shows_a_form_error_and_audits_the_failure(
    client: Client, nurse: Membership
) -> None:
    response = post_password(client, "nurse", "not the password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Username or password is wrong."]
    assert logged_in_user_id(client) is None
    [event] = AuditEvent.objects.all()
    assert event.action == "login.failed"
    assert event.actor is None
    assert event.actor_label == "nurse"
    assert event.detail == {"reason": "wrong username or password"}
    assert event.channel == "web"
    assert event.client_address == "127.0.0.1"


def test_unknown_username_is_audited_with_the_name_typed(client: Client, db: None) -> None:
    response = post_password(client, "nobody.here")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Username or password is wrong."]
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor, event.actor_label) == ("login.failed", None, "nobody.here")


def test_deactivated_user_account_cannot_log_in(client: Client, nurse: Membership) -> None:
    nurse.user.is_active = False
    nurse.user.save(update_fields=["is_active"])

    response = post_password(client, "nurse")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Username or password is wrong."]
    assert logged_in_user_id(client) is None
    assert actions() == ["login.failed"]


def test_nurse_without_device_is_logged_in_directly(client: Client, nurse: Membership) -> None:
    response = post_password(client, "nurse")

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL
    assert logged_in_user_id(client) == str(nurse.user.pk)
    assert "pending_login" not in client.session
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor, event.actor_label) == ("login", nurse.user, "nurse")
    assert client.get(PATIENT_LIST_URL).status_code == 200


def test_login_changes_the_session_key(client: Client, nurse: Membership) -> None:
    client.get(LOGIN_URL)
    client.session.save()
    before = client.session.session_key

    post_password(client, "nurse")

    assert client.session.session_key != before


def test_nurse_with_a_device_must_still_give_the_code(client: Client, nurse: Membership) -> None:
    confirmed_totp(nurse.user)

    response = post_password(client, "nurse")

    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert logged_in_user_id(client) is None


# --- Enrolment (prescribers and admins without an authenticator) ---------------------------------


def test_prescriber_without_device_is_sent_to_enrolment_not_logged_in(
    client: Client, prescriber: Membership
) -> None:
    response = post_password(client, "dr.treating")

    assert response.status_code == 302
    assert response["Location"] == ENROL_URL
    assert logged_in_user_id(client) is None
    assert actions() == []


def test_admin_without_device_is_sent_to_enrolment(
    client: Client, clinic_admin: Membership
) -> None:
    response = post_password(client, "admin")

    assert response.status_code == 302
    assert response["Location"] == ENROL_URL


def test_enrol_page_shows_the_secret_of_one_pending_device(
    client: Client, prescriber: Membership
) -> None:
    post_password(client, "dr.treating")

    first = client.get(ENROL_URL)
    second = client.get(ENROL_URL)

    assert first.status_code == 200
    [device] = TOTPDevice.objects.filter(user=prescriber.user)
    assert device.confirmed is False
    assert first.context["secret"] == second.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", first.context["secret"])
    assert first.context["qr"].startswith("data:image/svg+xml;base64,")


def test_enrolment_with_the_right_code_shows_ten_backup_codes_and_logs_in(
    client: Client, prescriber: Membership
) -> None:
    post_password(client, "dr.treating")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=prescriber.user)

    response = client.post(ENROL_URL, {"token": code(device)})

    assert response.status_code == 200
    assert "accounts/backup_codes.html" in [t.name for t in response.templates]
    codes = response.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"\d{8}", c) for c in codes)
    for backup_code in codes:
        assert f"<code>{backup_code}</code>" in response.content.decode()
    assert sorted(
        StaticToken.objects.filter(device__user=prescriber.user).values_list("token", flat=True)
    ) == sorted(codes)
    device.refresh_from_db()
    assert device.confirmed is True
    assert logged_in_user_id(client) == str(prescriber.user.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert actions() == ["two-factor.enrol", "login"]
    assert client.get(PATIENT_LIST_URL).status_code == 200


def test_enrolment_with_a_wrong_code_is_refused(client: Client, prescriber: Membership) -> None:
    post_password(client, "dr.treating")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=prescriber.user)

    response = client.post(ENROL_URL, {"token": wrong_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors["token"] == [
        "That code is not right; check the time on your phone and try again."
    ]
    device.refresh_from_db()
    assert device.confirmed is False
    assert logged_in_user_id(client) is None
    assert StaticDevice.objects.count() == 0
    assert actions() == []


def test_enrol_page_without_a_pending_login_goes_back_to_login(client: Client, db: None) -> None:
    response = client.get(ENROL_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert TOTPDevice.objects.count() == 0


def test_enrolment_cannot_bypass_an_existing_authenticator(
    client: Client, prescriber: Membership
) -> None:
    confirmed_totp(prescriber.user)
    post_password(client, "dr.treating")  # password known, phone not in hand

    response = client.get(ENROL_URL)
    pending = TOTPDevice.objects.filter(user=prescriber.user, confirmed=False).first()
    if pending is not None:
        client.post(ENROL_URL, {"token": code(pending)})

    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert logged_in_user_id(client) is None
    assert TOTPDevice.objects.filter(user=prescriber.user).count() == 1


# --- Second factor -------------------------------------------------------------------------------


def test_prescriber_with_device_is_sent_to_the_code_page(
    client: Client, prescriber: Membership
) -> None:
    confirmed_totp(prescriber.user)

    response = post_password(client, "dr.treating")

    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert logged_in_user_id(client) is None
    page = client.get(VERIFY_URL)
    assert page.status_code == 200
    assert page.context["pending_user"] == prescriber.user


def test_wrong_second_factor_code_is_refused_and_audited(
    client: Client, prescriber: Membership
) -> None:
    device = confirmed_totp(prescriber.user)
    post_password(client, "dr.treating")

    response = client.post(VERIFY_URL, {"token": wrong_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors["token"] == ["That code is not right or has expired."]
    assert logged_in_user_id(client) is None
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor, event.actor_label) == ("login.failed", None, "dr.treating")
    assert event.detail == {"reason": "wrong second-factor code"}


def test_right_second_factor_code_logs_in(client: Client, prescriber: Membership) -> None:
    device = confirmed_totp(prescriber.user)
    post_password(client, "dr.treating")

    response = client.post(VERIFY_URL, {"token": code(device)})

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL
    assert logged_in_user_id(client) == str(prescriber.user.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert "pending_login" not in client.session
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor, event.actor_label) == (
        "login",
        prescriber.user,
        "dr.treating",
    )
    assert client.get(PATIENT_LIST_URL).status_code == 200


def test_code_with_spaces_is_accepted(client: Client, prescriber: Membership) -> None:
    device = confirmed_totp(prescriber.user)
    post_password(client, "dr.treating")
    digits = code(device)

    response = client.post(VERIFY_URL, {"token": f" {digits[:3]} {digits[3:]} "})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(prescriber.user.pk)


def test_the_same_totp_code_cannot_be_replayed(prescriber: Membership) -> None:
    device = confirmed_totp(prescriber.user)
    first, second = Client(), Client()
    post_password(first, "dr.treating")
    post_password(second, "dr.treating")
    digits = code(device)

    assert first.post(VERIFY_URL, {"token": digits}).status_code == 302
    response = second.post(VERIFY_URL, {"token": digits})

    assert response.status_code == 200
    assert logged_in_user_id(second) is None


def test_a_backup_code_works_once(prescriber: Membership) -> None:
    confirmed_totp(prescriber.user)
    backup = StaticDevice.objects.create(user=prescriber.user, name="Backup codes", confirmed=True)
    backup.token_set.create(token="12345678")
    backup.token_set.create(token="87654321")
    first, second = Client(), Client()

    post_password(first, "dr.treating")
    used = first.post(VERIFY_URL, {"token": "12345678"})
    post_password(second, "dr.treating")
    reused = second.post(VERIFY_URL, {"token": "12345678"})

    assert used.status_code == 302
    assert logged_in_user_id(first) == str(prescriber.user.pk)
    assert first.session["otp_device_id"] == backup.persistent_id
    assert reused.status_code == 200
    assert reused.context["form"].errors["token"] == ["That code is not right or has expired."]
    assert logged_in_user_id(second) is None
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["87654321"]
    assert actions() == ["login", "login.failed"]


def test_verify_page_without_a_pending_login_goes_back_to_login(client: Client, db: None) -> None:
    response = client.get(VERIFY_URL, follow=True)

    assert response.redirect_chain == [(LOGIN_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Please sign in again."]


def test_pending_login_expires_after_five_minutes(
    client: Client, prescriber: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = confirmed_totp(prescriber.user)
    clock = FakeTime(1_800_000_000.0)
    monkeypatch.setattr(views, "time", clock)
    post_password(client, "dr.treating")

    clock.now += 300
    assert client.get(VERIFY_URL).status_code == 200  # exactly five minutes: still pending
    clock.now += 1
    response = client.post(VERIFY_URL, {"token": code(device)})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None
    assert actions() == []


def test_pending_enrolment_expires_after_five_minutes(
    client: Client, prescriber: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeTime(1_800_000_000.0)
    monkeypatch.setattr(views, "time", clock)
    post_password(client, "dr.treating")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=prescriber.user)

    clock.now += 301
    response = client.post(ENROL_URL, {"token": code(device)})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    device.refresh_from_db()
    assert device.confirmed is False
    assert logged_in_user_id(client) is None


# --- Where to go after login -------------------------------------------------------------------


def test_next_on_the_same_host_is_honoured(client: Client, nurse: Membership) -> None:
    response = client.post(
        LOGIN_URL + "?next=/accounts/security/", {"username": "nurse", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"


def test_next_is_carried_in_the_login_form(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL + "?next=/patients/%3Fq%3Dx")

    assert response.context["next"] == "/patients/?q=x"
    assert '<input type="hidden" name="next" value="/patients/?q=x">' in response.content.decode()


def test_next_is_honoured_after_the_second_factor(client: Client, prescriber: Membership) -> None:
    device = confirmed_totp(prescriber.user)
    client.post(
        LOGIN_URL, {"username": "dr.treating", "password": PASSWORD, "next": "/accounts/security/"}
    )

    response = client.post(VERIFY_URL, {"token": code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/patients/",
        "http://evil.example",
        "https://testserver.evil.example/",
        "javascript:alert(1)",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
    ],
)
def test_next_to_another_host_is_refused(client: Client, nurse: Membership, target: str) -> None:
    response = client.post(LOGIN_URL, {"username": "nurse", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL


def test_next_to_another_host_is_not_echoed_into_the_form(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL, {"next": "https://evil.example/"})

    assert response.context["next"] == ""
    assert "evil.example" not in response.content.decode()


def test_login_accepts_only_get_and_post(client: Client, db: None) -> None:
    assert client.put(LOGIN_URL).status_code == 405
    assert client.delete(VERIFY_URL).status_code == 405


def test_next_is_honoured_after_enrolment(client: Client, prescriber: Membership) -> None:
    client.post(
        LOGIN_URL, {"username": "dr.treating", "password": PASSWORD, "next": "/accounts/security/"}
    )
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=prescriber.user)

    response = client.post(ENROL_URL, {"token": code(device)})

    assert 'href="/accounts/security/"' in response.content.decode()
