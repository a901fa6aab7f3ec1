"""`record()`: the one way anything is written to the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from dosewise.audit import context
from dosewise.audit.models import AuditEvent
from dosewise.domain.audit_chain import GENESIS_HASH, event_hash

if TYPE_CHECKING:
    from dosewise.accounts.models import Organization, User
    from dosewise.patients.models import Patient

# Any constant works; it names the one lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_140_331


def _lock_chain() -> None:
    """Make concurrent appends take turns, so two events never claim the same predecessor.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions are IMMEDIATE
    (settings), so the write lock is already held.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(
    action: str,
    *,
    actor: User | None,
    organization: Organization | None = None,
    patient: Patient | None = None,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the audit trail, inside the caller's transaction.

    Call it from the service that performs the action, so the event commits or rolls back with
    the change it describes.
    """
    request = context.current()
    with transaction.atomic():
        _lock_chain()
        previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=actor_label or (actor.get_username() if actor else ""),
            organization=organization,
            patient=patient,
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(getattr(target, "uuid", None) or getattr(target, "pk", ""))
            if target is not None
            else "",
            request_id=request.request_id,
            channel=request.channel,
            client_address=request.client_address,
            detail=detail or {},
            previous_hash=previous or GENESIS_HASH,
        )
        event.hash = event_hash(event.previous_hash, event.chain_content())
        event.save()
    return event
