"""iCalendar (.ics) feeds of a clinician's schedule and of a patient's appointments.

A feed is read by calendar apps without a login (the private token in its URL is the key), and
what it carries ends up on third-party servers and phone lock screens. So it carries no
diagnosis, drug, or reason for the visit, and as little identity as still makes it useful:
- a patient's feed: "Appointment with <clinician>", the time, and the video link;
- a clinician's feed: the kind of visit, in person or by video, and the patient's MRN (never
  the name): enough to tell visits apart and open the chart, meaningless outside the clinic.
See docs/scheduling.md.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from dosewise.audit.services import record
from dosewise.scheduling.models import Appointment, CalendarFeed

# How far a feed reaches: recent history (so a fulfilled visit does not vanish at once) and a
# year ahead.
PAST_DAYS = 60
FUTURE_DAYS = 366

_STATUS = {
    Appointment.Status.BOOKED: "CONFIRMED",
    Appointment.Status.ARRIVED: "CONFIRMED",
    Appointment.Status.FULFILLED: "CONFIRMED",
    # Kept in the feed as cancelled, so subscribed calendars remove the event.
    Appointment.Status.CANCELLED: "CANCELLED",
    Appointment.Status.NOSHOW: "CANCELLED",
}


def _appointments(feed: CalendarFeed, *, now: dt.datetime) -> list[Appointment]:
    found = Appointment.objects.filter(
        organization_id=feed.organization_id,
        starts_at__gte=now - dt.timedelta(days=PAST_DAYS),
        starts_at__lt=now + dt.timedelta(days=FUTURE_DAYS),
    ).select_related("patient", "clinician")
    if feed.kind == CalendarFeed.Kind.CLINICIAN:
        found = found.filter(clinician_id=feed.clinician_id)
    else:
        found = found.filter(patient=feed.patient)
    return list(found.order_by("starts_at", "id"))


def _clinician_event(item: Appointment) -> Event:
    event = Event()
    mode = "video" if item.mode == Appointment.Mode.TELEHEALTH else "in person"
    event.add("summary", f"{item.get_kind_display()} ({mode}) · MRN {item.patient.mrn}")
    link = settings.SITE_URL.rstrip("/") + reverse(
        "scheduling:appointment-detail", args=[item.uuid]
    )
    lines = [f"Open in Dosewise (sign-in needed): {link}"]
    if item.video_url:
        lines.append(f"Video link: {item.video_url}")
        event.add("location", item.video_url)
    event.add("description", "\n".join(lines))
    return event


def _patient_event(item: Appointment) -> Event:
    event = Event()
    event.add("summary", f"Appointment with {item.clinician}")
    if item.video_url:
        event.add("location", item.video_url)
        event.add("description", f"Video visit: join at {item.video_url}")
    else:
        event.add("description", "In-person visit.")
    return event


def render_feed(feed: CalendarFeed, *, now: dt.datetime | None = None) -> bytes:
    """The feed's calendar as iCalendar bytes (UTC times; one VEVENT per appointment)."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Dosewise//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add(
        "x-wr-calname",
        "My appointments" if feed.kind == CalendarFeed.Kind.PATIENT else "My Dosewise schedule",
    )
    for item in _appointments(feed, now=now):
        event = (
            _clinician_event(item)
            if feed.kind == CalendarFeed.Kind.CLINICIAN
            else _patient_event(item)
        )
        event.add("uid", f"{item.uuid}@dosewise")
        event.add("dtstamp", item.updated_at)
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
        event.add("status", _STATUS[Appointment.Status(item.status)])
        calendar.add_component(event)
    return calendar.to_ical()  # type: ignore[no-any-return]


def read_feed(raw_token: str) -> bytes | None:
    """The calendar of a usable feed (audited, last use noted), or None for an unknown or
    revoked token."""
    feed = CalendarFeed.objects.matching(raw_token)
    if feed is None:
        return None
    now = timezone.now()
    body = render_feed(feed, now=now)
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    record(
        "calendar-feed.read",
        actor=None,
        actor_label=f"calendar feed {feed.prefix}…",
        organization=feed.organization,
        patient=feed.patient,
        target=feed,
        detail={"kind": feed.kind},
    )
    return body
