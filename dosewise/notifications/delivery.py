"""Delivery: claim a due reminder, check it may still go out, send it, record the outcome.

Checked at send time, not at planning, so that the decision uses the facts of that moment:
the visit is still booked at that time / the test or questionnaire is still due
(`planning.still_due`); the patient agreed to reminders (`ContactPreference`); a channel is
allowed and has an address; it is not the patient's quiet hours.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from dosewise.notifications import planning, transitions
from dosewise.notifications.models import Channel, ContactPreference, Reminder
from dosewise.notifications.sms import SmsError, send_sms
from dosewise.notifications.timing import QuietHours, end_of_quiet_hours, in_quiet_hours
from dosewise.patients.models import Patient

log = logging.getLogger(__name__)

NO_CONSENT = "no reminder consent recorded"
DECLINED = "patient declined reminders"
NO_CHANNEL = "no channel allowed (email and text messages both off)"


def new_worker_id() -> str:
    """host:pid:random, so claims say which process holds them."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Route:
    channel: str
    recipient: str


def choose_route(preference: ContactPreference, patient: Patient) -> Route | str:
    """The preferred channel if it is allowed and has an address, else the other allowed one;
    or why there is none."""
    addresses = {Channel.EMAIL: patient.email.strip(), Channel.SMS: patient.phone.strip()}
    allowed = {Channel.EMAIL: preference.email_allowed, Channel.SMS: preference.sms_allowed}
    if not any(allowed.values()):
        return NO_CHANNEL
    order = [Channel(preference.preferred_channel)]
    order += [channel for channel in Channel if channel not in order]
    for channel in order:
        if allowed[channel] and addresses[channel]:
            return Route(channel.value, addresses[channel])
    missing = [
        "no email address on file" if channel == Channel.EMAIL else "no phone number on file"
        for channel in order
        if allowed[channel]
    ]
    return "; ".join(missing)


def quiet_hours_of(preference: ContactPreference) -> QuietHours | None:
    if preference.quiet_hours_start is not None and preference.quiet_hours_end is not None:
        return (preference.quiet_hours_start, preference.quiet_hours_end)
    quiet: QuietHours | None = settings.REMINDER_QUIET_HOURS
    return quiet


def consent_problem(preference: ContactPreference | None) -> str:
    if preference is None or preference.consent_recorded_at is None:
        return NO_CONSENT
    if not preference.reminders_consent:
        return DECLINED
    return ""


def _send(route: Route, reminder: Reminder) -> None:
    if route.channel == Channel.EMAIL:
        EmailMessage(
            reminder.subject, reminder.body, settings.DEFAULT_FROM_EMAIL, [route.recipient]
        ).send()
    else:
        send_sms(route.recipient, reminder.body)


def deliver(reminder: Reminder, worker_id: str, *, now: dt.datetime) -> str:
    """Take a claimed reminder to its next state; returns what happened ("sent", "skipped",
    "postponed", "pending" (to be retried), "failed", or "" when the claim was lost)."""
    if reminder.attempts > settings.REMINDER_MAX_ATTEMPTS:
        # Claimed again after its worker died while sending, with no attempts left.
        return transitions.fail(
            reminder,
            worker_id,
            error="The worker stopped while sending; not tried again.",
            now=now,
        )
    preference = ContactPreference.objects.filter(patient_id=reminder.patient_id).first()
    reason = planning.still_due(reminder, now=now) or consent_problem(preference)
    if reason or preference is None:
        skipped = transitions.skip(
            reminder, reason=reason or NO_CONSENT, now=now, worker_id=worker_id
        )
        return "skipped" if skipped else ""
    route = choose_route(preference, reminder.patient)
    if isinstance(route, str):
        skipped = transitions.skip(reminder, reason=route, now=now, worker_id=worker_id)
        return "skipped" if skipped else ""
    quiet = quiet_hours_of(preference)
    tz = planning.clinic_tz()
    if quiet is not None and in_quiet_hours(now, quiet, tz):
        until = end_of_quiet_hours(now, quiet, tz)
        return (
            "postponed" if transitions.postpone(reminder, worker_id, until=until, now=now) else ""
        )
    if not transitions.still_held(reminder, worker_id, now=now):
        return ""
    try:
        _send(route, reminder)
    except (OSError, SmsError, ValueError) as exc:
        # OSError covers smtplib's errors and network failures; ValueError a malformed address.
        log.warning("Reminder %s: sending failed: %s", reminder.uuid, exc)
        return transitions.fail(
            reminder,
            worker_id,
            error=f"{type(exc).__name__}: {exc}",
            now=now,
            channel=route.channel,
            recipient=route.recipient,
        )
    sent = transitions.mark_sent(
        reminder, worker_id, channel=route.channel, recipient=route.recipient, now=now
    )
    if sent and reminder.kind != Reminder.Kind.APPOINTMENT:
        cover_siblings(reminder, now=now)
    return "sent" if sent else ""


def cover_siblings(reminder: Reminder, *, now: dt.datetime) -> int:
    """Skip the other reminders of the same kind due now for the same patient: one message
    ("a short questionnaire") already says it; two would say the same thing twice."""
    skipped = 0
    siblings = (
        Reminder.objects.filter(
            patient_id=reminder.patient_id, kind=reminder.kind, status=Reminder.Status.PENDING
        )
        .claimable(now)
        .exclude(pk=reminder.pk)
        .select_related("organization", "patient")
    )
    for sibling in siblings:
        if transitions.skip(
            sibling,
            reason=f"said by the reminder sent at {timezone.localtime(now):%Y-%m-%d %H:%M}",
            now=now,
            only_if=Reminder.Status.PENDING,
        ):
            skipped += 1
    return skipped


@dataclass
class Round:
    """What one round of the worker did."""

    planned: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome or "claim lost"] = self.outcomes.get(outcome or "claim lost", 0) + 1


def deliver_due(worker_id: str, *, now: dt.datetime | None = None, limit: int = 500) -> Round:
    """Claim and deliver due reminders one by one until none is left (or `limit`)."""
    result = Round()
    for _ in range(limit):
        moment = now or timezone.now()
        reminder = transitions.claim(worker_id, now=moment)
        if reminder is None:
            break
        result.count(deliver(reminder, worker_id, now=moment))
    return result


def run_round(
    worker_id: str, *, now: dt.datetime | None = None, limit: int = 500, dated: bool = True
) -> Round:
    """One round of the worker: plan (`dated`: every source; else appointments only), then
    deliver what is due."""
    planned = planning.plan_all(now=now, dated=dated)
    result = deliver_due(worker_id, now=now, limit=limit)
    result.planned = planned
    return result
