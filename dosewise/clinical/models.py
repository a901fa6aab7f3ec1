"""Encounters and the coded problem list."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

# The structured sections of a psychiatric assessment, in the order a note is read.
ENCOUNTER_SECTIONS: tuple[tuple[str, str], ...] = (
    ("chief_complaint", "Chief complaint"),
    ("history_of_present_illness", "History of present illness"),
    ("psychiatric_history", "Psychiatric history"),
    ("medical_history", "Medical history"),
    ("substance_use", "Substance use"),
    ("family_history", "Family history"),
    ("social_history", "Social history and lifestyle"),
    ("symptoms", "Symptoms"),
    ("mental_status_exam", "Mental status examination"),
    ("risk_assessment", "Risk assessment"),
    ("plan", "Plan"),
)


class EncounterQuerySet(models.QuerySet["Encounter"]):
    def in_record(self) -> EncounterQuerySet:
        """Encounters that belong to the record (not marked entered-in-error)."""
        return self.exclude(status=Encounter.Status.ENTERED_IN_ERROR)


class Encounter(models.Model):
    """A visit with a clinician. Drafts may change; a signed note only receives addenda."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "Intake (initial assessment)"
        FOLLOW_UP = "follow-up", "Follow-up"
        MEDICATION_CHECK = "medication-check", "Medication check"

    class Mode(models.TextChoices):
        IN_PERSON = "in-person", "In person"
        TELEHEALTH = "telehealth", "Telehealth"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="encounters"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    occurred_on = models.DateField()
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    chief_complaint = models.TextField(blank=True)
    history_of_present_illness = models.TextField(blank=True)
    psychiatric_history = models.TextField(blank=True)
    medical_history = models.TextField(blank=True)
    substance_use = models.TextField(blank=True)
    family_history = models.TextField(blank=True)
    social_history = models.TextField(blank=True)
    symptoms = models.TextField(blank=True)
    mental_status_exam = models.TextField(blank=True)
    risk_assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)

    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EncounterQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed")
                | (Q(signed_by__isnull=False) & Q(signed_at__isnull=False)),
                name="signed_encounter_has_signer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"

    def get_absolute_url(self) -> str:
        return reverse("clinical:encounter-detail", args=[self.uuid])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def sections(self) -> list[tuple[str, str, str]]:
        """(field, label, text) for each structured section."""
        return [(field, label, getattr(self, field)) for field, label in ENCOUNTER_SECTIONS]


class EncounterAddendum(models.Model):
    """A dated addition to a signed encounter; the signed text itself never changes."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "encounter addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.encounter} at {self.created_at:%Y-%m-%d %H:%M}"


class DiagnosisQuerySet(models.QuerySet["Diagnosis"]):
    def in_record(self) -> DiagnosisQuerySet:
        return self.exclude(status=Diagnosis.Status.ENTERED_IN_ERROR)

    def active(self) -> DiagnosisQuerySet:
        return self.filter(status__in=Diagnosis.ACTIVE_STATUSES)


class Diagnosis(models.Model):
    """A coded problem-list entry (ICD-10-CM), with FHIR Condition clinical status."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RECURRENCE = "recurrence", "Recurrence"
        RELAPSE = "relapse", "Relapse"
        REMISSION = "remission", "Remission"
        RESOLVED = "resolved", "Resolved"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    # FHIR groups recurrence and relapse under active.
    ACTIVE_STATUSES = (Status.ACTIVE, Status.RECURRENCE, Status.RELAPSE)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="diagnoses"
    )
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="diagnoses"
    )
    code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    onset_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    entered_in_error_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class Icd10CmCode(models.Model):
    """One code of the ICD-10-CM code set (CDC/NCHS, April 1 2026 release).

    A compact copy filled by a migration from the simple-icd-10-cm package, so searching and
    validating codes never imports that package (1.4 s, 190 MB) in a web process.
    """

    code = models.CharField(max_length=8, primary_key=True)
    description = models.CharField(max_length=400)
    is_billable = models.BooleanField()
    # Lower-cased "code description" for word search.
    search_text = models.CharField(max_length=420)

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def in_record(self) -> AssessmentQuerySet:
        return self.exclude(status=Assessment.Status.ENTERED_IN_ERROR)


class Assessment(models.Model):
    """One administration of a rating scale (PHQ-9, GAD-7...): item answers, the computed
    total, band and flags, and who answered, how and when."""

    class AnsweredBy(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINICIAN = "clinician", "Clinician"

    class Mode(models.TextChoices):
        IN_CLINIC = "in-clinic", "In clinic"
        KIOSK = "kiosk", "Waiting-room tablet"
        TELEHEALTH = "telehealth", "Telehealth"
        PORTAL = "portal", "Patient portal"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.CharField(max_length=32, help_text="Instrument id, e.g. phq9.")
    instrument_name = models.CharField(max_length=64, help_text="Printed name, e.g. PHQ-9.")
    answers = models.JSONField()
    total = models.IntegerField()
    band = models.CharField(max_length=40, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    answered_by = models.CharField(max_length=10, choices=AnsweredBy.choices)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    administered_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    entered_in_error_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-administered_at"]
        indexes = [models.Index(fields=["patient", "instrument", "administered_at"])]

    def __str__(self) -> str:
        return f"{self.instrument_name} {self.total} on {self.administered_at:%Y-%m-%d}"


class SafetyAlertQuerySet(models.QuerySet["SafetyAlert"]):
    def open(self) -> SafetyAlertQuerySet:
        return self.filter(resolved_at__isnull=True)


class SafetyAlert(models.Model):
    """An urgent alert: a positive suicide item or ASQ screen, a critical lab result, or a
    severe side effect (or a rash on a drug with a serious-rash warning). It stays on the chart
    and at the top of the clinicians' worklists until a clinician records what was done."""

    class Kind(models.TextChoices):
        SUICIDE_RISK = "suicide_risk", "Suicide risk screen positive"
        ACUTE_RISK = "acute_risk", "Acute suicide risk"
        CRITICAL_LAB = "critical_lab", "Critical lab result"
        SEVERE_SIDE_EFFECT = "severe_side_effect", "Severe side effect"
        SERIOUS_RASH = "serious_rash", "Rash on a drug with a serious-rash warning"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    # What raised the alert: exactly one of these three.
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    observation = models.ForeignKey(
        "clinical.Observation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    side_effect = models.ForeignKey(
        "prescribing.SideEffectReport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Why, in a clinician's words, e.g. "Lithium 1.6 mmol/L (critical at or above 1.5)".
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The clinician's answer: the safety assessment, or for a lab or side effect the action taken.
    safety_assessment = models.TextField(blank=True)

    objects = SafetyAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(safety_assessment=""),
                name="resolved_alert_has_safety_assessment",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        assessment__isnull=False,
                        observation__isnull=True,
                        side_effect__isnull=True,
                    )
                    | Q(
                        assessment__isnull=True,
                        observation__isnull=False,
                        side_effect__isnull=True,
                    )
                    | Q(
                        assessment__isnull=True,
                        observation__isnull=True,
                        side_effect__isnull=False,
                    )
                ),
                name="safety_alert_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.patient})"

    @property
    def is_suicide_risk(self) -> bool:
        return self.assessment_id is not None


from dosewise.clinical.observation_models import Observation  # noqa: E402, F401
