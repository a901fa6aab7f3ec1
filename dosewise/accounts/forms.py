from __future__ import annotations

from django import forms

from dosewise.accounts.models import Membership
from dosewise.domain.identifiers import DEA_SCHEDULES


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class OrganizationChoiceForm(forms.Form):
    organization = forms.UUIDField(widget=forms.HiddenInput)


class CredentialsForm(forms.Form):
    """Role and the prescriber credentials that go with it."""

    role = forms.ChoiceField(choices=Membership.Role.choices)
    credential = forms.ChoiceField(
        choices=[("", "—"), *Membership.Credential.choices],
        required=False,
        help_text="Prescribers only.",
    )
    npi = forms.CharField(label="NPI", max_length=10, required=False)
    dea_number = forms.CharField(label="DEA registration number", max_length=9, required=False)
    dea_schedules = forms.MultipleChoiceField(
        label="DEA schedules covered",
        choices=[(s, f"Schedule {s}") for s in DEA_SCHEDULES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    state_license = forms.CharField(
        max_length=40, required=False, help_text="State and number, e.g. NY 123456."
    )


class InviteForm(CredentialsForm):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)

    field_order = [
        "email",
        "first_name",
        "last_name",
        "role",
        "credential",
        "npi",
        "dea_number",
        "dea_schedules",
        "state_license",
    ]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What uses this token, e.g. 'nightly export script'."
    )
