"""Withdrawal and side-effect check-ins at a plan's steps (issue 7).

Ratings follow the symptom checklist in `dosewise.domain.withdrawal`; the suggestion to hold is
that module's rule, stored as it was shown. Written only by `dosewise.prescribing.checkins`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dosewise.domain.withdrawal import CHECKLIST, RATINGS


class PlanStepCheckIn(models.Model):
    """How the patient was doing on a plan step: withdrawal and side-effect symptoms rated 0–3,
    and whether Dosewise suggested holding the step (append-only)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    step = models.ForeignKey(
        "prescribing.PlanStep", on_delete=models.PROTECT, related_name="check_ins"
    )
    ratings = models.JSONField(help_text="{symptom code: 0 none … 3 severe}, every symptom rated.")
    hold_suggested = models.BooleanField(default=False)
    hold_reason = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["step", "recorded_at", "id"]
        indexes = [models.Index(fields=["step", "recorded_at"])]

    def __str__(self) -> str:
        return f"Check-in on step {self.step.sequence} ({self.recorded_at:%Y-%m-%d})"

    @property
    def patient(self):  # type: ignore[no-untyped-def]
        """The plan's patient, so the access helpers can resolve a check-in."""
        return self.step.plan.patient

    @property
    def total(self) -> int:
        """Sum of the ratings, for comparing check-ins (a checklist total, not a scale score)."""
        return sum(int(value) for value in self.ratings.values())

    def symptoms(self) -> list[tuple[str, str]]:
        """The symptoms rated above none, as (label, "mild"/"moderate"/"severe")."""
        return [
            (item.label, RATINGS[int(self.ratings[item.code])])
            for item in CHECKLIST
            if int(self.ratings.get(item.code, 0)) > 0
        ]
