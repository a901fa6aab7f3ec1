"""Prescribing pages: an order checked for safety before it is signed, the prescription with its
history, and each change to it (dose, switch, hold, resume, discontinue, renew, entered in error).

Views parse, resolve access through `dosewise.access`, call one service and render; every rule
is the services'. Status codes: 400 for bad input (errors beside the fields), 409 when signing
needs the prescriber's answer to safety findings or the medication list changed meanwhile (the
page comes back with what is needed, ready to submit again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dosewise.access import Need, get_patient, get_patient_record, is_on_care_team
from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Drug
from dosewise.domain.sig import SigError, in_words
from dosewise.forms import apply_errors
from dosewise.htmx import render_page
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.forms import (
    ChangeDoseForm,
    EnteredInErrorForm,
    FindingRow,
    OrderForm,
    OutsideMedicationForm,
    PrescriptionForm,
    ReasonedChangeForm,
    RenewForm,
    ResumeForm,
    SafetyReviewForm,
    SwitchForm,
    dose_initial,
    find_drug,
    finding_rows,
    order_initial,
    plain,
    renamed,
    safety_decision,
)
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.services import EditConflict, SafetyBlock, SafetyDecision

PRESCRIBER = Membership.Role.PRESCRIBER
CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)
ORDER_TEMPLATE = "prescribing/prescription_form.html"
ACTION_TEMPLATE = "prescribing/prescription_action_form.html"


def _actor(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _prescription(actor: Membership, prescription_uuid: object, need: Need) -> Prescription:
    return get_patient_record(actor, Prescription, prescription_uuid, need)


@dataclass
class Attempt:
    """What became of one write: the prescription, or the reason it was not written."""

    prescription: Prescription | None = None
    block: SafetyBlock | None = None
    conflict: EditConflict | None = None

    def status(self, form: forms.BaseForm) -> int:
        if self.block is not None or self.conflict is not None:
            return 409
        return 400 if form.errors else 200


def _attempt(form: forms.BaseForm, write: Callable[[], Prescription]) -> Attempt:
    try:
        return Attempt(prescription=write())
    except ValidationError as exc:
        apply_errors(form, renamed(exc))
    except SafetyBlock as exc:
        return Attempt(block=exc)
    except EditConflict as exc:
        return Attempt(conflict=exc)
    return Attempt()


def _at_current_version(data: QueryDict, conflict: EditConflict) -> QueryDict:
    """The submitted data carrying the version the list is at now, to submit again once read."""
    fresh = data.copy()
    fresh["expected_regimen_version"] = str(conflict.current)
    return fresh


def _safety(attempt: Attempt, data: QueryDict) -> SafetyReviewForm | None:
    return SafetyReviewForm(attempt.block.findings, data) if attempt.block else None


# --- Ordering: new prescription, dose change, switch -----------------------------------------

FORM_BY_MODE: dict[str, type[OrderForm]] = {
    "new": PrescriptionForm,
    "change-dose": ChangeDoseForm,
    "switch": SwitchForm,
}
TITLES = {
    "new": ("New prescription", "Sign prescription"),
    "change-dose": ("Change dose", "Sign dose change"),
    "switch": ("Switch to another drug", "Sign switch"),
}

Sign = Callable[[Membership, OrderForm, SafetyDecision], Prescription]


@dataclass
class Review:
    """The computed order and its findings, shown before signing."""

    checked: bool = False
    sig: str = ""
    quantity_text: str = ""
    quantity_words: str = ""
    days_supply: int | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    rows: list[FindingRow] = field(default_factory=list)


def _quantity_words(quantity: Decimal | None) -> str:
    if quantity is None:
        return ""
    try:
        return in_words(quantity)
    except SigError:
        return ""


def _label(form: forms.BaseForm, name: str) -> str:
    if name in form.fields and form.fields[name].label:
        return str(form.fields[name].label)
    return name.replace("_", " ").capitalize()


def _review(
    actor: Membership,
    patient: Patient,
    form: OrderForm,
    *,
    mode: str,
    prescription: Prescription | None,
) -> Review:
    """What signing would write and what the safety engine says, without writing anything."""
    order = form.order()
    review = Review(checked=True)
    drug: Drug = form.chosen_drug  # type: ignore[assignment]  # a valid form has a known drug
    try:
        # The service's own derivation, so the figures shown are the figures signed.
        derived = services.validate_order(actor, patient, order, drug, today=timezone.localdate())
    except ValidationError as exc:
        review.problems = [
            (_label(form, name), message)
            for name, problems in renamed(exc).message_dict.items()
            for message in problems
        ]
    else:
        review.sig = derived.sig
        review.quantity_text = plain(derived.quantity)
        review.quantity_words = _quantity_words(derived.quantity)
        review.days_supply = derived.days_supply
    findings = services.review(
        actor,
        patient,
        order,
        replacing=prescription if mode == "change-dose" else None,
        ending=prescription if mode == "switch" else None,
    )
    review.rows = finding_rows(findings)
    return review


def _order_context(
    request: HttpRequest,
    *,
    patient: Patient,
    form: OrderForm,
    mode: str,
    prescription: Prescription | None,
    attempt: Attempt,
    review: Review | None = None,
) -> dict[str, Any]:
    title, submit = TITLES[mode]
    page = (
        reverse(f"prescribing:prescription-{mode}", args=[prescription.uuid])
        if prescription
        else reverse("prescribing:prescription-new", args=[patient.uuid])
    )
    return {
        "patient": patient,
        "form": form,
        "drug": form.chosen_drug,
        "picked": [form.chosen_drug] if form.chosen_drug else [],
        "mode": mode,
        "prescription": prescription,
        "title": title,
        "submit_label": submit,
        "page_url": page,
        "review_url": reverse("prescribing:prescription-review", args=[patient.uuid]),
        "cancel_url": prescription.get_absolute_url()
        if prescription
        else patient.get_absolute_url(),
        "safety": _safety(attempt, request.POST),
        "conflict": attempt.conflict,
        "review": review,
        "current": services.current_prescriptions(patient, on=timezone.localdate()),
    }


def _order_page(
    request: HttpRequest,
    *,
    actor: Membership,
    patient: Patient,
    mode: str,
    sign: Sign,
    prescription: Prescription | None = None,
) -> HttpResponse:
    """New prescription, dose change or switch: one form, one check, one service."""
    form_class = FORM_BY_MODE[mode]
    fixed = prescription.drug if prescription is not None and mode == "change-dose" else ""
    source = request.POST if request.method == "POST" else request.GET
    kwargs: dict[str, Any] = {
        "patient": patient,
        "drug": find_drug(fixed or source.get("drug", "")),
    }
    attempt = Attempt()
    review = None
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            attempt = _attempt(form, lambda: sign(actor, form, safety_decision(request.POST)))
            if attempt.prescription is not None:
                messages.success(request, f"Signed: {attempt.prescription.sig}")
                return redirect(attempt.prescription)
            if attempt.block is not None:
                # Show the sig and quantity that would be signed beside the findings to answer.
                review = _review(actor, patient, form, mode=mode, prescription=prescription)
            if attempt.conflict is not None:
                form = form_class(_at_current_version(request.POST, attempt.conflict), **kwargs)
                form.is_valid()
    else:
        if prescription is not None:
            initial = order_initial(prescription, keep_product=mode == "change-dose")
        else:
            initial = {"start_on": timezone.localdate(), "refills": 0}
        if kwargs["drug"] is not None and mode != "change-dose":
            initial.update(drug=kwargs["drug"].name, **dose_initial(kwargs["drug"]))
        initial["expected_regimen_version"] = patient.regimen_version
        form = form_class(initial=initial, **kwargs)
    context = _order_context(
        request,
        patient=patient,
        form=form,
        mode=mode,
        prescription=prescription,
        attempt=attempt,
        review=review,
    )
    return render_page(
        request,
        ORDER_TEMPLATE,
        context,
        # The drug picker reloads only the dose section when a drug is chosen.
        partial="dose" if request.method == "GET" else None,
        status=attempt.status(form),
    )


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_new(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Prescribers only; nurses record outside medications instead."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)

    def sign(actor: Membership, form: OrderForm, decision: SafetyDecision) -> Prescription:
        return services.prescribe(
            actor,
            patient,
            form.order(),
            decision=decision,
            expected_regimen_version=form.cleaned_data["expected_regimen_version"],
        )

    return _order_page(request, actor=actor, patient=patient, mode="new", sign=sign)


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_change_dose(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    prescription = _prescription(actor, prescription_uuid, Need.CLINICAL_WRITE)

    def sign(actor: Membership, form: OrderForm, decision: SafetyDecision) -> Prescription:
        return services.change_dose(
            actor,
            prescription,
            form.order(),
            reason=form.cleaned_data["reason"],
            reason_text=form.cleaned_data["reason_text"],
            decision=decision,
            expected_regimen_version=form.cleaned_data["expected_regimen_version"],
        )

    return _order_page(
        request,
        actor=actor,
        patient=prescription.patient,
        mode="change-dose",
        sign=sign,
        prescription=prescription,
    )


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_switch(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    prescription = _prescription(actor, prescription_uuid, Need.CLINICAL_WRITE)

    def sign(actor: Membership, form: OrderForm, decision: SafetyDecision) -> Prescription:
        return services.switch(
            actor,
            prescription,
            form.order(),
            reason=form.cleaned_data["reason"],
            reason_text=form.cleaned_data["reason_text"],
            decision=decision,
            expected_regimen_version=form.cleaned_data["expected_regimen_version"],
        )

    return _order_page(
        request,
        actor=actor,
        patient=prescription.patient,
        mode="switch",
        sign=sign,
        prescription=prescription,
    )


@member_required(PRESCRIBER)
@require_POST
def prescription_review(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """The "Check" button: the computed sig and quantity and the safety findings, most severe
    first, for the order as typed so far. Writes nothing. HTMX gets the findings fragment."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    mode = request.POST.get("mode", "new")
    if mode not in FORM_BY_MODE:
        return HttpResponse(
            "mode: unknown; use new, change-dose or switch.", status=400, content_type="text/plain"
        )
    prescription = None
    if mode != "new":
        prescription = _prescription(actor, request.POST.get("replacing", ""), Need.CLINICAL_WRITE)
        if prescription.patient_id != patient.pk:
            raise Http404("No such record.")
    fixed = prescription.drug if prescription is not None and mode == "change-dose" else ""
    form = FORM_BY_MODE[mode](
        request.POST,
        patient=patient,
        drug=find_drug(fixed or request.POST.get("drug", "")),
        checking=True,
    )
    review = (
        _review(actor, patient, form, mode=mode, prescription=prescription)
        if form.is_valid()
        else Review()
    )
    context = _order_context(
        request,
        patient=patient,
        form=form,
        mode=mode,
        prescription=prescription,
        attempt=Attempt(),
        review=review,
    )
    return render_page(request, ORDER_TEMPLATE, context, partial="review")


# --- The prescription and its simple changes --------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One change offered on the prescription page."""

    name: str  # the URL name's suffix
    title: str
    submit: str
    done: str
    danger: bool = False

    def url(self, prescription: Prescription) -> str:
        return reverse(f"prescribing:prescription-{self.name}", args=[prescription.uuid])


ACTIONS = {
    action.name: action
    for action in (
        Action("hold", "Hold", "Hold prescription", "Held"),
        Action("resume", "Resume", "Resume prescription", "Resumed"),
        Action("discontinue", "Discontinue", "Discontinue", "Discontinued", danger=True),
        Action("renew", "Renew", "Sign renewal", "Renewed"),
        Action(
            "entered-in-error",
            "Mark entered in error",
            "Mark entered in error",
            "Marked entered in error",
            danger=True,
        ),
    )
}

# Which changes the services accept in each status; the services enforce it, the page only
# avoids offering what would be refused. Outside medications are not re-prescribed here.
OFFERED: dict[str, tuple[str, ...]] = {
    Prescription.Status.ACTIVE: ("change-dose", "switch", "renew", "hold", "discontinue"),
    Prescription.Status.ON_HOLD: ("resume", "change-dose", "switch", "discontinue"),
}
OFFERED_OUTSIDE = ("discontinue",)


def _offered(prescription: Prescription) -> tuple[str, ...]:
    offered = OFFERED.get(prescription.status, ())
    if prescription.is_outside:
        offered = tuple(name for name in offered if name in OFFERED_OUTSIDE)
    if prescription.status != Prescription.Status.ENTERED_IN_ERROR:
        offered = (*offered, "entered-in-error")
    return offered


FormFactory = Callable[[QueryDict | None, Prescription], forms.Form]


def _reasoned_form(data: QueryDict | None, prescription: Prescription) -> forms.Form:
    return ReasonedChangeForm(
        data,
        initial={
            "effective_on": timezone.localdate(),
            "expected_regimen_version": prescription.patient.regimen_version,
        },
    )


def _resume_form(data: QueryDict | None, prescription: Prescription) -> forms.Form:
    return ResumeForm(
        data, initial={"expected_regimen_version": prescription.patient.regimen_version}
    )


def _renew_form(data: QueryDict | None, prescription: Prescription) -> forms.Form:
    return RenewForm(
        data,
        prescription=prescription,
        initial={
            "start_on": timezone.localdate(),
            "expected_regimen_version": prescription.patient.regimen_version,
        },
    )


def _entered_in_error_form(data: QueryDict | None, prescription: Prescription) -> forms.Form:
    return EnteredInErrorForm(
        data, initial={"expected_regimen_version": prescription.patient.regimen_version}
    )


FORM_FACTORIES: dict[str, FormFactory] = {
    "hold": _reasoned_form,
    "discontinue": _reasoned_form,
    "resume": _resume_form,
    "renew": _renew_form,
    "entered-in-error": _entered_in_error_form,
}


@dataclass(frozen=True)
class Panel:
    action: Action
    form: forms.Form
    url: str


@member_required(*CLINICAL_ROLES)
@require_GET
def prescription_detail(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    """The prescription, its history with reasons, its safety overrides, and its changes."""
    actor = _actor(request)
    found = _prescription(actor, prescription_uuid, Need.CHART)
    prescription = Prescription.objects.select_related(
        "patient", "prescriber", "indication", "pdmp_checked_by", "replaces"
    ).get(pk=found.pk)
    patient = prescription.patient
    events = (
        RegimenEvent.objects.filter(Q(prescription=prescription) | Q(replaces=prescription))
        .select_related("author", "prescription", "replaces")
        .order_by("effective_on", "id")
    )
    can_change = actor.role == PRESCRIBER and is_on_care_team(actor, patient)
    offered = _offered(prescription) if can_change else ()
    panels = [
        Panel(
            ACTIONS[name],
            FORM_FACTORIES[name](None, prescription),
            ACTIONS[name].url(prescription),
        )
        for name in offered
        if name in ACTIONS
    ]
    for panel in panels:
        panel.form.auto_id = f"{panel.action.name}-%s"
    context = {
        "prescription": prescription,
        "patient": patient,
        "event_rows": [(event, plain(event.daily_mg)) for event in events],
        "shown": {
            "strength": plain(prescription.strength_mg),
            "dose": plain(prescription.dose_amount),
            "daily_mg": plain(prescription.daily_mg),
            "quantity": plain(prescription.quantity),
        },
        "overrides": prescription.overrides.select_related("author"),
        "replaced_by": prescription.replaced_by.order_by("start_on", "id"),
        "quantity_words": _quantity_words(prescription.quantity),
        "offered": offered,
        "panels": panels,
    }
    return render_page(request, "prescribing/prescription_detail.html", context)


def _action_page(
    request: HttpRequest,
    prescription_uuid: uuid.UUID,
    name: str,
    write: Callable[[Membership, Prescription, dict[str, Any], SafetyDecision], Prescription],
) -> HttpResponse:
    """Hold, resume, discontinue, renew, entered in error: a small form, one service."""
    actor = _actor(request)
    prescription = _prescription(actor, prescription_uuid, Need.CLINICAL_WRITE)
    action = ACTIONS[name]
    make_form = FORM_FACTORIES[name]
    attempt = Attempt()
    form = make_form(request.POST if request.method == "POST" else None, prescription)
    if request.method == "POST" and form.is_valid():
        attempt = _attempt(
            form,
            lambda: write(actor, prescription, form.cleaned_data, safety_decision(request.POST)),
        )
        if attempt.prescription is not None:
            messages.success(request, f"{action.done}: {attempt.prescription.drug}.")
            return redirect(attempt.prescription)
        if attempt.conflict is not None:
            form = make_form(_at_current_version(request.POST, attempt.conflict), prescription)
            form.is_valid()
    context = {
        "prescription": prescription,
        "patient": prescription.patient,
        "panel": Panel(action, form, action.url(prescription)),
        "safety": _safety(attempt, request.POST),
        "conflict": attempt.conflict,
    }
    return render_page(request, ACTION_TEMPLATE, context, status=attempt.status(form))


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_hold(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    def write(
        actor: Membership, prescription: Prescription, data: dict[str, Any], _: SafetyDecision
    ) -> Prescription:
        return services.hold(
            actor,
            prescription,
            reason=data["reason"],
            reason_text=data["reason_text"],
            effective_on=data["effective_on"],
            expected_regimen_version=data["expected_regimen_version"],
        )

    return _action_page(request, prescription_uuid, "hold", write)


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_resume(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    def write(
        actor: Membership,
        prescription: Prescription,
        data: dict[str, Any],
        decision: SafetyDecision,
    ) -> Prescription:
        return services.resume(
            actor,
            prescription,
            reason=data["reason"],
            reason_text=data["reason_text"],
            decision=decision,
            expected_regimen_version=data["expected_regimen_version"],
        )

    return _action_page(request, prescription_uuid, "resume", write)


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_discontinue(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    def write(
        actor: Membership, prescription: Prescription, data: dict[str, Any], _: SafetyDecision
    ) -> Prescription:
        return services.discontinue(
            actor,
            prescription,
            reason=data["reason"],
            reason_text=data["reason_text"],
            effective_on=data["effective_on"],
            expected_regimen_version=data["expected_regimen_version"],
        )

    return _action_page(request, prescription_uuid, "discontinue", write)


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_renew(request: HttpRequest, prescription_uuid: uuid.UUID) -> HttpResponse:
    def write(
        actor: Membership,
        prescription: Prescription,
        data: dict[str, Any],
        decision: SafetyDecision,
    ) -> Prescription:
        return services.renew(
            actor,
            prescription,
            start_on=data["start_on"],
            earliest_fill_on=data.get("earliest_fill_on"),
            refills=data["refills"],
            pdmp_checked_on=data.get("pdmp_checked_on"),
            decision=decision,
            expected_regimen_version=data["expected_regimen_version"],
        )

    return _action_page(request, prescription_uuid, "renew", write)


@member_required(PRESCRIBER)
@require_http_methods(["GET", "POST"])
def prescription_entered_in_error(
    request: HttpRequest, prescription_uuid: uuid.UUID
) -> HttpResponse:
    def write(
        actor: Membership, prescription: Prescription, data: dict[str, Any], _: SafetyDecision
    ) -> Prescription:
        return services.mark_prescription_entered_in_error(
            actor,
            prescription,
            reason=data["reason"],
            expected_regimen_version=data["expected_regimen_version"],
        )

    return _action_page(request, prescription_uuid, "entered-in-error", write)


# --- Medication reconciliation and the drug picker --------------------------------------------


@member_required(*CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def outside_medication_new(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """A medication from another prescriber, over the counter or a supplement; nurses too."""
    actor = _actor(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    form = OutsideMedicationForm(
        request.POST if request.method == "POST" else None,
        initial={"expected_regimen_version": patient.regimen_version},
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            prescription = services.record_outside_medication(
                actor,
                patient,
                drug=data["drug"],
                dose_amount=data["dose_amount"],
                dose_unit=data["dose_unit"],
                strength_mg=data["strength_mg"],
                times_per_day=data["times_per_day"],
                source=data["source"],
                form=data["form"].strip(),
                is_prn=data["is_prn"],
                prn_max_per_day=data["prn_max_per_day"],
                outside_prescriber=data["outside_prescriber"].strip(),
                start_on=data["start_on"],
                expected_regimen_version=data["expected_regimen_version"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except EditConflict as exc:
            conflict = exc
            form = OutsideMedicationForm(_at_current_version(request.POST, exc))
            form.is_valid()
        else:
            messages.success(request, f"Recorded: {prescription.drug}, {prescription.sig}")
            return redirect(prescription)
    drug = find_drug(request.POST.get("drug", "")) if request.method == "POST" else None
    context = {
        "patient": patient,
        "form": form,
        "chosen": drug,
        "picked": [drug] if drug else [],
        "conflict": conflict,
        "current": services.current_prescriptions(patient, on=timezone.localdate()),
    }
    status = 409 if conflict else 400 if form.errors else 200
    return render_page(request, "prescribing/outside_medication_form.html", context, status=status)


@member_required(*CLINICAL_ROLES)
@require_GET
def drug_picker(request: HttpRequest) -> HttpResponse:
    """Live search of the drug knowledge base by generic or brand name; results are radios."""
    query = request.GET.get("q", "")[:100].strip()
    drugs = default_knowledge().search(query, limit=20) if len(query) >= 2 else []
    return render_page(
        request,
        "prescribing/drug-picker.html",
        {
            "drugs": drugs,
            "query": query,
            "chosen": None,
            # The order form says which drugs it cannot offer forms for.
            "prescribing": request.GET.get("purpose") == "prescribe",
        },
        partial="results",
    )
