"""Reminder settings are read from the environment and a bad value stops start-up with a
message naming the variable (like every Dosewise setting)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[3]

SHOW = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dosewise.settings'; "
    "from django.conf import settings; "
    "print(settings.SMS_BACKEND, settings.REMINDER_SEND_HOUR, settings.REMINDER_QUIET_HOURS, "
    "settings.REMINDER_MAX_ATTEMPTS, settings.EMAIL_FILE_PATH.name, settings.SMS_FILE_PATH.name)"
)


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "SMS_", "EMAIL_"))
    }
    clean.update({"DOSEWISE_TESTING": "1", **env})
    return subprocess.run(
        [sys.executable, "-c", SHOW], capture_output=True, text=True, cwd=ROOT, env=clean
    )


def test_defaults() -> None:
    result = _settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 2)[:2] == [
        "dosewise.notifications.sms.ConsoleSmsBackend",
        "9",
    ]
    assert "(datetime.time(21, 0), datetime.time(8, 0))" in result.stdout
    assert result.stdout.split()[-3:] == ["5", "mail", "sms"]


def test_values_are_read() -> None:
    result = _settings(
        SMS_BACKEND="dosewise.notifications.sms.FileSmsBackend",
        REMINDER_SEND_HOUR="10",
        REMINDER_QUIET_HOURS="",
        REMINDER_MAX_ATTEMPTS="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "dosewise.notifications.sms.FileSmsBackend", "10", "None", "3", "mail", "sms"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REMINDER_SEND_HOUR": "24"}, "REMINDER_SEND_HOUR must be at most 23, got 24"),
        ({"REMINDER_SEND_HOUR": "nine"}, "REMINDER_SEND_HOUR must be a whole number, got 'nine'"),
        ({"REMINDER_MAX_ATTEMPTS": "0"}, "REMINDER_MAX_ATTEMPTS must be at least 1, got 0"),
        ({"REMINDER_CLAIM_SECONDS": "10"}, "REMINDER_CLAIM_SECONDS must be at least 30, got 10"),
        (
            {"REMINDER_QUIET_HOURS": "9pm-8am"},
            "REMINDER_QUIET_HOURS must be HH:MM-HH:MM (e.g. 21:00-08:00) or empty, got '9pm-8am'",
        ),
        (
            {"REMINDER_QUIET_HOURS": "21:00-21:00"},
            "REMINDER_QUIET_HOURS must start and end at different times, got '21:00-21:00'",
        ),
        (
            {"SMS_BACKEND": "twilio sms"},
            "SMS_BACKEND must be a dotted path to a class, got 'twilio sms'",
        ),
        (
            {"EMAIL_TIMEOUT": "300", "REMINDER_CLAIM_SECONDS": "300"},
            "EMAIL_TIMEOUT must be shorter than REMINDER_CLAIM_SECONDS",
        ),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(env: dict[str, str], message: str) -> None:
    result = _settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_system_check_refuses_a_backend_that_does_not_import(settings) -> None:  # type: ignore[no-untyped-def]
    def ours() -> list[str]:
        return [message.id for message in run_checks() if message.id.startswith("dw.")]

    assert ours() == []
    settings.SMS_BACKEND = "dosewise.notifications.sms.NoSuchBackend"
    assert ours() == ["dw.E101"]
    settings.SMS_BACKEND = "dosewise.notifications.sms.SmsMessage"
    assert ours() == ["dw.E102"]
    settings.SMS_BACKEND = "dosewise.notifications.sms.FileSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.nothing.EmailBackend"
    assert ours() == ["dw.E103"]
