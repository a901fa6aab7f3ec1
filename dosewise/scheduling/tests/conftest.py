"""Scheduling test setup: clinicians with weekday hours, and a bookable day in the future."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.scheduling import services
from dosewise.scheduling.forms import aware


def next_monday() -> dt.date:
    """A Monday at least a week ahead: always bookable, whatever day the tests run."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 + (7 - today.weekday()) % 7)


MONDAY = next_monday()


def at(hour: int, minute: int = 0, *, day: dt.date = MONDAY) -> dt.datetime:
    return aware(day, dt.time(hour, minute))


def give_hours(member: Membership) -> None:
    """Mon-Fri 9:00-12:00 and 13:00-17:00 (lunch 12-13)."""
    for weekday in range(5):
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))):
            services.add_availability(
                member, member.user, weekday=weekday, start_time=start, end_time=end
            )


@pytest.fixture
def hours(prescriber: Membership, nurse: Membership, colleague: Membership) -> None:
    for member in (prescriber, nurse, colleague):
        give_hours(member)
