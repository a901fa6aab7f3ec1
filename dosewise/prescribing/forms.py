"""Forms of the prescribing pages: they check shape only. Which order is safe, legal and complete
is the services' call; their findings and errors are shown beside these forms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from dosewise.clinical.models import Diagnosis
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.knowledge.model import Drug
from dosewise.domain.safety import Finding, Severity
from dosewise.domain.sig import TIMINGS
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.services import OrderInput, SafetyDecision

Reason = RegimenEvent.Reason

# Reasons the services write themselves (a first order, a renewal, reconciliation) are not
# offered to the prescriber for a change.
CHANGE_REASONS = [
    choice
    for choice in Reason.choices
    if choice[0] not in (Reason.NEW_TREATMENT, Reason.RENEWAL, Reason.RECONCILIATION)
]
TIMING_CHOICES = [(timing, timing.capitalize()) for timing in TIMINGS]
OUTSIDE_SOURCES = [
    choice for choice in Prescription.Source.choices if choice[0] != Prescription.Source.PRESCRIBED
]

# A service's field name -> the field of these forms that shows it.
FIELD_FOR_SERVICE_FIELD = {"form": "product", "strength_mg": "product", "route": "product"}


def find_drug(name: str) -> Drug | None:
    """The knowledge-base drug for a name or brand, or None (the form then says why)."""
    if not name:
        return None
    try:
        return default_knowledge().find(name)
    except UnknownDrug:
        return None


def renamed(error: ValidationError) -> ValidationError:
    """A service's ValidationError with its field names mapped onto these forms' fields."""
    if not hasattr(error, "error_dict"):
        return error
    merged: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        merged.setdefault(FIELD_FOR_SERVICE_FIELD.get(field, field), []).extend(messages)
    return ValidationError(merged)


def plain(value: Decimal | None) -> str:
    """A Decimal as a clinician writes it: 50, 0.5, 1.25 (not 50.000)."""
    return "" if value is None else f"{value.normalize():f}"


def product_value(form_name: str, strength_mg: Decimal) -> str:
    return f"{form_name}|{plain(strength_mg)}"


def product_choices(drug: Drug | None) -> list[tuple[str, str]]:
    """Every form and strength of `drug` on file, as 'form|strength' choices."""
    if drug is None or drug.dosing is None:
        return []
    return [
        (product_value(form.form, strength), f"{form.form}, {plain(strength)} mg")
        for form in drug.dosing.forms
        for strength in form.strengths_mg
    ]


def _unit_of(form_name: str) -> str:
    """The dose unit a product's form name states ('extended-release tablet' -> tablet), or ''
    when the name states none: the prescriber then chooses, nothing is assumed."""
    words = form_name.lower().replace("(", " ").split()
    for unit in (
        Prescription.DoseUnit.TABLET,
        Prescription.DoseUnit.CAPSULE,
        Prescription.DoseUnit.PATCH,
        Prescription.DoseUnit.SPRAY,
    ):
        if unit in words:
            return str(unit)
    return ""


def dose_initial(drug: Drug | None) -> dict[str, str]:
    """The initial unit for a freshly chosen drug, from its first form on file."""
    if drug is None or drug.dosing is None or not drug.dosing.forms:
        return {}
    return {"dose_unit": _unit_of(drug.dosing.forms[0].form)}


def _positive(value: Decimal | int | None, what: str) -> None:
    if value is not None and value <= 0:
        raise ValidationError(f"{what} must be greater than 0.")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DrugChoiceMixin(forms.Form):
    """A `drug` field holding a knowledge-base name (picked from the live search)."""

    drug = forms.CharField(
        max_length=80,
        error_messages={"required": "Choose a drug from the search results."},
    )

    def clean_drug(self) -> str:
        name = self.cleaned_data["drug"]
        try:
            return default_knowledge().find(name).name
        except UnknownDrug as exc:
            message = str(exc)
            ending = "" if message.endswith(("?", ".")) else "."
            raise ValidationError(message[:1].upper() + message[1:] + ending) from None


class OrderForm(DrugChoiceMixin):
    """The order: drug, product, dose, frequency, supply and why. Used for a new prescription,
    a dose change and a switch."""

    product = forms.CharField(
        label="Form and strength",
        required=False,
        widget=forms.Select(),
    )
    dose_amount = forms.DecimalField(
        label="Dose amount",
        max_digits=7,
        decimal_places=3,
        help_text="Units per dose, e.g. 1 or 0.5 (tablets), or mg when the unit is mg.",
    )
    dose_unit = forms.ChoiceField(
        label="Dose unit", choices=[("", "Choose a unit"), *Prescription.DoseUnit.choices]
    )
    times_per_day = forms.DecimalField(
        label="Times per day",
        max_digits=4,
        decimal_places=1,
        required=False,
        help_text="Or tick the times of day below.",
    )
    timings = forms.MultipleChoiceField(
        label="Times of day",
        choices=TIMING_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_prn = forms.BooleanField(label="As needed (PRN)", required=False)
    prn_max_per_day = forms.DecimalField(
        label="PRN: at most this many doses in 24 hours",
        max_digits=4,
        decimal_places=1,
        required=False,
    )
    prn_reason = forms.CharField(label="PRN: for", max_length=80, required=False)
    start_on = forms.DateField(label="Start date", widget=_date_input())
    duration_days = forms.IntegerField(label="Duration (days)", required=False, min_value=1)
    days_supply = forms.IntegerField(
        label="Days' supply",
        required=False,
        help_text="Give days' supply or quantity; the other is worked out.",
    )
    quantity = forms.DecimalField(
        label="Quantity to dispense", max_digits=8, decimal_places=2, required=False
    )
    refills = forms.IntegerField(label="Refills", min_value=0, max_value=99, initial=0)
    earliest_fill_on = forms.DateField(
        label="Earliest fill date",
        required=False,
        widget=_date_input(),
        help_text="Schedule II series: the pharmacy may not fill before this date.",
    )
    substitution_allowed = forms.BooleanField(
        label="Generic substitution allowed", required=False, initial=True
    )
    indication = forms.ModelChoiceField(
        label="Indication",
        queryset=Diagnosis.objects.none(),
        to_field_name="uuid",
        empty_label="Choose one of the patient's active diagnoses",
        error_messages={
            "required": "Choose the diagnosis this prescription treats.",
            "invalid_choice": "The indication must be one of this patient's active diagnoses.",
        },
    )
    note_to_pharmacist = forms.CharField(
        label="Note to pharmacist",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    pdmp_checked_on = forms.DateField(
        label="State PDMP checked on",
        required=False,
        widget=_date_input(),
        help_text="Required for a controlled substance: within the last 7 days.",
    )
    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args: Any,
        patient: Patient,
        drug: Drug | None,
        checking: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_drug = drug
        if checking and "reason" in self.fields:
            # A safety check may come before the reason for the change is chosen.
            self.fields["reason"].required = False
        choices = product_choices(drug)
        self.fields["product"].widget.choices = [("", "Choose a form and strength"), *choices]
        # Required whenever there is something to choose; clean_product says why otherwise.
        self.fields["product"].required = bool(choices)
        self.fields["product"].error_messages["required"] = (
            f"Choose a form and strength of {drug.name}." if drug else ""
        )
        self.fields["indication"].queryset = (  # type: ignore[attr-defined]
            Diagnosis.objects.filter(patient=patient).active().order_by("code")
        )

    def clean_dose_amount(self) -> Decimal:
        value: Decimal = self.cleaned_data["dose_amount"]
        _positive(value, "The dose amount")
        return value

    def clean_times_per_day(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data["times_per_day"]
        _positive(value, "Times per day")
        return value

    def clean_prn_max_per_day(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data["prn_max_per_day"]
        _positive(value, "The maximum per day")
        return value

    def clean_days_supply(self) -> int | None:
        value: int | None = self.cleaned_data["days_supply"]
        _positive(value, "Days' supply")
        return value

    def clean_quantity(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data["quantity"]
        _positive(value, "The quantity")
        return value

    def clean_product(self) -> tuple[str, Decimal, str] | None:
        """(form, strength, route). The route is the product's, never typed separately, so a
        patch cannot be ordered 'by mouth'."""
        value: str = self.cleaned_data["product"]
        drug = self.chosen_drug
        if drug is None:
            return None  # the drug field says what is wrong
        if drug.dosing is None or not drug.dosing.forms:
            raise ValidationError(
                f"No forms or strengths of {drug.name} are on file, so it cannot be "
                "prescribed here; record it as an outside medication if the patient takes it."
            )
        if value not in dict(product_choices(drug)):
            raise ValidationError(f"{value!r} is not a form and strength of {drug.name}.")
        form_name, strength = value.rsplit("|", 1)
        route = next(form.route for form in drug.dosing.forms if form.form == form_name)
        return form_name, Decimal(strength), route

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        timings: list[str] = data.get("timings") or []
        if data.get("is_prn"):
            if timings:
                self.add_error(
                    "timings", "Times of day are for scheduled doses; leave them blank for PRN."
                )
            if data.get("times_per_day") is not None:
                self.add_error(
                    "times_per_day",
                    "An as-needed medication gives a maximum per day instead; leave this blank.",
                )
            if data.get("prn_max_per_day") is None and "prn_max_per_day" not in self.errors:
                self.add_error(
                    "prn_max_per_day", "Give the maximum number of doses in 24 hours for PRN."
                )
            return data
        if data.get("prn_max_per_day") is not None:
            self.add_error("prn_max_per_day", "Tick 'As needed (PRN)' to give a maximum per day.")
        if data.get("times_per_day") is None and "times_per_day" not in self.errors:
            if timings:
                data["times_per_day"] = Decimal(len(timings))
            else:
                self.add_error(
                    "times_per_day",
                    "Give the times per day or tick the times of day (or tick 'As needed').",
                )
        elif timings and data.get("times_per_day") != len(timings):
            self.add_error(
                "timings",
                f"Tick one time of day per dose ({plain(data['times_per_day'])} a day), or none.",
            )
        return data

    def order(self) -> OrderInput:
        """The cleaned form as the services' order (call after is_valid())."""
        data = self.cleaned_data
        form_name, strength, route = data["product"]
        return OrderInput(
            drug=data["drug"],
            form=form_name,
            strength_mg=strength,
            dose_amount=data["dose_amount"],
            dose_unit=data["dose_unit"],
            times_per_day=data["times_per_day"],
            route=route,
            timings=tuple(timing for timing in TIMINGS if timing in data["timings"]),
            is_prn=data["is_prn"],
            prn_max_per_day=data["prn_max_per_day"],
            prn_reason=data["prn_reason"].strip(),
            start_on=data["start_on"],
            duration_days=data["duration_days"],
            quantity=data["quantity"],
            days_supply=data["days_supply"],
            refills=data["refills"],
            earliest_fill_on=data["earliest_fill_on"],
            substitution_allowed=data["substitution_allowed"],
            indication=data["indication"],
            note_to_pharmacist=data["note_to_pharmacist"].strip(),
            pdmp_checked_on=data["pdmp_checked_on"],
        )


class ChangeReasonMixin(forms.Form):
    """Why the regimen changes (RegimenEvent.Reason); 'other' needs words."""

    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *CHANGE_REASONS],
        error_messages={"required": "Choose the reason for this change."},
    )
    reason_text = forms.CharField(
        label="Reason details",
        max_length=300,
        required=False,
        help_text="Required when the reason is Other.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == Reason.OTHER and not data.get("reason_text", "").strip():
            self.add_error("reason_text", "Describe the reason when it is Other.")
        return data


class PrescriptionForm(OrderForm):
    """A new prescription."""


class ChangeDoseForm(ChangeReasonMixin, OrderForm):
    """A new dose of the same drug; the drug is fixed by the prescription being changed."""


class SwitchForm(ChangeReasonMixin, OrderForm):
    """Another drug in place of the current one."""


def order_initial(prescription: Prescription, *, keep_product: bool) -> dict[str, Any]:
    """A change form starts from the current order (a switch keeps only what is not the drug's)."""
    initial: dict[str, Any] = {
        "times_per_day": plain(prescription.times_per_day),
        "timings": list(prescription.timings),
        "is_prn": prescription.is_prn,
        "prn_max_per_day": plain(prescription.prn_max_per_day),
        "prn_reason": prescription.prn_reason,
        "start_on": timezone.localdate(),
        "days_supply": prescription.days_supply,
        "refills": prescription.refills,
        "substitution_allowed": prescription.substitution_allowed,
        "indication": prescription.indication.uuid if prescription.indication else None,
        "note_to_pharmacist": prescription.note_to_pharmacist,
    }
    if keep_product:
        initial.update(
            drug=prescription.drug,
            product=product_value(prescription.form, prescription.strength_mg),
            dose_amount=plain(prescription.dose_amount),
            dose_unit=prescription.dose_unit,
        )
    return initial


class ReasonedChangeForm(ChangeReasonMixin):
    """Hold or discontinue: a reason and the date it takes effect."""

    effective_on = forms.DateField(label="Effective date", widget=_date_input())
    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ResumeForm(ChangeReasonMixin):
    """Resume a held prescription (checked for safety again)."""

    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class RenewForm(forms.Form):
    """A new prescription for the same dose; a Schedule II series gives an earliest fill date."""

    start_on = forms.DateField(label="Start date", widget=_date_input())
    earliest_fill_on = forms.DateField(
        label="Earliest fill date",
        required=False,
        widget=_date_input(),
        help_text="Schedule II series: the pharmacy may not fill before this date.",
    )
    refills = forms.IntegerField(
        label="Refills",
        min_value=0,
        max_value=99,
        required=False,
        help_text="Blank keeps the current number of refills.",
    )
    pdmp_checked_on = forms.DateField(
        label="State PDMP checked on",
        required=False,
        widget=_date_input(),
        help_text="Required for a controlled substance: within the last 7 days.",
    )
    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, prescription: Prescription, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not prescription.dea_schedule.startswith("2"):
            del self.fields["earliest_fill_on"]
        if not prescription.dea_schedule:
            del self.fields["pdmp_checked_on"]


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was this prescription entered in error?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this prescription was entered in error."},
    )
    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class OutsideMedicationForm(DrugChoiceMixin):
    """Medication reconciliation: what the patient takes from elsewhere."""

    source = forms.ChoiceField(
        label="Source", choices=[("", "Choose where it comes from"), *OUTSIDE_SOURCES]
    )
    form = forms.CharField(
        label="Form", max_length=80, required=False, help_text="e.g. tablet, capsule, gummy."
    )
    strength_mg = forms.DecimalField(label="Strength (mg per unit)", max_digits=9, decimal_places=3)
    dose_amount = forms.DecimalField(label="Dose amount", max_digits=7, decimal_places=3)
    dose_unit = forms.ChoiceField(
        label="Dose unit", choices=[("", "Choose a unit"), *Prescription.DoseUnit.choices]
    )
    times_per_day = forms.DecimalField(
        label="Times per day", max_digits=4, decimal_places=1, required=False
    )
    is_prn = forms.BooleanField(label="As needed (PRN)", required=False)
    prn_max_per_day = forms.DecimalField(
        label="PRN: at most this many doses in 24 hours",
        max_digits=4,
        decimal_places=1,
        required=False,
    )
    outside_prescriber = forms.CharField(label="Outside prescriber", max_length=200, required=False)
    start_on = forms.DateField(
        label="Taking since", required=False, widget=_date_input(), help_text="Blank: today."
    )
    expected_regimen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean_strength_mg(self) -> Decimal:
        value: Decimal = self.cleaned_data["strength_mg"]
        _positive(value, "The strength")
        return value

    def clean_dose_amount(self) -> Decimal:
        value: Decimal = self.cleaned_data["dose_amount"]
        _positive(value, "The dose amount")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_prn"):
            if data.get("prn_max_per_day") is None and "prn_max_per_day" not in self.errors:
                self.add_error(
                    "prn_max_per_day", "Give the maximum number of doses in 24 hours for PRN."
                )
        elif data.get("times_per_day") is None and "times_per_day" not in self.errors:
            self.add_error("times_per_day", "Give the times per day (or tick 'As needed').")
        for field in ("times_per_day", "prn_max_per_day"):
            value = data.get(field)
            if value is not None and value <= 0 and field not in self.errors:
                self.add_error(field, "Must be greater than 0.")
        return data


# --- The safety review beside a form ---------------------------------------------------------

SEVERITY_ICONS = {
    Severity.CONTRAINDICATED: "⊘",
    Severity.MAJOR: "⚠",
    Severity.MODERATE: "◆",
    Severity.MINOR: "•",
    Severity.INFO: "ℹ",
}
SEVERITY_WORDS = {
    Severity.CONTRAINDICATED: "Contraindicated",
    Severity.MAJOR: "Major",
    Severity.MODERATE: "Moderate",
    Severity.MINOR: "Minor",
    Severity.INFO: "Information",
}


@dataclass(frozen=True)
class FindingRow:
    """One finding as shown: severity in a word and an icon, the source by title, and the
    prescriber's answer field when signing needs one."""

    finding: Finding
    source: str
    field: forms.BoundField | None = None

    @property
    def word(self) -> str:
        return SEVERITY_WORDS[self.finding.severity]

    @property
    def icon(self) -> str:
        return SEVERITY_ICONS[self.finding.severity]

    @property
    def severity(self) -> str:
        return self.finding.severity.value


def _source_title(source_id: str) -> str:
    source = default_knowledge().sources.get(source_id)
    return f"{source.title} ({source.version})" if source else source_id


def finding_rows(findings: Iterable[Finding]) -> list[FindingRow]:
    """Most severe first."""
    return [
        FindingRow(item, _source_title(item.source))
        for item in sorted(findings, key=Finding.sort_key)
    ]


def override_name(code: str) -> str:
    return f"override_{code}"


def acknowledge_name(code: str) -> str:
    return f"acknowledge_{code}"


class SafetyReviewForm(forms.Form):
    """The answers a blocked order needs: a written reason for each contraindicated finding,
    an acknowledgement for each major one. Errors show only for findings the prescriber saw."""

    def __init__(
        self, findings: Iterable[Finding], data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        seen = set(data.getlist("safety_seen")) if isinstance(data, QueryDict) else set()
        super().__init__(data if seen else None, **kwargs)
        self.findings = sorted(findings, key=Finding.sort_key)
        for item in self.findings:
            if item.severity is Severity.CONTRAINDICATED:
                self.fields[override_name(item.code)] = forms.CharField(
                    label="Why are you going ahead despite this? (written override reason)",
                    max_length=1000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    error_messages={
                        "required": "Write why you are going ahead despite this "
                        "contraindicated finding."
                    },
                )
            elif item.severity is Severity.MAJOR:
                self.fields[acknowledge_name(item.code)] = forms.BooleanField(
                    label="I have read this finding and go ahead.",
                    error_messages={"required": "Tick to confirm you have read this finding."},
                )
        if self.is_bound:
            self.full_clean()
            for item in self.findings:
                if item.code not in seen:
                    for name in (override_name(item.code), acknowledge_name(item.code)):
                        self.errors.pop(name, None)

    @property
    def rows(self) -> list[FindingRow]:
        rows = []
        for item in self.findings:
            name = next(
                (
                    candidate
                    for candidate in (override_name(item.code), acknowledge_name(item.code))
                    if candidate in self.fields
                ),
                None,
            )
            rows.append(FindingRow(item, _source_title(item.source), self[name] if name else None))
        return rows


def safety_decision(data: Mapping[str, Any]) -> SafetyDecision:
    """The prescriber's answers in a submitted form: override_<code> reasons and
    acknowledge_<code> ticks."""
    reasons = {
        key.removeprefix("override_"): str(value).strip()
        for key, value in data.items()
        if key.startswith("override_") and str(value).strip()
    }
    acknowledged = frozenset(
        key.removeprefix("acknowledge_")
        for key, value in data.items()
        if key.startswith("acknowledge_") and value in ("on", "true", "1")
    )
    return SafetyDecision(reasons=reasons, acknowledged=acknowledged)
