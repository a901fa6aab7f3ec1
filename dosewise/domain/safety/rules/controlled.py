"""Controlled-substance rules (21 CFR 1306.12, 1306.22; brief §7)."""

from __future__ import annotations

import datetime as dt

from dosewise.domain.safety.facts import Context
from dosewise.domain.safety.findings import Finding, Severity, finding


def refills(ctx: Context) -> list[Finding]:
    order = ctx.order
    schedule = order.drug.dea_schedule
    name = order.drug.name
    if schedule.startswith("2") and order.refills > 0:
        return [
            finding(
                "schedule-ii-refills",
                Severity.CONTRAINDICATED,
                [name],
                message=f"{name} is Schedule II; refills are not allowed.",
                mechanism="Federal law (21 CFR 1306.12) prohibits refilling Schedule II prescriptions.",
                action="Set refills to 0; issue separate prescriptions (up to a 90-day supply) with earliest fill dates instead.",
                source="brief",
            )
        ]
    if schedule[:1] in ("3", "4") and order.refills > 5:
        return [
            finding(
                "schedule-iii-iv-refills",
                Severity.CONTRAINDICATED,
                [name],
                message=f"{name} is Schedule {schedule[:1]}; at most 5 refills are allowed.",
                mechanism="Federal law (21 CFR 1306.22): no more than 5 refills within 6 months of the date written.",
                action="Reduce refills to 5 or fewer.",
                source="brief",
            )
        ]
    return []


def overlapping_controlled(ctx: Context) -> list[Finding]:
    """A controlled prescription whose supply is not used up yet (early refill or overlap)."""
    order = ctx.order
    if not order.drug.dea_schedule:
        return []
    previous = ctx.previous
    if previous is None or previous.start is None or previous.days_supply is None:
        return []
    runs_out = previous.start + dt.timedelta(days=previous.days_supply)
    starts = order.start or ctx.on
    # A few days' grace is common pharmacy practice; more than that is an early refill.
    if (runs_out - starts).days <= 2:
        return []
    return [
        finding(
            "controlled-early-refill",
            Severity.MODERATE,
            [order.drug.name],
            message=f"The current {order.drug.name} supply lasts until {runs_out.isoformat()}; this starts {starts.isoformat()}.",
            mechanism="Overlapping controlled prescriptions can signal misuse or diversion, or a dosing error.",
            action="Check the state PDMP and the reason for the early request; set an earliest fill date.",
            source="brief",
        )
    ]


RULES = (refills, overlapping_controlled)
