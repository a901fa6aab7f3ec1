"""The waiting-room tablet: the clinician opens a single-use link for one patient, and the patient
fills the chosen scales on the tablet without signing in.

The kiosk pages are rendered without the request context: no user, membership, messages or
navigation can reach them, whoever is signed in on the browser. Opening a kiosk link signs that
browser out, so a tablet handed to a patient carries no clinician session.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dosewise.access import Need, get_patient
from dosewise.accounts import services as accounts
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership, Organization
from dosewise.domain.scales import Instrument, default_instruments
from dosewise.forms import apply_errors
from dosewise.portal import services
from dosewise.portal.models import KioskLink

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
CRISIS_TEXT = (
    "If you are thinking about suicide or are in crisis, call or text 988 (Suicide & Crisis "
    "Lifeline), or call 911 in an emergency. Please tell the front desk now."
)
UNAVAILABLE_TEXT = "This link has been used or has expired."


def _private(response: HttpResponse) -> HttpResponse:
    """Never cached (a shared tablet, a token in the URL), and the URL never sent elsewhere."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Clinician side: open a link --------------------------------------------------------------


class KioskLinkForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label="Scales for the patient to fill",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one scale for the patient to fill.",
            "invalid_choice": "%(value)s cannot be filled by the patient on a tablet.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instruments"].choices = [  # type: ignore[attr-defined]
            (instrument.id, f"{instrument.name} — {instrument.title}")
            for instrument in services.kiosk_instruments()
        ]


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def kiosk_link_new(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Choose the scales, then show the single-use link once (with "Open here")."""
    actor: Membership = request.membership  # type: ignore[attr-defined]
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    form = KioskLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            link, raw = services.create_kiosk_link(
                actor, patient, instruments=form.cleaned_data["instruments"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            registry = default_instruments()
            context = {
                "patient": patient,
                "link": link,
                "url": request.build_absolute_uri(reverse("portal:kiosk", args=[raw])),
                "instrument_names": [registry.get(name).name for name in link.instruments],
            }
            return _private(render(request, "portal/kiosk_link_created.html", context))
    return render(
        request,
        "portal/kiosk_link_form.html",
        {"patient": patient, "form": form},
        status=400 if form.errors else 200,
    )


# --- Patient side: the kiosk ------------------------------------------------------------------


class KioskForm(forms.Form):
    """One radio group per scored item of each scale of the link, in the patient's words."""

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = instruments
        for instrument in instruments:
            for item in instrument.scored_items:
                message = f"{instrument.name} question {item.number}: please choose an answer."
                self.fields[self.field_name(instrument, item.number)] = forms.TypedChoiceField(
                    label=item.text or item.label.capitalize(),
                    choices=[(option.value, option.label) for option in item.options],
                    coerce=int,
                    widget=forms.RadioSelect,
                    help_text=item.hint,
                    error_messages={"required": message, "invalid_choice": message},
                )

    @staticmethod
    def field_name(instrument: Instrument, number: int) -> str:
        return f"{instrument.id}-{number}"

    def sections(self) -> list[tuple[Instrument, list[tuple[Any, forms.BoundField]]]]:
        return [
            (
                instrument,
                [
                    (item, self[self.field_name(instrument, item.number)])
                    for item in instrument.scored_items
                ],
            )
            for instrument in self.instruments
        ]

    def answers(self) -> dict[str, list[int]]:
        return {
            instrument.id: [
                self.cleaned_data[self.field_name(instrument, item.number)]
                for item in instrument.scored_items
            ]
            for instrument in self.instruments
        }


def _kiosk_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    # Rendered without the request: nothing of a signed-in session (user, membership, messages)
    # is in the template's context.
    content = render_to_string(template, {"csrf_token": get_token(request), **context})
    return _private(HttpResponse(content, status=status))


def _unavailable(request: HttpRequest, exc: services.KioskLinkUnavailable) -> HttpResponse:
    # The same words for an unknown, used or expired link: only the status differs (a link that
    # never existed is 404, one that did is 410), so the page reveals nothing.
    demo = (
        exc.link.organization.is_demo
        if exc.link is not None
        else Organization.objects.filter(is_demo=True).exists()
    )
    return _kiosk_page(
        request,
        "portal/kiosk_unavailable.html",
        {"message": UNAVAILABLE_TEXT, "demo_data": demo},
        status=410 if exc.exists else 404,
    )


def _sign_out(request: HttpRequest) -> None:
    """A tablet handed to a patient must not carry a clinician's session."""
    if request.user.is_authenticated:
        accounts.record_logout(request.user)  # type: ignore[arg-type]
        logout(request)


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's form: first name, the scales' items and their copyright lines; nothing else."""
    _sign_out(request)
    try:
        link: KioskLink = services.open_kiosk_link(token, audit_open=request.method == "GET")
    except services.KioskLinkUnavailable as exc:
        return _unavailable(request, exc)
    registry = default_instruments()
    instruments = [registry.get(instrument_id) for instrument_id in link.instruments]
    form = KioskForm(request.POST if request.method == "POST" else None, instruments=instruments)
    context: dict[str, Any] = {
        "first_name": link.patient.given_name,
        "demo_data": link.organization.is_demo,
    }
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.submit_kiosk(token, answers=form.answers())
        except services.KioskLinkUnavailable as exc:
            return _unavailable(request, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            context.update(
                {
                    "show_crisis_resources": submission.show_crisis_resources,
                    "crisis_text": CRISIS_TEXT,
                }
            )
            return _kiosk_page(request, "portal/kiosk_thanks.html", context)
    context["form"] = form
    return _kiosk_page(
        request, "portal/kiosk_form.html", context, status=400 if form.errors else 200
    )
