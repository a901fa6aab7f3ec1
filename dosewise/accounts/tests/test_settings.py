"""Settings from the environment: a malformed value stops start-up and names the variable.

Each case imports the settings module in a fresh interpreter, without pytest loaded (so
TESTING follows DOSEWISE_TESTING alone).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

CONTROLLED = {
    "DEBUG",
    "DOSEWISE_TESTING",
    "SECRET_KEY",
    "SESSION_IDLE_MINUTES",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "PROXY_COUNT",
    "EMAIL_PORT",
    "SECURE_COOKIES",
    "DOSEWISE_VAR_DIR",
}


def import_settings(
    tmp_path: Path, print_expr: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    code = "import dosewise.settings as s"
    if print_expr:
        code += f"; print({print_expr})"
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code],
        env={**base, "DOSEWISE_VAR_DIR": str(tmp_path), **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false (1/0, yes/no, on/off), got 'maybe'"),
        (
            {"DEBUG": "1", "SESSION_IDLE_MINUTES": "abc"},
            "SESSION_IDLE_MINUTES must be a whole number, got 'abc'",
        ),
        (
            {"DEBUG": "1", "SESSION_IDLE_MINUTES": "0"},
            "SESSION_IDLE_MINUTES must be at least 1, got 0",
        ),
        ({"DEBUG": "0", "DOSEWISE_TESTING": "0"}, "SECRET_KEY must be set when DEBUG is off"),
        (
            {"DEBUG": "1", "DATABASE_URL": "mysql://x"},
            "DATABASE_URL must point at PostgreSQL or SQLite",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "garbage"}, "DATABASE_URL is not a usable database URL"),
        ({"DEBUG": "1", "PROXY_COUNT": "-1"}, "PROXY_COUNT must be at least 0, got -1"),
        ({"DEBUG": "1", "SECURE_COOKIES": "sometimes"}, "SECURE_COOKIES must be true or false"),
    ],
    ids=[
        "debug",
        "idle-minutes",
        "idle-minutes-zero",
        "secret-key",
        "database-url",
        "database-url-garbage",
        "proxy-count",
        "secure-cookies",
    ],
)
def test_malformed_environment_stops_start_up_naming_the_variable(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = import_settings(tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_environment_with_secret_and_hosts_starts(tmp_path: Path) -> None:
    result = import_settings(
        tmp_path,
        "s.DEBUG, s.TESTING, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.PASSWORD_HASHERS[0]",
        DEBUG="0",
        DOSEWISE_TESTING="0",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="dosewise.example.org, ",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False False ['dosewise.example.org'] True True django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_session_idle_minutes_sets_the_cookie_age(tmp_path: Path) -> None:
    result = import_settings(tmp_path, "s.SESSION_COOKIE_AGE", DEBUG="1", SESSION_IDLE_MINUTES="30")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1800"


def test_debug_without_secret_key_uses_the_development_key(tmp_path: Path) -> None:
    result = import_settings(
        tmp_path, "s.SECRET_KEY.startswith('insecure-'), s.SECURE_COOKIES", DEBUG="yes"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True False"


def test_postgres_database_url_is_accepted(tmp_path: Path) -> None:
    result = import_settings(
        tmp_path,
        "s.DATABASES['default']['ENGINE']",
        DEBUG="1",
        DATABASE_URL="postgres://u:p@db:5432/dosewise",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_secret_key_is_read_from_the_var_directory(tmp_path: Path) -> None:
    (tmp_path / "secret-key").write_text("from-the-file-" + "k" * 40 + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import dosewise.settings as s; print(s.SECRET_KEY, s.ALLOWED_HOSTS)",
        ],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")
            },
            "DEBUG": "0",
            "DOSEWISE_TESTING": "0",
            "DOSEWISE_VAR_DIR": str(tmp_path),
        },
        check=True,
    )
    assert result.stdout.split(" ", 1) == [
        "from-the-file-" + "k" * 40,
        "['127.0.0.1', 'localhost']\n",
    ]
