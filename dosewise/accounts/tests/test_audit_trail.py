"""The audit trail of account actions is append-only and tamper-evident (`verify_audit`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from dosewise.accounts import services
from dosewise.accounts.models import Membership
from dosewise.accounts.tests.support import post_password
from dosewise.audit.models import AppendOnlyError, AuditEvent


@pytest.fixture
def trail(clinic_admin: Membership, nurse: Membership) -> list[AuditEvent]:
    """Five events written by account services."""
    services.record_login(nurse.user)
    services.create_api_token(nurse, name="script")
    services.record_failed_login("mallory", reason="wrong username or password")
    services.change_role(clinic_admin, nurse, role="staff")
    services.record_logout(nurse.user)
    return list(AuditEvent.objects.order_by("id"))


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_intact_trail_verifies(trail: list[AuditEvent]) -> None:
    assert [e.action for e in trail] == [
        "login",
        "api-token.create",
        "login.failed",
        "member.change-role",
        "logout",
    ]

    assert verify() == "Audit chain intact: 5 events verified.\n"


def test_empty_trail_verifies(db: None) -> None:
    assert verify() == "Audit chain intact: 0 events verified.\n"


def test_events_written_by_web_requests_verify(client: Client, nurse: Membership) -> None:
    post_password(client, "nurse", "wrong password", REMOTE_ADDR="192.0.2.10")
    post_password(client, "nurse")

    assert verify() == "Audit chain intact: 2 events verified.\n"
    assert list(AuditEvent.objects.values_list("client_address", flat=True)) == [
        "192.0.2.10",
        "127.0.0.1",
    ]


def test_each_event_links_to_the_one_before(trail: list[AuditEvent]) -> None:
    assert trail[0].previous_hash == "0" * 64
    for before, after in zip(trail, trail[1:], strict=False):
        assert after.previous_hash == before.hash


def test_altered_event_is_reported_by_id(trail: list[AuditEvent]) -> None:
    altered = trail[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action='x' WHERE id=%s", [altered.id])

    with pytest.raises(CommandError) as error:
        verify()

    assert str(error.value) == (
        f"Audit chain broken at event {altered.id} after 2 good events: "
        "content does not match its hash (the event was altered)"
    )
    assert error.value.returncode == 1


def test_altered_detail_is_reported(trail: list[AuditEvent]) -> None:
    altered = trail[3]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET detail=%s WHERE id=%s",
            ['{"user": "nurse", "from": "nurse", "to": "admin"}', altered.id],
        )

    with pytest.raises(CommandError, match=f"broken at event {altered.id} after 3 good events"):
        verify()


def test_deleted_event_breaks_the_link_of_the_next(trail: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id=%s", [trail[1].id])

    with pytest.raises(CommandError) as error:
        verify()

    assert str(error.value) == (
        f"Audit chain broken at event {trail[2].id} after 1 good events: previous-hash does not match the "
        "event before it (an event was removed, inserted or reordered)"
    )


def test_deleted_first_event_is_detected(trail: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id=%s", [trail[0].id])

    with pytest.raises(CommandError, match=f"broken at event {trail[1].id} after 0 good events"):
        verify()


def test_queryset_update_is_refused(trail: list[AuditEvent]) -> None:
    with pytest.raises(AppendOnlyError, match="audit events cannot be updated"):
        AuditEvent.objects.update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=trail[0].pk).update(action="x")

    assert verify() == "Audit chain intact: 5 events verified.\n"


def test_queryset_delete_is_refused(trail: list[AuditEvent]) -> None:
    with pytest.raises(AppendOnlyError, match="audit events cannot be deleted"):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(action="login").delete()

    assert AuditEvent.objects.count() == 5


def test_saving_or_deleting_an_existing_event_is_refused(trail: list[AuditEvent]) -> None:
    event = AuditEvent.objects.get(pk=trail[0].pk)
    event.action = "x"

    with pytest.raises(AppendOnlyError, match="audit events cannot be updated"):
        event.save()
    with pytest.raises(AppendOnlyError, match="audit events cannot be deleted"):
        event.delete()

    assert AuditEvent.objects.get(pk=trail[0].pk).action == "login"


def test_bulk_update_is_refused(trail: list[AuditEvent]) -> None:
    event = trail[0]
    event.action = "x"

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])


def test_events_from_canonical_ipv6_clients_verify(client: Client, nurse: Membership) -> None:
    post_password(client, "nurse", "wrong password", REMOTE_ADDR="2001:db8::1")

    assert verify() == "Audit chain intact: 1 events verified.\n"
    assert AuditEvent.objects.get().client_address == "2001:db8::1"


def test_events_from_ipv6_clients_verify(client: Client, nurse: Membership) -> None:
    post_password(client, "nurse", "wrong password", REMOTE_ADDR="2001:DB8:0:0:0:0:0:1")

    assert verify() == "Audit chain intact: 1 events verified.\n"
