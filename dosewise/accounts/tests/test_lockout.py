"""Lockout (django-axes): 5 failures for one username from one address lock that pair out."""

from __future__ import annotations

from django.test import Client
from pytest_django.fixtures import Settings

from conftest import PASSWORD
from dosewise.accounts.models import Membership
from dosewise.accounts.tests.support import (
    PATIENT_LIST_URL,
    events,
    logged_in_user_id,
    post_password,
)

ADDRESS = "10.0.0.1"


def fail(client: Client, username: str, times: int, **extra: str) -> list[int]:
    return [
        post_password(client, username, "wrong password", **extra).status_code for _ in range(times)
    ]


def test_fifth_failure_locks_out_and_the_sixth_attempt_with_the_right_password_is_refused(
    client: Client, nurse: Membership
) -> None:
    statuses = fail(client, "nurse", 5, REMOTE_ADDR=ADDRESS)
    response = post_password(client, "nurse", PASSWORD, REMOTE_ADDR=ADDRESS)

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed sign-ins" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert [e.detail["reason"] for e in events("login.failed")] == [
        *["wrong username or password"] * 4,
        "locked out",
        "locked out",
    ]
    assert {e.actor_label for e in events("login.failed")} == {"nurse"}
    assert events("login") == []


def test_four_failures_do_not_lock_out(client: Client, nurse: Membership) -> None:
    fail(client, "nurse", 4, REMOTE_ADDR=ADDRESS)

    response = post_password(client, "nurse", PASSWORD, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL


def test_another_username_from_the_same_address_is_not_locked(
    client: Client, nurse: Membership, front_desk: Membership
) -> None:
    fail(client, "nurse", 5, REMOTE_ADDR=ADDRESS)

    response = post_password(Client(), "frontdesk", PASSWORD, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL


def test_the_same_username_from_another_address_is_not_locked(
    client: Client, nurse: Membership
) -> None:
    fail(client, "nurse", 5, REMOTE_ADDR=ADDRESS)

    response = post_password(Client(), "nurse", PASSWORD, REMOTE_ADDR="10.0.0.2")

    assert response.status_code == 302
    assert response["Location"] == PATIENT_LIST_URL


def test_lockout_stops_the_second_factor_step_being_reached(
    client: Client, prescriber: Membership
) -> None:
    fail(client, "dr.treating", 5, REMOTE_ADDR=ADDRESS)

    response = post_password(client, "dr.treating", PASSWORD, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    assert "pending_login" not in client.session


def test_a_successful_login_resets_the_failure_count(client: Client, nurse: Membership) -> None:
    fail(client, "nurse", 4, REMOTE_ADDR=ADDRESS)
    assert post_password(client, "nurse", PASSWORD, REMOTE_ADDR=ADDRESS).status_code == 302

    statuses = fail(Client(), "nurse", 4, REMOTE_ADDR=ADDRESS)

    assert statuses == [200, 200, 200, 200]


def test_changing_user_agent_does_not_evade_the_lockout(client: Client, nurse: Membership) -> None:
    for agent in ("a", "b", "c", "d", "e"):
        post_password(client, "nurse", "wrong password", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=agent)

    response = post_password(client, "nurse", PASSWORD, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="f")

    assert response.status_code == 429


def test_a_forged_x_forwarded_for_does_not_evade_the_lockout_without_proxies(
    client: Client, nurse: Membership
) -> None:
    for index in range(5):
        post_password(
            client,
            "nurse",
            "wrong password",
            REMOTE_ADDR=ADDRESS,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{index}",
        )

    response = post_password(
        client, "nurse", PASSWORD, REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="192.0.2.9"
    )

    assert response.status_code == 429


def test_behind_a_proxy_the_lockout_is_per_client_address(
    nurse: Membership, settings: Settings
) -> None:
    settings.PROXY_COUNT = 1
    proxy = "10.9.9.9"
    attacker, clinic = Client(), Client()
    for _ in range(5):
        post_password(
            attacker,
            "nurse",
            "wrong password",
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    response = post_password(
        clinic, "nurse", PASSWORD, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )

    assert response.status_code == 302
