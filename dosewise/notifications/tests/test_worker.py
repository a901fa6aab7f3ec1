"""The worker command, and two worker processes against one database sending each reminder
exactly once."""

from __future__ import annotations

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import make_patient
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import consent

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_run_worker_once_plans_and_sends(patient, prescriber, front_desk, book) -> None:  # type: ignore[no-untyped-def]
    patient.email = "alex@example.org"
    patient.save(update_fields=["email"])
    consent(patient, front_desk)
    book(patient, prescriber, timezone.now() + dt.timedelta(hours=23))
    out = io.StringIO()

    call_command("run_worker", "--once", stdout=out)
    call_command("run_worker", "--once", stdout=out)

    assert out.getvalue().splitlines() == ["planned 1; sent 1", "planned 0; nothing due"]
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().status == Reminder.Status.SENT


@pytest.mark.django_db
def test_run_worker_refuses_a_zero_interval() -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("run_worker", "--interval", "0", stderr=err)
    assert stopped.value.code == 2
    assert err.getvalue().strip() == "--interval and --limit must be at least 1."


def _database_url(tmp_path: Path) -> str:
    """The test database, for other processes: SQLite's in-memory test database copied to a
    file; PostgreSQL's test database itself."""
    if connection.vendor == "sqlite":
        target = tmp_path / "db.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return f"sqlite:///{target}"
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _statuses(url: str) -> dict[str, int]:
    query = "SELECT status, COUNT(*) FROM notifications_reminder GROUP BY status"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            rows = db.execute(query).fetchall()
        db.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(query)
            rows = cursor.fetchall()
    return dict(rows)


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_each_reminder_exactly_once(
    tmp_path, organization, prescriber, front_desk, book
) -> None:  # type: ignore[no-untyped-def]
    """Two real `run_worker --once` processes started together on the same database (a file
    database for SQLite): they plan the same reminders and race to claim them; every
    reminder is sent once, by one of them."""
    count = 12
    start = timezone.now() + dt.timedelta(hours=23)
    for n in range(count):
        patient = make_patient(organization, f"MRN-2{n:03}", email=f"p{n}@example.org")
        consent(patient, front_desk)
        book(patient, prescriber, start - dt.timedelta(minutes=n))
    url = _database_url(tmp_path)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        },
        "DOSEWISE_TESTING": "1",
        "DATABASE_URL": url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SMS_BACKEND": "dosewise.notifications.sms.FileSmsBackend",
        "SMS_FILE_PATH": str(tmp_path / "sms"),
        "REMINDER_QUIET_HOURS": "",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [worker.communicate(timeout=300) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], results
    sent_by = [
        int(out.split("sent ")[1].split(",")[0]) if "sent " in out else 0 for out, _ in results
    ]
    assert sum(sent_by) == count, results
    messages = [path.read_text() for path in (tmp_path / "mail").glob("*.log")]
    recipients = sorted(
        line.removeprefix("To: ")
        for text in messages
        for line in text.splitlines()
        if line.startswith("To: ")
    )
    assert recipients == sorted(f"p{n}@example.org" for n in range(count))
    assert _statuses(url) == {"sent": count}
