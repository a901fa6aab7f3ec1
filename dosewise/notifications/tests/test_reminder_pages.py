"""The staff's Reminders page and API: failed first with the error and a Retry button,
skipped with the reason; per persona; retry audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_patient
from dosewise.notifications.models import Reminder
from dosewise.notifications.tests.conftest import NOW
from dosewise.tests.api_support import actions_since, api_as, audit_mark, fields_in_error, problem

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:reminder-list")


def make_reminder(patient, status: str, n: int = 0, **fields) -> Reminder:  # type: ignore[no-untyped-def]
    """Setup: a reminder in `status` (the worker's doing, tested in test_delivery)."""
    defaults = {
        "organization": patient.organization,
        "patient": patient,
        "kind": Reminder.Kind.APPOINTMENT,
        "subject": "Appointment reminder",
        "body": "Reminder from the clinic.",
        "send_after": NOW - dt.timedelta(hours=n),
        "status": status,
        "dedupe_key": f"test:{patient.uuid}:{status}:{n}",
    }
    if status == Reminder.Status.FAILED:
        defaults |= {"attempts": 5, "last_error": "SMTPServerDisconnected: closed"}
    if status == Reminder.Status.SKIPPED:
        defaults |= {"skip_reason": "no reminder consent recorded"}
    if status == Reminder.Status.SENT:
        defaults |= {"sent_at": NOW, "recipient": "alex@example.org", "channel": "email"}
    return Reminder.objects.create(**(defaults | fields))


@pytest.fixture
def reminders(patient):  # type: ignore[no-untyped-def]
    return {
        "sent": make_reminder(patient, Reminder.Status.SENT, 1),
        "failed": make_reminder(patient, Reminder.Status.FAILED, 9),
        "skipped": make_reminder(patient, Reminder.Status.SKIPPED, 2),
        "pending": make_reminder(patient, Reminder.Status.PENDING, 0),
    }


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_staff_see_failed_first_with_error_and_skipped_with_reason(
    request, client_for, reminders, persona
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(request.getfixturevalue(persona)).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    failed = page.index("⚠ Failed")
    assert failed < page.index("◷ Pending") < page.index("✓ Sent") < page.index("↷ Skipped")
    assert "SMTPServerDisconnected: closed" in page
    assert "no reminder consent recorded" in page
    retry = reverse("notifications:reminder-retry", args=[reminders["failed"].uuid])
    assert retry in page
    assert reverse("notifications:reminder-retry", args=[reminders["sent"].uuid]) not in page


def test_list_is_the_organizations_only(client_for, outsider, reminders) -> None:  # type: ignore[no-untyped-def]
    page = client_for(outsider).get(LIST).content.decode()
    assert "No reminders." in page


def test_list_is_audited_and_filters_by_status(client_for, front_desk, reminders) -> None:  # type: ignore[no-untyped-def]
    client = client_for(front_desk)
    mark = audit_mark()
    page = client.get(LIST, {"status": "skipped"}).content.decode()
    assert "↷ Skipped" in page
    assert "⚠ Failed" not in page
    assert actions_since(mark) == ["reminder.list"]
    assert client.get(LIST, {"status": "lost"}).status_code == 400


def test_list_query_count_does_not_grow_with_reminders(client_for, front_desk, patient) -> None:  # type: ignore[no-untyped-def]
    client = client_for(front_desk)
    make_reminder(patient, Reminder.Status.FAILED, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(2, 12):
        other = make_patient(patient.organization, f"MRN-1{n:03}")
        make_reminder(other, Reminder.Status.FAILED, n)
        make_reminder(other, Reminder.Status.SENT, n)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


def test_retry_puts_a_failed_reminder_back_and_is_audited(client_for, nurse, reminders) -> None:  # type: ignore[no-untyped-def]
    failed = reminders["failed"]
    mark = audit_mark()

    response = client_for(nurse).post(reverse("notifications:reminder-retry", args=[failed.uuid]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Reminder.Status.PENDING, 0)
    assert failed.next_attempt_at is not None
    assert failed.last_error == "SMTPServerDisconnected: closed"  # kept as history
    assert actions_since(mark) == ["reminder.retry"]


def test_retry_refuses_a_sent_reminder(client_for, nurse, reminders) -> None:  # type: ignore[no-untyped-def]
    sent = reminders["sent"]
    client = client_for(nurse)
    response = client.post(reverse("notifications:reminder-retry", args=[sent.uuid]), follow=True)
    assert "Only a failed or skipped reminder can be retried; this one is sent." in (
        response.content.decode()
    )
    sent.refresh_from_db()
    assert sent.status == Reminder.Status.SENT


def test_retry_of_another_organizations_reminder_is_404(client_for, outsider, reminders) -> None:  # type: ignore[no-untyped-def]
    failed = reminders["failed"]
    mark = audit_mark()
    response = client_for(outsider).post(
        reverse("notifications:reminder-retry", args=[failed.uuid])
    )
    assert response.status_code == 404
    failed.refresh_from_db()
    assert failed.status == Reminder.Status.FAILED
    assert actions_since(mark) == ["access.denied"]


def test_retry_is_post_only(client_for, nurse, reminders) -> None:  # type: ignore[no-untyped-def]
    url = reverse("notifications:reminder-retry", args=[reminders["failed"].uuid])
    assert client_for(nurse).get(url).status_code == 405


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_failed_first(front_desk, reminders) -> None:  # type: ignore[no-untyped-def]
    response = api_as(front_desk).get("/reminders")
    assert response.status_code == 200
    statuses = [row["status"] for row in response.json()]
    assert statuses == ["failed", "pending", "sent", "skipped"]
    failed = response.json()[0]
    assert failed["last_error"] == "SMTPServerDisconnected: closed"
    assert failed["patient"]["mrn"] == "MRN-0001"


def test_api_list_bad_status_names_the_field(front_desk) -> None:  # type: ignore[no-untyped-def]
    assert fields_in_error(api_as(front_desk).get("/reminders", status="lost")) == ["status"]


def test_api_retry(clinic_admin, outsider, reminders) -> None:  # type: ignore[no-untyped-def]
    failed, sent = reminders["failed"], reminders["sent"]
    response = api_as(clinic_admin).post(f"/reminders/{failed.uuid}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert fields_in_error(api_as(clinic_admin).post(f"/reminders/{sent.uuid}/retry")) == ["status"]
    problem(api_as(outsider).post(f"/reminders/{failed.uuid}/retry"), 404)
    problem(api_as(outsider).post("/reminders/nonsense/retry"), 404)
