"""Forms of the scheduling pages: they check shape only; the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.scheduling.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    SLOT_MINUTES,
    Appointment,
    Availability,
)

DURATION_CHOICES = [
    (minutes, f"{minutes} minutes")
    for minutes in range(MIN_DURATION_MINUTES, MAX_DURATION_MINUTES + 1, SLOT_MINUTES)
]


def aware(day: dt.date, at: dt.time) -> dt.datetime:
    """A clinic-local date and time as an aware datetime."""
    return dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


class _When(forms.Form):
    day = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the date.", "invalid": "Write the date as YYYY-MM-DD."},
    )
    time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time", "step": SLOT_MINUTES * 60}),
        error_messages={
            "required": "Choose the start time.",
            "invalid": "Write the time as HH:MM.",
        },
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration",
        coerce=int,
        choices=DURATION_CHOICES,
        initial=30,
        error_messages={"required": "Choose the duration."},
    )

    def starts_at(self) -> dt.datetime:
        return aware(self.cleaned_data["day"], self.cleaned_data["time"])


class BookForm(_When):
    """Book an appointment for one patient."""

    clinician = forms.ChoiceField(
        label="Clinician",
        choices=(),
        error_messages={
            "required": "Choose the clinician.",
            "invalid_choice": "Choose a clinician from the list.",
        },
    )
    kind = forms.ChoiceField(label="Kind of visit", choices=Appointment.Kind.choices)
    mode = forms.ChoiceField(
        label="Mode", choices=Appointment.Mode.choices, widget=forms.RadioSelect
    )
    video_url = forms.CharField(
        label="Video link",
        required=False,
        max_length=500,
        help_text="Telehealth only: the https:// link the patient will join.",
        widget=forms.URLInput(),
    )

    field_order = ["clinician", "kind", "mode", "day", "time", "duration_minutes", "video_url"]

    def __init__(self, *args: Any, clinicians: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[
                (str(member.user.uuid), f"{member.user} ({member.get_role_display()})")
                for member in clinicians
            ],
        ]


class RescheduleForm(_When):
    """Move an appointment to another time."""


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Appointment.Status.choices)
    reason = forms.CharField(label="Reason", required=False, max_length=300)


class ConsentForm(forms.Form):
    given_on = forms.DateField(
        label="Consent given on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the date.", "invalid": "Write the date as YYYY-MM-DD."},
    )


class AvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Day", coerce=int, choices=Availability.Weekday.choices)
    start_time = forms.TimeField(
        label="From",
        widget=forms.TimeInput(attrs={"type": "time", "step": SLOT_MINUTES * 60}),
        error_messages={"invalid": "Write the time as HH:MM."},
    )
    end_time = forms.TimeField(
        label="To",
        widget=forms.TimeInput(attrs={"type": "time", "step": SLOT_MINUTES * 60}),
        error_messages={"invalid": "Write the time as HH:MM."},
    )


class TimeOffForm(forms.Form):
    start_day = forms.DateField(label="From (date)", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="From (time)", initial=dt.time(0), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_day = forms.DateField(label="To (date)", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(
        label="To (time)", initial=dt.time(23, 59), widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(label="Reason", required=False, max_length=200)

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        return aware(data["start_day"], data["start_time"]), aware(
            data["end_day"], data["end_time"]
        )
