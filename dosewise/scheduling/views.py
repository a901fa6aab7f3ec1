"""Scheduling pages: the day and week calendar, booking, an appointment's page (status,
reschedule, cancel), a patient's appointments (with telehealth consent and calendar feed),
clinicians' hours and time off, the follow-ups list and the token-protected .ics feeds.

Thin: parse, resolve access, call one service or reader, render. Scheduling is
demographics-level: front desk, nurses, prescribers and clinic admins all use it; only the
follow-ups (which name drug classes) are for prescribers and nurses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, visible_patients
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership, User
from dosewise.audit.services import record
from dosewise.forms import apply_errors
from dosewise.htmx import render_page
from dosewise.patients.models import Patient
from dosewise.scheduling import calendar, feeds, services
from dosewise.scheduling.access import get_appointment, read_appointment
from dosewise.scheduling.followups import follow_ups_for, sort_for_worklist
from dosewise.scheduling.forms import (
    AvailabilityForm,
    BookForm,
    ConsentForm,
    RescheduleForm,
    TimeOffForm,
)
from dosewise.scheduling.models import Appointment, Availability, CalendarFeed, TimeOff

ROLES = services.SCHEDULING_ROLES
CLINICAL_ROLES = services.CLINICIAN_ROLES


def _actor(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined, no-any-return]


def _parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _apply(form: Any, exc: ValidationError, rename: dict[str, str]) -> None:
    """Show a service's errors beside the form fields that carry them."""
    if hasattr(exc, "error_dict"):
        exc = ValidationError(
            {rename.get(field, field): errors for field, errors in exc.error_dict.items()}
        )
    apply_errors(form, exc)


# --- calendar ----------------------------------------------------------------------------


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@member_required(*ROLES)
@require_GET
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The day or week calendar of one clinician or of every clinician of the organization:
    availability shaded, time off, appointments (patient, kind, mode, status).
    ?view=day|week&day=YYYY-MM-DD&clinician=<user uuid>."""
    actor = _actor(request)
    today = timezone.localdate()
    view = request.GET.get("view", "day")
    if view not in ("day", "week"):
        view = "day"
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or today.isoformat())
    except ValueError:
        day = today
    team = services.clinicians(actor.organization_id)
    chosen_uuid = request.GET.get("clinician", "")
    chosen = next((m for m in team if str(m.user.uuid) == chosen_uuid), None)
    shown = [chosen.user] if chosen else [member.user for member in team]
    if view == "day":
        columns = [
            calendar.Column(day=day, clinicians=[user], label=str(user)) for user in shown
        ] or [calendar.Column(day=day, clinicians=[], label="No clinicians")]
        previous, following = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    else:
        start = _monday(day)
        columns = [
            calendar.Column(
                day=start + dt.timedelta(days=offset),
                clinicians=shown,
                label=f"{start + dt.timedelta(days=offset):%a %d %b}",
            )
            for offset in range(7)
        ]
        previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    grid = calendar.build_grid(actor.organization, columns)
    record(
        "calendar.read",
        actor=actor.user,
        organization=actor.organization,
        detail={
            "view": view,
            "day": day.isoformat(),
            "clinician": chosen_uuid if chosen else "",
            "count": len(grid.appointments),
        },
    )
    context = {
        "grid": grid,
        "view": view,
        "day": day,
        "today": today,
        "team": team,
        "chosen": chosen,
        "previous": previous,
        "following": following,
        "single": view == "day" or chosen is not None,
    }
    return render_page(request, "scheduling/calendar.html", context, partial="grid")


# --- booking and an appointment ----------------------------------------------------------


def _book_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"mode": Appointment.Mode.IN_PERSON, "duration_minutes": 30}
    for key in ("clinician", "day", "time", "kind", "mode"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    return initial


@member_required(*ROLES)
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Book an appointment for a patient (works without JavaScript; HTMX re-renders the form)."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    team = services.clinicians(actor.organization_id)
    status = 200
    if request.method == "POST":
        form = BookForm(request.POST, clinicians=team)
        if form.is_valid():
            clinician = next(
                (m.user for m in team if str(m.user.uuid) == form.cleaned_data["clinician"]), None
            )
            try:
                appointment = services.book_appointment(
                    actor,
                    patient,
                    clinician=clinician,
                    kind=form.cleaned_data["kind"],
                    mode=form.cleaned_data["mode"],
                    starts_at=form.starts_at(),
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    video_url=form.cleaned_data["video_url"],
                )
            except ValidationError as exc:
                _apply(form, exc, {"starts_at": "time"})
            else:
                messages.success(
                    request,
                    f"Booked {patient.full_name} with {appointment.clinician} on "
                    f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M}.",
                )
                url = reverse("scheduling:appointment-detail", args=[appointment.uuid])
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
        # htmx 2 swaps no 4xx response (its default responseHandling): the form with its
        # errors goes back to HTMX as 200, or Book would seem to do nothing. Without
        # JavaScript the page is a 400.
        status = 200 if getattr(request, "htmx", False) else 400
    else:
        form = BookForm(initial=_book_initial(request), clinicians=team)
    context = {
        "patient": patient,
        "form": form,
        "consent": services.current_consent(patient),
        "before": request.GET.get("before", ""),
    }
    return render_page(
        request, "scheduling/appointment_form.html", context, partial="form", status=status
    )


def _detail_context(actor: Membership, appointment: Appointment, **forms: Any) -> dict[str, Any]:
    allowed = services.TRANSITIONS[appointment.status]
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "reschedule_form": forms.get("reschedule_form")
        or RescheduleForm(
            initial={
                "day": timezone.localtime(appointment.starts_at).date(),
                "time": timezone.localtime(appointment.starts_at).time(),
                "duration_minutes": appointment.duration_minutes,
            }
        ),
        "status_errors": forms.get("status_errors", []),
        "can_arrive": Appointment.Status.ARRIVED in allowed,
        "can_fulfil": Appointment.Status.FULFILLED in allowed,
        "can_noshow": Appointment.Status.NOSHOW in allowed,
        "can_cancel": Appointment.Status.CANCELLED in allowed,
        "can_move": appointment.status == Appointment.Status.BOOKED,
    }


@member_required(*ROLES)
@require_GET
def appointment_detail(request: HttpRequest, appointment_uuid: str) -> HttpResponse:
    """One appointment: when, with whom, how; buttons for its next status; reschedule."""
    actor = _actor(request)
    appointment = get_appointment(actor, appointment_uuid)
    read_appointment(actor, appointment)
    return render(
        request, "scheduling/appointment_detail.html", _detail_context(actor, appointment)
    )


@member_required(*ROLES)
@require_POST
def appointment_status(request: HttpRequest, appointment_uuid: str) -> HttpResponse:
    """Mark arrived, fulfilled, no-show, or cancelled (with a reason)."""
    actor = _actor(request)
    appointment = get_appointment(actor, appointment_uuid)
    try:
        changed = services.change_status(
            actor,
            appointment,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        context = _detail_context(actor, appointment, status_errors=exc.messages)
        return render(request, "scheduling/appointment_detail.html", context, status=400)
    messages.success(request, f"Appointment marked {changed.get_status_display().lower()}.")
    return redirect("scheduling:appointment-detail", changed.uuid)


@member_required(*ROLES)
@require_POST
def appointment_reschedule(request: HttpRequest, appointment_uuid: str) -> HttpResponse:
    """Move a booked appointment (every booking check runs again)."""
    actor = _actor(request)
    appointment = get_appointment(actor, appointment_uuid)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            moved = services.reschedule_appointment(
                actor,
                appointment,
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
            )
        except ValidationError as exc:
            _apply(form, exc, {"starts_at": "time"})
        else:
            messages.success(
                request, f"Moved to {timezone.localtime(moved.starts_at):%Y-%m-%d %H:%M}."
            )
            return redirect("scheduling:appointment-detail", moved.uuid)
    context = _detail_context(actor, appointment, reschedule_form=form)
    return render(request, "scheduling/appointment_detail.html", context, status=400)


# --- a patient's appointments ------------------------------------------------------------


def _patient_context(actor: Membership, patient: Patient, **extra: Any) -> dict[str, Any]:
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("clinician")
        .order_by("-starts_at", "-id")
    )
    now = timezone.now()
    today = timezone.localdate()
    record(
        "appointment.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(appointments)},
    )
    return {
        "patient": patient,
        "upcoming": sorted(
            (item for item in appointments if item.starts_at >= now), key=lambda a: a.starts_at
        ),
        "past": [item for item in appointments if item.starts_at < now],
        "consent": services.current_consent(patient),
        "consent_form": extra.get("consent_form") or ConsentForm(initial={"given_on": today}),
        "feeds": CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True),
        "new_feed_url": extra.get("new_feed_url"),
        "follow_ups": follow_ups_for([patient.pk], today=today)[patient.pk]
        if actor.is_clinical
        else None,
        "today": today,
    }


@member_required(*ROLES)
@require_GET
def patient_appointments(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """A patient's appointments (upcoming and past), telehealth consent and calendar feed;
    clinicians also see the follow-ups due. The chart and the front-desk page load the
    `card` partial (HTMX) or link here."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    context = _patient_context(actor, patient)
    return render_page(request, "scheduling/patient_appointments.html", context, partial="card")


@member_required(*ROLES)
@require_POST
def telehealth_consent(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Record (action=record) or withdraw (action=withdraw) the patient's telehealth consent."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    if request.POST.get("action") == "withdraw":
        try:
            services.withdraw_telehealth_consent(actor, patient)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Telehealth consent withdrawn.")
        return redirect("scheduling:patient-appointments", patient.uuid)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_telehealth_consent(
                actor, patient, given_on=form.cleaned_data["given_on"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Telehealth consent recorded.")
            return redirect("scheduling:patient-appointments", patient.uuid)
    context = _patient_context(actor, patient, consent_form=form)
    return render(request, "scheduling/patient_appointments.html", context, status=400)


def _feed_url(request: HttpRequest, raw: str) -> str:
    return request.build_absolute_uri(reverse("scheduling:feed", args=[raw]))


@member_required(*ROLES)
@require_POST
def patient_feed_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Create a private calendar feed of the patient's appointments; its URL is shown once."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.DEMOGRAPHICS)
    _feed, raw = services.create_patient_feed(actor, patient)
    context = _patient_context(actor, patient, new_feed_url=_feed_url(request, raw))
    return render(request, "scheduling/patient_appointments.html", context)


@member_required(*ROLES)
@require_POST
def feed_revoke(request: HttpRequest, feed_uuid: str) -> HttpResponse:
    """Revoke a calendar feed: its URL answers 404 from now on."""
    actor = _actor(request)
    parsed = _parse_uuid(feed_uuid)
    feed = (
        CalendarFeed.objects.select_related("patient", "clinician")
        .filter(uuid=parsed, organization=actor.organization)
        .first()
        if parsed
        else None
    )
    if feed is None:
        raise Http404("No such feed.")
    services.revoke_calendar_feed(actor, feed)
    messages.success(request, "Calendar feed revoked.")
    if feed.patient is not None:
        return redirect("scheduling:patient-appointments", feed.patient.uuid)
    return redirect("scheduling:hours", feed.clinician.uuid)  # type: ignore[union-attr]


# --- clinicians' hours, time off and own feed --------------------------------------------


def _clinician_or_404(actor: Membership, user_uuid: str) -> Membership:
    member = services.clinician_membership(actor.organization_id, _parse_uuid(user_uuid))
    if member is None:
        raise Http404("No such clinician.")
    return member


def _hours_context(actor: Membership, member: Membership, **extra: Any) -> dict[str, Any]:
    clinician = member.user
    own = clinician.pk == actor.user_id
    return {
        "member": member,
        "clinician": clinician,
        "own": own,
        "may_edit": services.may_edit_hours(actor, clinician),
        "availability": Availability.objects.filter(clinician=clinician),
        "time_off": TimeOff.objects.filter(
            clinician=clinician, ends_at__gte=timezone.now() - dt.timedelta(days=30)
        ),
        "availability_form": extra.get("availability_form") or AvailabilityForm(),
        "time_off_form": extra.get("time_off_form") or TimeOffForm(),
        "feeds": CalendarFeed.objects.filter(clinician=clinician, revoked_at__isnull=True)
        if own
        else [],
        "new_feed_url": extra.get("new_feed_url"),
    }


@member_required(*ROLES)
@require_GET
def my_hours(request: HttpRequest) -> HttpResponse:
    """A clinician's own hours page; others choose a clinician."""
    actor = _actor(request)
    if actor.role in CLINICAL_ROLES:
        return redirect("scheduling:hours", actor.user.uuid)
    team = services.clinicians(actor.organization_id)
    return render(request, "scheduling/clinician_list.html", {"team": team})


@member_required(*ROLES)
@require_http_methods(["GET", "POST"])
def hours(request: HttpRequest, user_uuid: str) -> HttpResponse:
    """A clinician's weekly hours and time off (edited by them or a clinic admin), and, on
    their own page, their private calendar feed. POST action=availability|time-off|feed."""
    actor = _actor(request)
    member = _clinician_or_404(actor, user_uuid)
    clinician: User = member.user
    if request.method == "GET":
        return render(request, "scheduling/hours.html", _hours_context(actor, member))
    action = request.POST.get("action")
    if action == "feed":
        if clinician.pk != actor.user_id:
            raise Http404("No such feed.")
        _feed, raw = services.create_clinician_feed(actor)
        context = _hours_context(actor, member, new_feed_url=_feed_url(request, raw))
        return render(request, "scheduling/hours.html", context)
    if action == "availability":
        form = AvailabilityForm(request.POST)
        if form.is_valid():
            try:
                services.add_availability(actor, clinician, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Hours added.")
                return redirect("scheduling:hours", clinician.uuid)
        context = _hours_context(actor, member, availability_form=form)
        return render(request, "scheduling/hours.html", context, status=400)
    if action == "time-off":
        time_off_form = TimeOffForm(request.POST)
        if time_off_form.is_valid():
            starts_at, ends_at = time_off_form.period()
            try:
                services.add_time_off(
                    actor,
                    clinician,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=time_off_form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                _apply(time_off_form, exc, {"starts_at": "start_day", "ends_at": "end_day"})
            else:
                messages.success(request, "Time off added.")
                return redirect("scheduling:hours", clinician.uuid)
        context = _hours_context(actor, member, time_off_form=time_off_form)
        return render(request, "scheduling/hours.html", context, status=400)
    raise Http404("No such action.")


@member_required(*ROLES)
@require_POST
def availability_remove(request: HttpRequest, availability_uuid: str) -> HttpResponse:
    actor = _actor(request)
    row = get_object_or_404(
        Availability.objects.select_related("clinician"),
        uuid=_parse_uuid(availability_uuid),
        organization=actor.organization,
    )
    services.remove_availability(actor, row)
    messages.success(request, "Hours removed.")
    return redirect("scheduling:hours", row.clinician.uuid)


@member_required(*ROLES)
@require_POST
def time_off_remove(request: HttpRequest, time_off_uuid: str) -> HttpResponse:
    actor = _actor(request)
    row = get_object_or_404(
        TimeOff.objects.select_related("clinician"),
        uuid=_parse_uuid(time_off_uuid),
        organization=actor.organization,
    )
    services.remove_time_off(actor, row)
    messages.success(request, "Time off removed.")
    return redirect("scheduling:hours", row.clinician.uuid)


# --- follow-ups --------------------------------------------------------------------------


@member_required(*ROLES)
@require_GET
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """The organization's outstanding follow-up visits, overdue first. Front desk and admins,
    who book them, see who and by when but not why: the reason names drug classes and alerts."""
    actor = _actor(request)
    today = timezone.localdate()
    ids = list(visible_patients(actor).values_list("pk", flat=True))
    rows = sort_for_worklist(
        [row for found in follow_ups_for(ids, today=today).values() for row in found]
    )
    if request.GET.get("status") in ("overdue", "due", "booked"):
        rows = [row for row in rows if row.status == request.GET["status"]]
    record(
        "follow-ups.read",
        actor=actor.user,
        organization=actor.organization,
        detail={"count": len(rows)},
    )
    context = {"rows": rows, "today": today, "show_reasons": actor.is_clinical}
    return render(request, "scheduling/follow_up_list.html", context)


# --- the feeds themselves ----------------------------------------------------------------


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A calendar feed, read by calendar apps without a login; 404 for an unknown or revoked
    token (audited either way)."""
    body = feeds.read_feed(token)
    if body is None:
        record(
            "access.denied",
            actor=None,
            detail={"what": "calendar-feed", "id": token[:10]},
        )
        raise Http404("No such calendar.")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
