"""Lab results and vitals the safety engine reads (issue 6): one coded value per row."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dosewise.domain.safety.facts import LAB_LOINC, LAB_UNITS

# Each test the engine reads: its label and LOINC code (the first LOINC code listed for it).
LAB_LABELS = {
    "lithium": "Lithium level",
    "valproate": "Valproate level",
    "anc": "Absolute neutrophil count (ANC)",
    "qtc": "QTc interval (ECG)",
    "sodium": "Sodium",
    "potassium": "Potassium",
    "egfr": "eGFR",
    "alt": "ALT",
}
TEST_LOINC: dict[str, str] = {}
for _code, _test in LAB_LOINC.items():
    TEST_LOINC.setdefault(_test, _code)


class ObservationQuerySet(models.QuerySet["Observation"]):
    def in_record(self) -> ObservationQuerySet:
        """Results that belong to the record (not marked entered-in-error)."""
        return self.exclude(status=Observation.Status.ENTERED_IN_ERROR)


class Observation(models.Model):
    """A lab result or vital (FHIR Observation), in the one unit the engine accepts."""

    class Test(models.TextChoices):
        LITHIUM = "lithium", LAB_LABELS["lithium"]
        VALPROATE = "valproate", LAB_LABELS["valproate"]
        ANC = "anc", LAB_LABELS["anc"]
        QTC = "qtc", LAB_LABELS["qtc"]
        SODIUM = "sodium", LAB_LABELS["sodium"]
        POTASSIUM = "potassium", LAB_LABELS["potassium"]
        EGFR = "egfr", LAB_LABELS["egfr"]
        ALT = "alt", LAB_LABELS["alt"]

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="observations"
    )
    test = models.CharField(max_length=20, choices=Test.choices)
    value = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=20)
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

    def __str__(self) -> str:
        return f"{self.get_test_display()} {self.value} {self.unit} on {self.effective_on}"

    @property
    def loinc(self) -> str:
        return TEST_LOINC[self.test]

    @property
    def expected_unit(self) -> str:
        return LAB_UNITS[self.test]
