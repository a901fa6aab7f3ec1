"""Adherence reported at follow-up, the antidepressant trial review on synthetic histories, and
the prescriber's decision on the possible treatment-resistance suggestion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.domain.measurement import TrialVerdict
from dosewise.patients.models import Patient
from dosewise.prescribing import adherence
from dosewise.prescribing.models import (
    AdherenceRecord,
    Prescription,
    RegimenEvent,
    TrialSuggestionDecision,
)


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def course(
    patient: Patient,
    author: Membership,
    drug: str,
    strength: int,
    *,
    start: int,
    end: int | None = None,
) -> Prescription:
    """A course of one tablet a day from `start` days ago, stopped `end` days ago (setup rows,
    as the history test builds them)."""
    prescription = Prescription.objects.create(
        organization=patient.organization,
        patient=patient,
        drug=drug,
        form="tablet",
        strength_mg=Decimal(strength),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(1),
        sig="Take 1 tablet by mouth once daily.",
        start_on=days_ago(start),
        days_supply=30,
        prescriber=author.user,
    )
    for kind, day, reason in (
        ("started", start, "new-treatment"),
        ("discontinued", end, "ineffective"),
    ):
        if day is None:
            continue
        RegimenEvent.objects.create(
            organization=patient.organization,
            patient=patient,
            prescription=prescription,
            kind=kind,
            effective_on=days_ago(day),
            reason=reason,
            daily_mg=prescription.daily_mg,
            author=author.user,
        )
    if end is not None:
        Prescription.objects.filter(pk=prescription.pk).update(status="stopped")
    return prescription


def phq9(patient: Patient, author: Membership, total: int, *, ago: int) -> None:
    """A PHQ-9 of `total` (item 9 always 0, so no alert) administered `ago` days ago."""
    answers = [0] * 9
    left = total
    for index in range(8):
        answers[index] = min(3, left)
        left -= answers[index]
    assert left == 0
    moment = timezone.make_aware(
        dt.datetime.combine(days_ago(ago), dt.time(10, 0)), timezone.get_current_timezone()
    )
    assessments.record_assessment(
        author,
        patient,
        instrument="phq9",
        answers=answers,
        answered_by="patient",
        mode="in-clinic",
        administered_at=moment,
    )


def two_failed_trials(
    patient: Patient, prescriber: Membership
) -> tuple[Prescription, Prescription]:
    """Sertraline 100 mg for 10 weeks, then fluoxetine 20 mg for 130 days; PHQ-9 20 -> 19 -> 18."""
    sertraline = course(patient, prescriber, "sertraline", 100, start=200, end=130)
    fluoxetine = course(patient, prescriber, "fluoxetine", 20, start=130)
    phq9(patient, prescriber, 20, ago=200)
    phq9(patient, prescriber, 19, ago=130)
    phq9(patient, prescriber, 18, ago=10)
    return sertraline, fluoxetine


# --- Recording adherence ----------------------------------------------------------------------


@pytest.mark.django_db
def test_records_adherence_with_its_audit_event(prescriber: Membership, patient: Patient) -> None:
    prescription = course(patient, prescriber, "sertraline", 50, start=30)

    entry = adherence.record_adherence(
        prescriber,
        prescription,
        status="taking-not-as-directed",
        on=days_ago(1),
        note="Forgets evening doses",
    )

    assert list(
        AdherenceRecord.objects.values_list(
            "patient_id", "prescription_id", "status", "reported_on", "note", "author_id"
        )
    ) == [
        (
            patient.pk,
            prescription.pk,
            "taking-not-as-directed",
            days_ago(1),
            "Forgets evening doses",
            prescriber.user_id,
        )
    ]
    event = AuditEvent.objects.get(action="adherence.record")
    assert (event.patient_id, event.target_id, event.detail) == (
        patient.pk,
        str(entry.uuid),
        {
            "prescription": str(prescription.uuid),
            "drug": "sertraline",
            "status": "taking-not-as-directed",
            "on": days_ago(1).isoformat(),
        },
    )


@pytest.mark.django_db
def test_refuses_an_unknown_status_naming_it_and_writes_nothing(
    prescriber: Membership, patient: Patient
) -> None:
    prescription = course(patient, prescriber, "sertraline", 50, start=30)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as caught:
        adherence.record_adherence(prescriber, prescription, status="poor", on=days_ago(1))

    assert caught.value.message_dict == {
        "status": [
            "Unknown adherence status 'poor'; use taking-as-directed, taking-not-as-directed, "
            "stopped."
        ]
    }
    assert AdherenceRecord.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_refuses_a_report_dated_before_the_drug_was_started(
    prescriber: Membership, patient: Patient
) -> None:
    prescription = course(patient, prescriber, "sertraline", 50, start=30)

    with pytest.raises(ValidationError) as caught:
        adherence.record_adherence(prescriber, prescription, status="stopped", on=days_ago(31))

    assert caught.value.message_dict == {
        "on": [
            f"sertraline was started on {days_ago(30).isoformat()}; adherence cannot be "
            "reported before that."
        ]
    }
    assert AdherenceRecord.objects.count() == 0


@pytest.mark.django_db
def test_visit_form_records_every_row_answered(
    client_for, nurse: Membership, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    sertraline = course(patient, prescriber, "sertraline", 50, start=30)
    prazosin = course(patient, prescriber, "prazosin", 1, start=20)
    url = reverse("prescribing:adherence-visit", args=[patient.uuid])

    page = client_for(nurse).get(url)
    assert page.status_code == 200
    assert b"sertraline" in page.content and b"prazosin" in page.content

    response = client_for(nurse).post(
        url,
        {
            "on": timezone.localdate().isoformat(),
            f"status_{sertraline.uuid}": "stopped",
            f"note_{sertraline.uuid}": "Stopped 2 weeks ago: nausea",
            f"status_{prazosin.uuid}": "",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("prescribing:medication-history", args=[patient.uuid])
    assert list(
        AdherenceRecord.objects.values_list("prescription_id", "status", "note", "author_id")
    ) == [(sertraline.pk, "stopped", "Stopped 2 weeks ago: nausea", nurse.user_id)]


@pytest.mark.django_db
def test_visit_form_with_nothing_answered_says_so_and_writes_nothing(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    sertraline = course(patient, prescriber, "sertraline", 50, start=30)

    response = client_for(prescriber).post(
        reverse("prescribing:adherence-visit", args=[patient.uuid]),
        {"on": timezone.localdate().isoformat(), f"status_{sertraline.uuid}": "poor"},
    )

    assert response.status_code == 400
    assert "Status for sertraline: choose one of the answers shown." in response.content.decode()
    assert AdherenceRecord.objects.count() == 0


# --- The trial review -------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_adequate_trials_without_response_suggest_treatment_resistance(
    prescriber: Membership, patient: Patient
) -> None:
    two_failed_trials(patient, prescriber)

    review = adherence.trial_review(patient, on=timezone.localdate())

    assert [
        (
            item.trial.drug,
            item.trial.start,
            item.trial.end,
            item.trial.verdict,
            item.baseline.total if item.baseline else None,
            item.outcome.total if item.outcome else None,
            item.change_percent,
            item.not_improving,
        )
        for item in review.outcomes
    ] == [
        (
            "sertraline",
            days_ago(200),
            days_ago(130),
            TrialVerdict.ADEQUATE,
            20,
            19,
            Decimal("-5.0"),
            True,
        ),
        ("fluoxetine", days_ago(130), None, TrialVerdict.ADEQUATE, 19, 18, Decimal("-5.3"), True),
    ]
    assert review.suggestion is not None
    assert adherence.suggestion_trials(review.suggestion) == [
        {"drug": "sertraline", "start": days_ago(200).isoformat()},
        {"drug": "fluoxetine", "start": days_ago(130).isoformat()},
    ]


@pytest.mark.django_db
def test_one_failed_trial_gives_no_suggestion(prescriber: Membership, patient: Patient) -> None:
    course(patient, prescriber, "sertraline", 100, start=200)
    phq9(patient, prescriber, 20, ago=200)
    phq9(patient, prescriber, 19, ago=10)

    review = adherence.trial_review(patient, on=timezone.localdate())

    assert [(item.trial.drug, item.not_improving) for item in review.outcomes] == [
        ("sertraline", True)
    ]
    assert review.suggestion is None


@pytest.mark.django_db
def test_missing_doses_make_the_trial_not_adequate(
    prescriber: Membership, patient: Patient
) -> None:
    sertraline, _fluoxetine = two_failed_trials(patient, prescriber)
    adherence.record_adherence(
        prescriber, sertraline, status="taking-not-as-directed", on=days_ago(150)
    )

    review = adherence.trial_review(patient, on=timezone.localdate())

    assert [
        (item.trial.drug, item.trial.verdict, item.not_improving) for item in review.outcomes
    ] == [
        ("sertraline", TrialVerdict.POOR_ADHERENCE, None),
        ("fluoxetine", TrialVerdict.ADEQUATE, True),
    ]
    assert review.outcomes[0].trial.reason == (
        f"adherence recorded as poor (missing doses on {days_ago(150).isoformat()})"
    )
    assert review.suggestion is None


@pytest.mark.django_db
def test_entered_in_error_prescriptions_and_scores_are_left_out(
    prescriber: Membership, patient: Patient
) -> None:
    sertraline, _fluoxetine = two_failed_trials(patient, prescriber)
    Prescription.objects.filter(pk=sertraline.pk).update(status="entered-in-error")

    review = adherence.trial_review(patient, on=timezone.localdate())

    assert [item.trial.drug for item in review.outcomes] == ["fluoxetine"]
    assert review.suggestion is None


@pytest.mark.django_db
def test_trials_card_shows_the_suggestion_and_badges(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    two_failed_trials(patient, prescriber)

    response = client_for(prescriber).get(
        reverse("prescribing:antidepressant-trials", args=[patient.uuid])
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("Not improving on an adequate trial") == 2
    assert (
        "Possible treatment-resistant depression: 2 adequate trials without response — for you "
        "to confirm or dismiss; not a diagnosis"
    ) in text
    assert 'name="decision" value="confirm"' in text
    assert "10.0 of 6" in text  # sertraline: 70 days at or above 50 mg/day


@pytest.mark.django_db
def test_medication_history_loads_the_trials_card_and_links_the_adherence_form(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )

    text = response.content.decode()
    trials = reverse("prescribing:antidepressant-trials", args=[patient.uuid])
    assert f'hx-get="{trials}" hx-trigger="load"' in text
    assert reverse("prescribing:adherence-visit", args=[patient.uuid]) in text


# --- The decision -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_prescriber_confirms_the_suggestion_and_the_card_shows_the_decision(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    two_failed_trials(patient, prescriber)
    client = client_for(prescriber)

    response = client.post(
        reverse("prescribing:trd-suggestion-decide", args=[patient.uuid]),
        {"decision": "confirm", "note": "Adherence and dose confirmed; refer for augmentation."},
    )

    assert response.status_code == 302
    made = TrialSuggestionDecision.objects.get()
    assert (made.patient_id, made.decision, made.note, made.trials, made.author_id) == (
        patient.pk,
        "confirmed",
        "Adherence and dose confirmed; refer for augmentation.",
        [
            {"drug": "sertraline", "start": days_ago(200).isoformat()},
            {"drug": "fluoxetine", "start": days_ago(130).isoformat()},
        ],
        prescriber.user_id,
    )
    event = AuditEvent.objects.get(action="trd-suggestion.decide")
    assert (event.target_id, event.detail["decision"]) == (str(made.uuid), "confirmed")
    card = client.get(reverse("prescribing:antidepressant-trials", args=[patient.uuid]))
    text = card.content.decode()
    assert "<strong>Confirmed</strong> by" in text
    assert 'name="decision"' not in text


@pytest.mark.django_db
def test_deciding_twice_or_without_a_suggestion_is_refused(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as none_yet:
        adherence.decide_trd_suggestion(prescriber, patient, decision="confirm")
    assert none_yet.value.message_dict == {
        "decision": ["There is no treatment-resistance suggestion to decide on."]
    }

    two_failed_trials(patient, prescriber)
    with pytest.raises(ValidationError) as no_reason:
        adherence.decide_trd_suggestion(prescriber, patient, decision="dismiss")
    assert no_reason.value.message_dict == {"note": ["Say why you dismiss the suggestion."]}
    with pytest.raises(ValidationError) as by_nurse:
        adherence.decide_trd_suggestion(nurse, patient, decision="confirm")
    assert list(by_nurse.value.message_dict) == ["decision"]
    assert TrialSuggestionDecision.objects.count() == 0

    adherence.decide_trd_suggestion(prescriber, patient, decision="dismiss", note="Bipolar II")
    with pytest.raises(ValidationError) as twice:
        adherence.decide_trd_suggestion(prescriber, patient, decision="confirm")
    assert twice.value.message_dict["decision"][0].startswith("Already dismissed by ")
    assert TrialSuggestionDecision.objects.count() == 1


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"), [("colleague", 403), ("front_desk", 403), ("outsider", 404)]
)
def test_only_the_care_team_records_adherence(
    request, client_for, prescriber: Membership, patient: Patient, persona: str, expected: int
) -> None:  # type: ignore[no-untyped-def]
    sertraline = course(patient, prescriber, "sertraline", 50, start=30)
    someone = request.getfixturevalue(persona)

    response = client_for(someone).post(
        reverse("prescribing:adherence-visit", args=[patient.uuid]),
        {"on": timezone.localdate().isoformat(), f"status_{sertraline.uuid}": "stopped"},
    )

    assert response.status_code == expected
    assert AdherenceRecord.objects.count() == 0


@pytest.mark.django_db
def test_htmx_asks_for_the_card_alone(client_for, prescriber: Membership, patient: Patient) -> None:  # type: ignore[no-untyped-def]
    course(patient, prescriber, "sertraline", 25, start=60)

    response = client_for(prescriber).get(
        reverse("prescribing:antidepressant-trials", args=[patient.uuid]), HTTP_HX_REQUEST="true"
    )

    text = response.content.decode()
    assert text.lstrip().startswith('<section class="card" id="antidepressant-trials"')
    assert "<html" not in text
    assert "No: dose never reached the minimum therapeutic 50 mg/day (highest 25 mg/day)" in text


@pytest.mark.django_db
def test_trials_card_costs_the_same_queries_for_a_long_record(
    client_for, prescriber: Membership, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(prescriber)
    url = reverse("prescribing:antidepressant-trials", args=[patient.uuid])
    two_failed_trials(patient, prescriber)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    short = count()
    for index in range(20):
        course(
            patient, prescriber, "escitalopram", 10, start=900 - 30 * index, end=880 - 30 * index
        )
        phq9(patient, prescriber, 15, ago=890 - 30 * index)
    for item in Prescription.objects.filter(drug="sertraline"):
        adherence.record_adherence(prescriber, item, status="taking-as-directed", on=days_ago(150))

    assert count() == short
