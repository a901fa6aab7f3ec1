"""Walk the audit hash chain and report the first broken link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dosewise.audit.models import AuditEvent
from dosewise.domain.audit_chain import ChainLink, verify_chain


def _links() -> Iterator[ChainLink]:
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        yield ChainLink(event.id, event.chain_content(), event.previous_hash, event.hash)


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits 1 at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain(_links())
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.event_id} after {checked} good events: "
                f"{broken.reason}",
                returncode=1,
            )
        self.stdout.write(f"Audit chain intact: {checked} events verified.")
