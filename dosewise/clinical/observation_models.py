"""Lab results and vitals (issue 6): one LOINC-coded value per row, kept as entered and in the
catalogue's canonical unit, with its interpretation at the time it was recorded."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dosewise.domain.labs import Flag, LabTest, catalogue

# Each test of the catalogue (`dosewise/domain/knowledge/labs.toml`): id -> name.
LAB_LABELS = {test.id: test.name for test in catalogue().tests.values()}
# The preferred (first) LOINC code of each test.
TEST_LOINC = {test.id: test.loinc[0] for test in catalogue().tests.values()}


class ObservationQuerySet(models.QuerySet["Observation"]):
    def in_record(self) -> ObservationQuerySet:
        """Results that belong to the record (not marked entered-in-error)."""
        return self.exclude(status=Observation.Status.ENTERED_IN_ERROR)


class Observation(models.Model):
    """A lab result or vital sign (FHIR Observation): the value as entered, the same value in
    the canonical unit the safety engine and monitoring protocols read, or a code for a
    qualitative result (HLA-B*15:02), with the flag and reference range it was read against."""

    Test = models.TextChoices(  # type: ignore[misc,call-overload]
        "Test", [(test_id.upper(), (test_id, name)) for test_id, name in LAB_LABELS.items()]
    )

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    Interpretation = models.TextChoices(  # type: ignore[misc,call-overload]
        "Interpretation",
        [(flag.name, (flag.value, flag.value.replace("-", " ").capitalize())) for flag in Flag],
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="observations"
    )
    test = models.CharField(max_length=20, choices=Test.choices)
    loinc_code = models.CharField("LOINC code", max_length=12)
    # Canonical value and unit (what the safety engine and protocols read); empty for a code.
    value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # The value as the clinician entered it, in the unit they chose.
    entered_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    entered_unit = models.CharField(max_length=24, blank=True)
    # A qualitative result's answer (e.g. "positive").
    value_code = models.CharField(max_length=20, blank=True)
    interpretation = models.CharField(max_length=16, choices=Interpretation.choices)
    interpretation_note = models.CharField(max_length=300, blank=True)
    # The reference range the result was read against, as it was then.
    reference_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    reference_text = models.CharField(max_length=120, blank=True)
    effective_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    entered_in_error_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "test", "-effective_on"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(value__isnull=False, entered_value__isnull=False, value_code="")
                    | Q(value__isnull=True, entered_value__isnull=True, unit="") & ~Q(value_code="")
                ),
                name="observation_has_a_value_or_a_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_test_display()} {self.shown_value} on {self.effective_on}"

    @property
    def loinc(self) -> str:
        return self.loinc_code or TEST_LOINC[self.test]

    @property
    def lab_test(self) -> LabTest:
        """The catalogue entry of this result's test."""
        return catalogue().tests[self.test]

    @property
    def is_critical(self) -> bool:
        return self.interpretation in (Flag.CRITICAL_HIGH, Flag.CRITICAL_LOW)

    @property
    def shown_value(self) -> str:
        """The canonical value with the test's decimals and unit, or the code's display."""
        test = self.lab_test
        if self.value is None:
            return next(
                (code.display for code in test.value_codes if code.code == self.value_code),
                self.value_code,
            )
        return f"{test.format(self.value)} {self.unit}"

    @property
    def shown_entered(self) -> str:
        """The value as entered, when it was entered in another unit ("" otherwise)."""
        if self.entered_value is None or self.entered_unit == self.unit:
            return ""
        return f"{format(self.entered_value.normalize(), 'f')} {self.entered_unit}"
