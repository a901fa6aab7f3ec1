"""A patient's measurement plan: which rating scales, how often (issue 5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dosewise.domain.schedules import MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS


class MeasurementPlan(models.Model):
    """That a patient has a measurement plan: created once from the defaults of their
    diagnoses and medications, then changed item by item by the care team."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="measurement_plan"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Measurement plan of {self.patient}"


class MeasurementPlanItem(models.Model):
    """One rating scale of a plan: every `interval_days` days and/or at each ADHD medication
    dose change (ASRS)."""

    plan = models.ForeignKey(MeasurementPlan, on_delete=models.PROTECT, related_name="items")
    instrument = models.CharField(max_length=32, help_text="Instrument id, e.g. phq9.")
    interval_days = models.PositiveSmallIntegerField(null=True, blank=True)
    at_dose_change = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "instrument"], name="one_item_per_instrument"),
            models.CheckConstraint(
                condition=Q(interval_days__isnull=True)
                | Q(interval_days__gte=MIN_INTERVAL_DAYS, interval_days__lte=MAX_INTERVAL_DAYS),
                name="plan_interval_in_range",
            ),
            models.CheckConstraint(
                condition=Q(interval_days__isnull=False) | Q(at_dose_change=True),
                name="plan_item_has_a_trigger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} every {self.interval_days} days"
