"""Side-effect reports (issue 6): what the patient felt, how bad, which drugs are suspected,
and what was done. Shown on the medication timeline; a severe report, or a rash on a drug with
a serious-rash warning, raises an urgent `SafetyAlert`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class SideEffectReportQuerySet(models.QuerySet["SideEffectReport"]):
    def in_record(self) -> SideEffectReportQuerySet:
        """Reports that belong to the record (not marked entered-in-error)."""
        return self.exclude(status=SideEffectReport.Status.ENTERED_IN_ERROR)


class SideEffectReport(models.Model):
    class Symptom(models.TextChoices):
        NAUSEA = "nausea", "Nausea"
        SEXUAL_DYSFUNCTION = "sexual_dysfunction", "Sexual dysfunction"
        INSOMNIA = "insomnia", "Insomnia"
        SEDATION = "sedation", "Sedation"
        WEIGHT_GAIN = "weight_gain", "Weight gain"
        TREMOR = "tremor", "Tremor"
        AKATHISIA = "akathisia", "Akathisia"
        RASH = "rash", "Rash"
        DIZZINESS = "dizziness", "Dizziness"
        HEADACHE = "headache", "Headache"
        ACTIVATION = "activation", "Activation (restlessness, agitation)"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Action(models.TextChoices):
        CONTINUE = "continue", "Continue"
        DOSE_REDUCED = "dose_reduced", "Dose reduced"
        STOPPED = "stopped", "Stopped"
        TREATED = "treated", "Treated"

    class ReportedBy(models.TextChoices):
        CLINICIAN = "clinician", "Clinician (at a visit)"
        PATIENT = "patient", "Patient"
        CAREGIVER = "caregiver", "Caregiver"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="side_effect_reports"
    )
    symptom = models.CharField(max_length=24, choices=Symptom.choices)
    other_text = models.CharField(
        max_length=200, blank=True, help_text="What the symptom is, when the symptom is Other."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    onset_on = models.DateField()
    action = models.CharField(max_length=16, choices=Action.choices)
    # The prescriptions (prescribed or outside) the reporter suspects; at least one.
    suspected = models.ManyToManyField(
        "prescribing.Prescription", related_name="side_effect_reports"
    )
    reported_by = models.CharField(
        max_length=12, choices=ReportedBy.choices, default=ReportedBy.CLINICIAN
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECORDED)
    entered_in_error_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SideEffectReportQuerySet.as_manager()

    class Meta:
        ordering = ["-onset_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "-onset_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(symptom="other") | ~Q(other_text=""),
                name="other_side_effect_is_described",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.symptom_label} from {self.onset_on}"

    @property
    def symptom_label(self) -> str:
        if self.symptom == self.Symptom.OTHER:
            return self.other_text
        return self.get_symptom_display().lower()
