"""Treatment plans: a titration, taper or switch laid out step by step (issue 7).

The steps come from the pure planners (`dosewise.domain.plans`); the prescriber reviews and
edits them, activates the plan, and confirms each step on its date, which writes the regimen
event through `dosewise.prescribing.services`. Writes go through `dosewise.prescribing.plans`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Plan(models.Model):
    """A planned sequence of dose changes for one patient (a titration, a taper or a switch),
    draft until the prescriber activates it; completed when its last step is confirmed."""

    class Kind(models.TextChoices):
        TITRATION = "titration", "Titration"
        TAPER = "taper", "Taper"
        SWITCH = "switch", "Switch"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    prescription = models.ForeignKey(
        "prescribing.Prescription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="The prescription the plan adjusts (none for a titration of a new drug).",
    )
    indication = models.ForeignKey(
        "clinical.Diagnosis",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The diagnosis new prescriptions written by the plan treat.",
    )
    drug = models.CharField(max_length=80, help_text="The drug titrated or tapered (from).")
    to_drug = models.CharField(max_length=80, blank=True, help_text="A switch's new drug.")
    parameters = models.JSONField(
        default=dict, help_text="What the planner was asked, for the record."
    )
    notes = models.JSONField(default=list, help_text="The planner's notes, shown with the plan.")
    reason = models.CharField(max_length=300, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["titration", "taper", "switch"]), name="plan_kind_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="stopped") | ~Q(stop_reason=""),
                name="stopped_plan_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        target = f" to {self.to_drug}" if self.to_drug else ""
        return f"{self.get_kind_display()} of {self.drug}{target} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("prescribing:plan-detail", args=[self.uuid])


class PlanStep(models.Model):
    """One dated change in a plan: from `on`, take `daily_dose_mg` of `drug` (0 = stop).
    Confirming it writes the regimen event it links to."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CONFIRMED = "confirmed", "Confirmed"
        SKIPPED = "skipped", "Skipped"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="steps")
    sequence = models.PositiveIntegerField()
    on = models.DateField()
    drug = models.CharField(max_length=80)
    daily_dose_mg = models.DecimalField(max_digits=10, decimal_places=3)
    take = models.CharField(max_length=300, help_text="What to take, in words.")
    every_days = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    regimen_event = models.ForeignKey(
        "prescribing.RegimenEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_steps",
    )

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="plan_step_sequence_unique"),
            models.CheckConstraint(
                condition=Q(daily_dose_mg__gte=0), name="plan_step_dose_not_negative"
            ),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="plan_step_every_days"),
        ]

    def __str__(self) -> str:
        return f"{self.on}: {self.drug} {self.daily_dose_mg.normalize():f} mg/day"

    @property
    def patient(self):  # type: ignore[no-untyped-def]
        """The plan's patient, so the access helpers and write services can resolve a step."""
        return self.plan.patient
