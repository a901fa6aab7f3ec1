"""The hash chain that makes the audit trail tamper-evident.

Each audit event stores the hash of the event before it; the event's own hash covers its
content and that previous hash. Changing, removing or reordering any past event breaks every
link after it, which `verify_chain` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


def event_hash(previous_hash: str, content: Mapping[str, object]) -> str:
    """SHA-256 over the previous hash and a canonical JSON form of the event's content."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """One stored event as the verifier sees it."""

    event_id: int
    content: Mapping[str, object]
    previous_hash: str
    stored_hash: str


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


def verify_chain(links: Iterable[ChainLink]) -> tuple[int, BrokenLink | None]:
    """Walk events in order; return how many were checked and the first broken link, if any."""
    expected_previous = GENESIS_HASH
    checked = 0
    for link in links:
        if link.previous_hash != expected_previous:
            return checked, BrokenLink(
                link.event_id,
                "previous-hash does not match the event before it (an event was removed, "
                "inserted or reordered)",
            )
        if event_hash(link.previous_hash, link.content) != link.stored_hash:
            return checked, BrokenLink(
                link.event_id, "content does not match its hash (the event was altered)"
            )
        expected_previous = link.stored_hash
        checked += 1
    return checked, None
