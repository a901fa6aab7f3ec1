"""Prescriptions, the append-only medication history, and reasoned safety overrides."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Prescription(models.Model):
    """One medication order (or an outside medication the patient takes), FHIR MedicationRequest.

    A dose change or switch never edits a prescription: it creates a new one and a
    `RegimenEvent` that ends the old. Only status, PDMP check and fill dates change in place.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ON_HOLD = "on-hold", "On hold"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Route(models.TextChoices):
        ORAL = "oral", "By mouth"
        SUBLINGUAL = "sublingual", "Under the tongue"
        TRANSDERMAL = "transdermal", "Skin patch"
        NASAL = "nasal", "Nasal"
        INTRAMUSCULAR = "intramuscular", "Intramuscular"

    class DoseUnit(models.TextChoices):
        TABLET = "tablet", "tablet"
        CAPSULE = "capsule", "capsule"
        ML = "mL", "mL"
        PATCH = "patch", "patch"
        SPRAY = "spray", "spray"
        MG = "mg", "mg"

    class Source(models.TextChoices):
        PRESCRIBED = "prescribed", "Prescribed here"
        OUTSIDE = "outside", "Outside prescriber"
        OVER_THE_COUNTER = "otc", "Over the counter"
        SUPPLEMENT = "supplement", "Supplement"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="prescriptions"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PRESCRIBED)
    drug = models.CharField(
        max_length=80, help_text="Canonical generic name from the drug knowledge base."
    )
    form = models.CharField(max_length=80)
    strength_mg = models.DecimalField(max_digits=9, decimal_places=3)
    dose_amount = models.DecimalField(max_digits=7, decimal_places=3)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices)
    route = models.CharField(max_length=16, choices=Route.choices, default=Route.ORAL)
    times_per_day = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    timings = models.JSONField(default=list, blank=True)  # ["morning", "bedtime"]
    is_prn = models.BooleanField("as needed (PRN)", default=False)
    prn_max_per_day = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    prn_reason = models.CharField(max_length=80, blank=True)
    sig = models.CharField(max_length=300)
    start_on = models.DateField()
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    days_supply = models.PositiveIntegerField(null=True, blank=True)
    refills = models.PositiveSmallIntegerField(default=0)
    earliest_fill_on = models.DateField(
        null=True, blank=True, help_text="Schedule II series: do not fill before."
    )
    substitution_allowed = models.BooleanField(default=True)
    indication = models.ForeignKey(
        "clinical.Diagnosis",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prescriptions",
    )
    note_to_pharmacist = models.CharField(max_length=300, blank=True)
    outside_prescriber = models.CharField(max_length=200, blank=True)
    dea_schedule = models.CharField(max_length=3, blank=True)
    pdmp_checked_on = models.DateField("PDMP checked on", null=True, blank=True)
    pdmp_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["drug", "-start_on"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(dose_amount__gt=0), name="dose_amount_positive"),
            models.CheckConstraint(condition=Q(strength_mg__gt=0), name="strength_positive"),
            models.CheckConstraint(
                condition=Q(is_prn=True, prn_max_per_day__gt=0)
                | Q(is_prn=False, times_per_day__gt=0),
                name="scheduled_or_prn_with_frequency",
            ),
            models.CheckConstraint(
                condition=~Q(dea_schedule__startswith="2") | Q(refills=0),
                name="no_refills_on_schedule_ii",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.strength_mg.normalize():f} mg {self.form}: {self.sig}"

    def get_absolute_url(self) -> str:
        return reverse("prescribing:prescription-detail", args=[self.uuid])

    @property
    def dose_mg(self) -> Any:
        return self.dose_amount * (1 if self.dose_unit == self.DoseUnit.MG else self.strength_mg)

    @property
    def daily_mg(self) -> Any:
        per_day = self.prn_max_per_day if self.is_prn else self.times_per_day
        return self.dose_mg * (per_day or 0)

    @property
    def is_controlled(self) -> bool:
        return bool(self.dea_schedule)

    @property
    def is_outside(self) -> bool:
        return self.source != self.Source.PRESCRIBED


class RegimenEventQuerySet(models.QuerySet["RegimenEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("regimen events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("regimen events are append-only")


class RegimenEvent(models.Model):
    """One change to the medication history; the regimen on any date is derived from these."""

    class Kind(models.TextChoices):
        STARTED = "started", "Started"
        DOSE_CHANGED = "dose_changed", "Dose changed"
        SWITCHED = "switched", "Switched"
        HELD = "held", "Held"
        RESUMED = "resumed", "Resumed"
        DISCONTINUED = "discontinued", "Discontinued"
        RENEWED = "renewed", "Renewed"

    class Reason(models.TextChoices):
        NEW_TREATMENT = "new-treatment", "New treatment"
        INEFFECTIVE = "ineffective", "Ineffective"
        SIDE_EFFECTS = "side-effects", "Side effects"
        PATIENT_PREFERENCE = "patient-preference", "Patient preference"
        REMISSION = "remission", "Remission / course completed"
        INTERACTION = "interaction", "Interaction"
        PREGNANCY = "pregnancy", "Pregnancy"
        COST = "cost", "Cost"
        TITRATION = "titration", "Planned titration"
        RECONCILIATION = "reconciliation", "Medication reconciliation"
        RENEWAL = "renewal", "Renewal"
        OTHER = "other", "Other"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="regimen_events"
    )
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="events")
    replaces = models.ForeignKey(
        Prescription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ended_by_events",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    effective_on = models.DateField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_text = models.CharField(max_length=300, blank=True)
    daily_mg = models.DecimalField(
        max_digits=10, decimal_places=3, help_text="Daily dose after the event."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegimenEventQuerySet.as_manager()

    class Meta:
        ordering = ["effective_on", "id"]
        indexes = [models.Index(fields=["patient", "effective_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(reason_text=""), name="other_reason_needs_text"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.prescription.drug} on {self.effective_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("regimen events are append-only")
        super().save(*args, **kwargs)


class SafetyOverride(models.Model):
    """A prescriber's reasoned decision to go ahead despite a safety finding (audited)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="overrides"
    )
    code = models.CharField(max_length=64)
    severity = models.CharField(max_length=16)
    drugs = models.JSONField(default=list)
    message = models.TextField()
    reason = models.TextField(
        help_text="Why the prescriber went ahead (required for contraindicated)."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.severity} {self.code} overridden by {self.author}"


class AdherenceRecord(models.Model):
    """What the patient reported at a follow-up about taking one medication since the last
    visit, as a FHIR R5 MedicationStatement.adherence code. The adequate-trial rule reads it:
    missing doses or stopped during a trial makes that trial not adequate. Append-only."""

    class Status(models.TextChoices):
        TAKING_AS_DIRECTED = "taking-as-directed", "Taking as prescribed"
        TAKING_NOT_AS_DIRECTED = "taking-not-as-directed", "Missing doses"
        STOPPED = "stopped", "Stopped"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="adherence_records"
    )
    prescription = models.ForeignKey(
        Prescription, on_delete=models.PROTECT, related_name="adherence_records"
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    reported_on = models.DateField(help_text="The follow-up at which the patient reported it.")
    note = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reported_on", "id"]
        indexes = [models.Index(fields=["patient", "reported_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["taking-as-directed", "taking-not-as-directed", "stopped"]),
                name="adherence_status_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} on {self.reported_on}"


class TrialSuggestionDecision(models.Model):
    """A prescriber's answer to the "possible treatment-resistant depression" suggestion:
    confirmed or dismissed, for the failed adequate trials listed when it was made (a later
    failed trial makes a new suggestion). Decision support answered, not a diagnosis."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="trial_suggestion_decisions"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    note = models.TextField(blank=True)
    trials = models.JSONField(
        help_text='The failed trials decided on: [{"drug": ..., "start": "YYYY-MM-DD"}].'
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["confirmed", "dismissed"]),
                name="trial_suggestion_decision_known",
            )
        ]

    def __str__(self) -> str:
        return f"Treatment-resistance suggestion {self.get_decision_display().lower()}"


from dosewise.prescribing.checkin_models import PlanStepCheckIn  # noqa: E402, F401
from dosewise.prescribing.plan_models import Plan, PlanStep  # noqa: E402, F401
from dosewise.prescribing.side_effect_models import SideEffectReport  # noqa: E402, F401
