"""The state changes of a reminder after planning, each one conditional UPDATE.

    pending --claim--> sending --sent--> sent
       ^                  |  \\--failure, attempts left--> pending (next_attempt_at later)
       |                  |   \\-failure, none left------> failed  --staff retry--> pending
       |                  \\--not wanted (consent, cancelled, ...)--> skipped --staff retry--^
       \\--quiet hours: back to pending until they end (the attempt is not counted)

Every change names the state it expects (and, from `sending`, the worker holding the claim) in
its WHERE clause, so two workers can never both move the same reminder: the second UPDATE
matches no row. A claim that outlives REMINDER_CLAIM_SECONDS (its worker died) may be taken by
another worker. Outcomes are audited in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from dosewise.audit.services import record
from dosewise.notifications.models import Reminder
from dosewise.notifications.timing import retry_delay


def _audit(reminder: Reminder, action: str, *, worker_id: str, **detail: Any) -> None:
    record(
        action,
        actor=None,
        actor_label=f"worker {worker_id}" if worker_id else "reminder planner",
        organization=reminder.organization,
        patient=reminder.patient,
        target=reminder,
        detail={"kind": reminder.kind, **detail},
    )


def _held_by(reminder: Reminder, worker_id: str) -> Any:
    return Reminder.objects.filter(
        pk=reminder.pk, status=Reminder.Status.SENDING, claimed_by=worker_id
    )


def claim(worker_id: str, *, now: dt.datetime, candidates: int = 20) -> Reminder | None:
    """Take the next due reminder for `worker_id`, or None when nothing is due.

    The UPDATE repeats the "claimable" condition, so of two workers that picked the same row
    exactly one changes it (SQLite: writers take turns; PostgreSQL: the second UPDATE waits
    for the first's row lock, then re-checks its WHERE against the new row and matches
    nothing). The attempt is counted at the claim, so a reminder that kills its worker each
    time still ends up `failed` instead of looping.
    """
    lease = now + dt.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    pks = list(
        Reminder.objects.claimable(now)
        .order_by("send_after", "id")
        .values_list("pk", flat=True)[:candidates]
    )
    for pk in pks:
        claimed = (
            Reminder.objects.claimable(now)
            .filter(pk=pk)
            .update(
                status=Reminder.Status.SENDING,
                claimed_by=worker_id,
                claimed_until=lease,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        )
        if claimed:
            return Reminder.objects.select_related("organization", "patient").get(pk=pk)
    return None


def still_held(reminder: Reminder, worker_id: str, *, now: dt.datetime) -> bool:
    """Whether `worker_id`'s claim is still live (checked just before sending)."""
    return _held_by(reminder, worker_id).filter(claimed_until__gt=now).exists()


def mark_sent(
    reminder: Reminder, worker_id: str, *, channel: str, recipient: str, now: dt.datetime
) -> bool:
    with transaction.atomic():
        changed = _held_by(reminder, worker_id).update(
            status=Reminder.Status.SENT,
            channel=channel,
            recipient=recipient,
            sent_at=now,
            last_error="",
            claimed_by="",
            claimed_until=None,
            next_attempt_at=None,
            updated_at=now,
        )
        if changed:
            _audit(
                reminder,
                "reminder.sent",
                worker_id=worker_id,
                channel=channel,
                attempt=reminder.attempts,
            )
    return bool(changed)


def fail(
    reminder: Reminder,
    worker_id: str,
    *,
    error: str,
    now: dt.datetime,
    channel: str = "",
    recipient: str = "",
) -> str:
    """Record a failed attempt: retried later with back-off while attempts remain, else
    `failed` (shown to staff on top of the Reminders page). Returns the new status."""
    final = reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS
    status = Reminder.Status.FAILED if final else Reminder.Status.PENDING
    next_attempt = (
        None
        if final
        else now + retry_delay(reminder.attempts, base_seconds=settings.REMINDER_RETRY_SECONDS)
    )
    with transaction.atomic():
        changed = _held_by(reminder, worker_id).update(
            status=status,
            channel=channel,
            recipient=recipient,
            last_error=error[:2000],
            next_attempt_at=next_attempt,
            claimed_by="",
            claimed_until=None,
            updated_at=now,
        )
        if changed:
            _audit(
                reminder,
                "reminder.failed" if final else "reminder.send-error",
                worker_id=worker_id,
                attempt=reminder.attempts,
                error=error[:500],
            )
    return status if changed else ""


def postpone(reminder: Reminder, worker_id: str, *, until: dt.datetime, now: dt.datetime) -> bool:
    """Put the reminder back until `until` (the end of quiet hours); not counted as an attempt."""
    return bool(
        _held_by(reminder, worker_id).update(
            status=Reminder.Status.PENDING,
            next_attempt_at=until,
            attempts=F("attempts") - 1,
            claimed_by="",
            claimed_until=None,
            updated_at=now,
        )
    )


def skip(
    reminder: Reminder,
    *,
    reason: str,
    now: dt.datetime,
    only_if: str = Reminder.Status.SENDING,
    worker_id: str = "",
) -> bool:
    """Mark the reminder skipped, with the reason staff will see, if it is still in status
    `only_if` (and, from `sending`, still claimed by `worker_id`). False when another worker
    changed it first."""
    if only_if == Reminder.Status.SENDING:
        rows = _held_by(reminder, worker_id)
    else:
        rows = Reminder.objects.filter(pk=reminder.pk, status=only_if)
    with transaction.atomic():
        changed = rows.update(
            status=Reminder.Status.SKIPPED,
            skip_reason=reason[:200],
            claimed_by="",
            claimed_until=None,
            next_attempt_at=None,
            updated_at=now,
        )
        if changed:
            _audit(reminder, "reminder.skipped", worker_id=worker_id, reason=reason)
    return bool(changed)
