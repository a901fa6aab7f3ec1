"""Reminder pages: the staff's Reminders list (with Retry) and a patient's contact
preferences. Thin: parse, resolve access, call one service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.forms import apply_errors
from dosewise.notifications import services
from dosewise.notifications.forms import ContactPreferenceForm
from dosewise.notifications.models import ContactPreference, Reminder
from dosewise.patients.models import Patient


def _initial(preference: ContactPreference | None) -> dict[str, Any]:
    if preference is None:
        return {"preferred_channel": "email"}
    initial: dict[str, Any] = {
        name: getattr(preference, name) for name in services.PREFERENCE_FIELDS
    }
    initial["reminders_consent"] = "yes" if preference.reminders_consent else "no"
    if preference.consent_recorded_at is None:
        del initial["reminders_consent"]
    return initial


def _quiet_hours_default() -> str:
    quiet = settings.REMINDER_QUIET_HOURS
    return f"{quiet[0]:%H:%M}–{quiet[1]:%H:%M}" if quiet else "none"


@member_required(*services.PREFERENCE_ROLES)
@require_http_methods(["GET", "POST"])
def contact_preferences(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Whether the patient agrees to reminders, which channels, quiet hours; and the
    patient's latest reminders."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.EDIT_DEMOGRAPHICS)
    status = 200
    if request.method == "POST":
        form = ContactPreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.set_contact_preference(actor, patient, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Contact preferences saved.")
                return redirect("notifications:contact-preferences", patient.uuid)
        status = 400
        preference = services.read_contact_preference(actor, patient)
    else:
        preference = services.read_contact_preference(actor, patient)
        form = ContactPreferenceForm(initial=_initial(preference))
    return render(
        request,
        "notifications/contact_preferences.html",
        _context(patient, preference, form),
        status=status,
    )


def _context(
    patient: Patient, preference: ContactPreference | None, form: ContactPreferenceForm
) -> dict[str, Any]:
    return {
        "patient": patient,
        "preference": preference,
        "form": form,
        "reminders": services.patient_reminders(patient),
        "quiet_hours_default": _quiet_hours_default(),
    }


@member_required(*services.REMINDER_ROLES)
@require_GET
def reminder_list(request: HttpRequest) -> HttpResponse:
    """The organization's reminders: failed ones on top with their error and a Retry button,
    then the latest, with skipped ones' reasons. ?status=pending|sending|sent|failed|skipped."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    errors: dict[str, list[str]] = {}
    rows: list[Reminder] = []
    try:
        rows = services.reminder_list(actor, status=status)
    except ValidationError as exc:
        errors = exc.message_dict
    context = {
        "rows": rows,
        "status": status,
        "statuses": Reminder.Status.choices,
        "errors": errors,
        "recent_limit": services.RECENT_LIMIT,
    }
    return render(
        request, "notifications/reminder_list.html", context, status=400 if errors else 200
    )


@member_required(*services.REMINDER_ROLES)
@require_POST
def reminder_retry(request: HttpRequest, reminder_uuid: str) -> HttpResponse:
    """Send a failed or skipped reminder again (the worker picks it up on its next round)."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    reminder = services.get_reminder(actor, reminder_uuid)
    try:
        services.retry_reminder(actor, reminder)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Reminder for {reminder.patient.full_name} queued to be sent again."
        )
    return redirect("notifications:reminder-list")
