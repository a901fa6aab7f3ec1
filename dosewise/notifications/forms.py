"""The contact-preferences form: shape only; the rules are in `services.set_contact_preference`."""

from __future__ import annotations

from django import forms

from dosewise.notifications.models import Channel

CONSENT_CHOICES = [("yes", "Yes, the patient agrees to reminders"), ("no", "No")]


def _is_yes(value: str) -> bool:
    return value == "yes"


class ContactPreferenceForm(forms.Form):
    """Whether the patient agrees to reminders, and how to reach them."""

    reminders_consent = forms.TypedChoiceField(
        label="Agrees to reminders",
        choices=CONSENT_CHOICES,
        coerce=_is_yes,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the patient agrees to reminders."},
        help_text="Appointment, blood test and questionnaire reminders. Ask the patient; "
        "your name and the date are recorded with the answer.",
    )
    email_allowed = forms.BooleanField(label="Email allowed", required=False)
    sms_allowed = forms.BooleanField(label="Text messages allowed", required=False)
    preferred_channel = forms.ChoiceField(
        label="Preferred channel",
        choices=Channel.choices,
        error_messages={"invalid_choice": "Choose email or text message."},
    )
    quiet_hours_start = forms.TimeField(
        label="Quiet hours from",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Give a time of day, HH:MM."},
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet hours until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Give a time of day, HH:MM."},
        help_text="Nothing is sent in between. Leave both empty for the clinic's hours.",
    )
