"""Sessions, logout, CSRF, security headers and password hashing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from dosewise.accounts.models import Membership
from dosewise.accounts.tests.support import LOGIN_URL, PATIENT_LIST_URL, actions, logged_in_user_id
from dosewise.audit.models import AuditEvent

LOGOUT_URL = reverse("accounts:logout")


# --- Sessions ------------------------------------------------------------------------------------


def test_sessions_time_out_after_fifteen_idle_minutes_by_default() -> None:
    assert settings.SESSION_IDLE_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_every_request_pushes_the_session_expiry_fifteen_minutes_out(
    nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(nurse)

    response = client.get(PATIENT_LIST_URL)

    assert response.status_code == 200
    assert client.session.get_expiry_age() == 15 * 60
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # a browser-session cookie; the server enforces the idle limit


def test_logout_by_get_is_refused(
    nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(nurse)

    response = client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(nurse.user.pk)
    assert actions() == []


def test_logout_by_post_ends_the_session_and_is_audited(
    nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(nurse)

    response = client.post(LOGOUT_URL, follow=True)

    assert response.redirect_chain == [(LOGIN_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == ["You are signed out."]
    assert logged_in_user_id(client) is None
    assert actions() == ["logout"]
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label) == (nurse.user, "nurse")
    assert client.get(PATIENT_LIST_URL)["Location"] == f"{LOGIN_URL}?next={PATIENT_LIST_URL}"


def test_anonymous_logout_is_not_audited(client: Client, db: None) -> None:
    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert actions() == []


# --- CSRF ----------------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused(nurse: Membership) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN_URL, {"username": "nurse", "password": PASSWORD})

    assert response.status_code == 403
    assert logged_in_user_id(client) is None
    assert actions() == []


def test_login_post_with_the_csrf_token_is_accepted(nurse: Membership) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(
        LOGIN_URL, {"username": "nurse", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(nurse.user.pk)


def test_logout_post_without_csrf_token_is_refused(nurse: Membership) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 403
    assert logged_in_user_id(client) == str(nurse.user.pk)


# --- Headers ---------------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_send_a_strict_content_security_policy(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL)

    header = response["Content-Security-Policy"]
    directives = csp_directives(header)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_pages_cannot_be_framed_or_sniffed(
    nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(nurse).get(PATIENT_LIST_URL)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_pages_have_no_inline_script(
    nurse: Membership, client_for: Callable[[Membership], Client]
) -> None:
    for path in (LOGIN_URL, PATIENT_LIST_URL, reverse("accounts:security")):
        content = client_for(nurse).get(path).content.decode()
        assert "<script>" not in content
        assert " onclick=" not in content


def test_every_response_carries_a_request_id(client: Client, db: None) -> None:
    response = client.get(LOGIN_URL)

    assert len(response["X-Request-ID"]) == 32


# --- Password hashing ----------------------------------------------------------------------


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "DOSEWISE_TESTING", "SECRET_KEY"}
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "dosewise.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_hash_passwords_with_argon2(tmp_path: Path) -> None:
    result = run_python(
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        DOSEWISE_TESTING="0",
        DEBUG="1",
        DOSEWISE_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_passwords_are_stored_as_argon2(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password; print(make_password('x' * 12).split('$')[0])",
        DOSEWISE_TESTING="0",
        DEBUG="1",
        DOSEWISE_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "argon2"


def test_only_the_test_run_uses_a_fast_hasher() -> None:
    assert settings.TESTING is True
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_minimum_password_length_is_twelve() -> None:
    [length] = [
        v for v in settings.AUTH_PASSWORD_VALIDATORS if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert length["OPTIONS"] == {"min_length": 12}
