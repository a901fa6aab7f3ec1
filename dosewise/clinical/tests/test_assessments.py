"""Rating-scale administrations: scored on save, and a positive suicide screen raises an alert
that stays until a clinician records a safety assessment."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.clinical.models import Assessment, SafetyAlert
from dosewise.patients.models import Patient

PHQ9_MODERATE = [1, 2, 1, 2, 1, 1, 1, 1, 0]
PHQ9_ITEM9 = [1, 2, 1, 2, 1, 1, 1, 1, 1]


def test_phq9_is_scored_and_stored(prescriber: Membership, patient: Patient) -> None:
    result = assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=PHQ9_MODERATE,
        answered_by="patient",
        mode="in-clinic",
    )
    stored = Assessment.objects.get()
    assert (stored.instrument, stored.instrument_name, stored.total, stored.band, stored.flags) == (
        "phq9",
        "PHQ-9",
        10,
        "moderate",
        [],
    )
    assert stored == result
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["assessment.create"]
    assert SafetyAlert.objects.count() == 0


def test_positive_item_9_raises_an_alert_and_notifies(
    prescriber: Membership,
    patient: Patient,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    prescriber.organization.on_call_email = "oncall@example.org"
    prescriber.organization.save()
    with django_capture_on_commit_callbacks(execute=True):
        assessments.record_assessment(
            prescriber,
            patient,
            instrument="phq9",
            answers=PHQ9_ITEM9,
            answered_by="patient",
            mode="kiosk",
        )
    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.resolved_at) == ("suicide_risk", None)
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["dr.treating@example.org", "oncall@example.org"]
    assert patient.family_name not in mail.outbox[0].body  # no PHI in email
    assessments.resolve_alert(
        prescriber, alert, safety_assessment="Passive ideation, no plan; safety plan made."
    )
    alert.refresh_from_db()
    assert alert.resolved_by == prescriber.user
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "assessment.create",
        "safety-alert.raise",
        "safety-alert.resolve",
    ]


def test_asq_acuity_raises_an_acute_alert(prescriber: Membership, patient: Patient) -> None:
    assessments.record_assessment(
        prescriber,
        patient,
        instrument="asq",
        answers=[1, 0, 0, 0, 1],
        answered_by="patient",
        mode="in-clinic",
    )
    assert list(SafetyAlert.objects.values_list("kind", flat=True)) == ["acute_risk"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"instrument": "phq99", "answers": PHQ9_MODERATE}, "instrument"),
        ({"instrument": "phq9", "answers": [1, 2]}, "answers"),
        ({"instrument": "phq9", "answers": [1, 2, 1, 2, 1, 1, 1, 1, 7]}, "answers"),
    ],
)
def test_bad_answers_are_refused_and_nothing_written(
    prescriber: Membership, patient: Patient, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        assessments.record_assessment(
            prescriber, patient, answered_by="patient", mode="in-clinic", **kwargs
        )  # type: ignore[arg-type]
    assert list(error.value.message_dict) == [field]
    assert Assessment.objects.count() == 0


def test_resolving_needs_a_written_assessment(prescriber: Membership, patient: Patient) -> None:
    assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=PHQ9_ITEM9,
        answered_by="patient",
        mode="in-clinic",
    )
    with pytest.raises(ValidationError):
        assessments.resolve_alert(prescriber, SafetyAlert.objects.get(), safety_assessment="  ")
    assert SafetyAlert.objects.open().count() == 1


def test_entered_in_error_closes_the_alert_it_raised(
    prescriber: Membership, patient: Patient
) -> None:
    assessment = assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=PHQ9_ITEM9,
        answered_by="patient",
        mode="in-clinic",
    )
    assessments.mark_assessment_entered_in_error(
        prescriber, assessment, reason="Wrong patient's tablet"
    )
    alert = SafetyAlert.objects.get()
    assert (
        alert.safety_assessment
        == "Closed: the screening was entered in error (Wrong patient's tablet)."
    )
    assert SafetyAlert.objects.open().count() == 0
