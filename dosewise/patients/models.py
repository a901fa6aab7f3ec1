"""The patient, their allergies and their care team."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dosewise.domain.ages import age_in_years


class PatientQuerySet(models.QuerySet["Patient"]):
    def search(self, text: str) -> PatientQuerySet:
        """Name words, an MRN, or a date of birth (YYYY-MM-DD or MM/DD/YYYY)."""
        text = text.strip()
        if not text:
            return self
        for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                born = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, not a time
            except ValueError:
                continue
            return self.filter(date_of_birth=born)
        words = Q()
        for word in text.replace(",", " ").split():
            words &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        return self.filter(Q(mrn__iexact=text) | words)


class Patient(models.Model):
    """A person receiving care from one organization; identified to users by MRN."""

    class SexAtBirth(models.TextChoices):
        # US Core birth sex values.
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        UNKNOWN = "UNK", "Unknown"

    class PregnancyStatus(models.TextChoices):
        NOT_APPLICABLE = "not-applicable", "Not applicable"
        NOT_PREGNANT = "not-pregnant", "Not pregnant"
        PREGNANT = "pregnant", "Pregnant"
        UNKNOWN = "unknown", "Unknown"

    class LactationStatus(models.TextChoices):
        NOT_APPLICABLE = "not-applicable", "Not applicable"
        NOT_BREASTFEEDING = "not-breastfeeding", "Not breastfeeding"
        BREASTFEEDING = "breastfeeding", "Breastfeeding"
        UNKNOWN = "unknown", "Unknown"

    class SmokingStatus(models.TextChoices):
        # US Core smoking status categories (SNOMED CT based).
        CURRENT_EVERY_DAY = "current-every-day", "Current every day smoker"
        CURRENT_SOME_DAY = "current-some-day", "Current some day smoker"
        FORMER = "former", "Former smoker"
        NEVER = "never", "Never smoker"
        UNKNOWN = "unknown", "Smoking status unknown"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField(
        "MRN", max_length=32, help_text="Medical record number, unique in the organization."
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=3, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=80, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=80, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    preferred_pharmacy = models.CharField(max_length=200, blank=True)
    pregnancy_status = models.CharField(
        max_length=16, choices=PregnancyStatus.choices, default=PregnancyStatus.UNKNOWN
    )
    lactation_status = models.CharField(
        max_length=20, choices=LactationStatus.choices, default=LactationStatus.UNKNOWN
    )
    height_cm = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20"))],
    )
    weight_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    smoking_status = models.CharField(
        max_length=20, choices=SmokingStatus.choices, default=SmokingStatus.UNKNOWN
    )
    # Benign ethnic neutropenia ("Duffy-null associated neutrophil count"): a lower normal ANC
    # (1000/uL, clozapine label); changes how an ANC is read. Set by the care team (audited).
    benign_ethnic_neutropenia = models.BooleanField(
        "benign ethnic neutropenia",
        default=False,
        help_text="Duffy-null associated neutrophil count: normal ANC from 1000/uL.",
    )
    # Patient portal login, when the patient has one (a later issue builds the portal).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient",
    )
    # Bumped by every medication change; a form or API call that read an older version gets an
    # edit conflict instead of silently overwriting a colleague's change.
    regimen_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mrn"], name="mrn_unique_per_organization"
            ),
            models.CheckConstraint(
                condition=Q(height_cm__gt=0) | Q(height_cm__isnull=True), name="height_positive"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) | Q(weight_kg__isnull=True), name="weight_positive"
            ),
        ]
        indexes = [models.Index(fields=["organization", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} (MRN {self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:patient-chart", args=[self.uuid])

    @property
    def age(self) -> int:
        return age_in_years(self.date_of_birth, on=timezone.localdate())

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Allergy(models.Model):
    """An allergy or intolerance, recorded for prescribing safety (FHIR AllergyIntolerance)."""

    class Category(models.TextChoices):
        MEDICATION = "medication", "Medication"
        FOOD = "food", "Food"
        ENVIRONMENT = "environment", "Environment"
        BIOLOGIC = "biologic", "Biologic"

    class Type(models.TextChoices):
        ALLERGY = "allergy", "Allergy"
        INTOLERANCE = "intolerance", "Intolerance"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        RESOLVED = "resolved", "Resolved"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    category = models.CharField(
        max_length=16, choices=Category.choices, default=Category.MEDICATION
    )
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.ALLERGY)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    entered_in_error_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_type_display().lower()})"


class CareTeamMemberQuerySet(models.QuerySet["CareTeamMember"]):
    def current(self) -> CareTeamMemberQuerySet:
        return self.filter(ended_at__isnull=True)


class CareTeamMember(models.Model):
    """A clinician of the organization who cares for this patient and may write to the chart."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_places"
    )
    reason = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CareTeamMemberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_current_place_per_clinician",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on the care team of {self.patient}"
