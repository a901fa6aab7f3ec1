"""Side-effect reports: recording (validation, audit, urgent alerts), access per persona,
entered in error, the form, the list, and the marker on the medication timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_patient
from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import SafetyAlert
from dosewise.domain import side_effects as rules
from dosewise.patients.models import Patient
from dosewise.prescribing import side_effects
from dosewise.prescribing.models import Prescription
from dosewise.prescribing.side_effect_models import SideEffectReport
from dosewise.prescribing.tests.side_effect_support import course, days_ago

pytestmark = pytest.mark.django_db

LAMOTRIGINE_ACTION = (
    "Stop lamotrigine unless the rash is clearly not drug-related; same-day review."
)


def report(actor: Membership, patient: Patient, suspected: list[Any], **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "symptom": "nausea",
        "severity": "mild",
        "onset_on": days_ago(2),
        "action": "continue",
        "suspected": suspected,
    }
    fields.update(changes)
    return side_effects.record_side_effect(actor, patient, **fields)


# --- Recording ---------------------------------------------------------------------------


def test_records_a_mild_nausea_with_its_audit_event_and_no_alert(
    prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=10)

    made = report(
        prescriber, patient, [sertraline], reported_by="patient", notes="Settles after food."
    )

    stored = SideEffectReport.objects.get()
    assert (
        stored.pk,
        stored.organization_id,
        stored.patient_id,
        stored.symptom,
        stored.severity,
        stored.onset_on,
        stored.action,
        stored.reported_by,
        stored.notes,
        stored.status,
        stored.recorded_by_id,
    ) == (
        made.pk,
        patient.organization_id,
        patient.pk,
        "nausea",
        "mild",
        days_ago(2),
        "continue",
        "patient",
        "Settles after food.",
        "recorded",
        prescriber.user_id,
    )
    assert list(stored.suspected.all()) == [sertraline]
    event = AuditEvent.objects.get(action="side-effect.record")
    assert (event.patient_id, event.target_id, event.detail) == (
        patient.pk,
        str(made.uuid),
        {
            "symptom": "nausea",
            "severity": "mild",
            "onset_on": days_ago(2).isoformat(),
            "action": "continue",
            "suspected": ["sertraline"],
        },
    )
    assert SafetyAlert.objects.count() == 0


def test_a_severe_report_raises_an_urgent_alert_and_emails_the_care_team(
    prescriber: Membership,
    patient: Patient,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    quetiapine = course(patient, prescriber, "quetiapine", 100, start=20)

    with django_capture_on_commit_callbacks(execute=True):
        made = report(prescriber, patient, [quetiapine], symptom="sedation", severity="severe")

    alert = SafetyAlert.objects.get()
    assert (alert.patient_id, alert.side_effect_id, alert.kind, alert.resolved_at) == (
        patient.pk,
        made.pk,
        "severe_side_effect",
        None,
    )
    assert alert.reason == (
        "Severe sedation (suspected: quetiapine). Review the patient today and decide on the "
        "suspected drug (continue, reduce, stop or treat the effect)."
    )
    assert AuditEvent.objects.filter(action="safety-alert.raise", patient=patient).count() == 1
    assert [message.to for message in mailoutbox] == [[prescriber.user.email]]
    assert "quetiapine" not in mailoutbox[0].body and "sedation" not in mailoutbox[0].body


@pytest.mark.parametrize("severity", ["mild", "moderate", "severe"])
def test_a_rash_on_lamotrigine_raises_the_serious_rash_alert_whatever_its_severity(
    prescriber: Membership, patient: Patient, severity: str
) -> None:
    """issue 6 and brief §4.4: a rash on lamotrigine is urgent; one alert, of the rash kind."""
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)

    made = report(
        prescriber, patient, [lamotrigine], symptom="rash", severity=severity, action="stopped"
    )

    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.side_effect_id) == ("serious_rash", made.pk)
    assert alert.reason == (
        f"Rash ({severity}) on lamotrigine, whose label carries a boxed warning for serious "
        f"rash (SJS/TEN). {LAMOTRIGINE_ACTION}"
    )


def test_a_mild_rash_on_sertraline_raises_nothing(prescriber: Membership, patient: Patient) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)

    report(prescriber, patient, [sertraline], symptom="rash")

    assert SideEffectReport.objects.count() == 1
    assert SafetyAlert.objects.count() == 0


def test_a_nurse_on_the_care_team_records_a_report(nurse: Membership, patient: Patient) -> None:
    sertraline = course(patient, nurse, "sertraline", 50, start=21)

    made = report(nurse, patient, [sertraline], symptom="headache")

    assert made.recorded_by_id == nurse.user_id


def test_a_recently_stopped_drug_and_the_current_dose_of_a_changed_one_may_be_suspected(
    prescriber: Membership, patient: Patient
) -> None:
    """The onset was on 50 mg; the current prescription (100 mg, from a dose change after the
    onset) stands for the same course. Paroxetine stopped 60 days before the onset."""
    first = course(patient, prescriber, "sertraline", 50, start=100)
    current = course(patient, prescriber, "sertraline", 100, start=30, replaces=first)
    paroxetine = course(patient, prescriber, "paroxetine", 20, start=300, end=100)

    made = report(
        prescriber,
        patient,
        [str(current.uuid), paroxetine.uuid],
        symptom="sexual_dysfunction",
        severity="moderate",
        onset_on=days_ago(40),
    )

    assert sorted(made.suspected.values_list("drug", flat=True)) == ["paroxetine", "sertraline"]


def test_other_is_stored_with_its_description(prescriber: Membership, patient: Patient) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)

    made = report(prescriber, patient, [sertraline], symptom="other", other_text=" Yawning ")

    assert (made.other_text, made.symptom_label) == ("Yawning", "Yawning")


BAD_INPUT = [
    ({"symptom": "itching"}, "symptom"),
    ({"severity": "life-threatening"}, "severity"),
    ({"action": "switched"}, "action"),
    ({"reported_by": "pharmacist"}, "reported_by"),
    ({"symptom": "other"}, "other_text"),
    ({"symptom": "other", "other_text": "   "}, "other_text"),
    ({"other_text": "Yawning"}, "other_text"),
    ({"symptom": "other", "other_text": "x" * 201}, "other_text"),
    ({"notes": "x" * 2001}, "notes"),
    ({"onset_on": days_ago(-1)}, "onset_on"),
    ({"onset_on": dt.date(1980, 1, 1)}, "onset_on"),
    ({"onset_on": "2026-01-01"}, "onset_on"),
    ({"suspected": []}, "suspected"),
    ({"suspected": ["not-a-uuid"]}, "suspected"),
    ({"suspected": ["00000000-0000-0000-0000-000000000000"]}, "suspected"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUT)
def test_bad_input_names_the_field_and_writes_nothing(
    prescriber: Membership, patient: Patient, changes: dict[str, Any], field: str
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as caught:
        report(prescriber, patient, **{"suspected": [sertraline], **changes})

    assert list(caught.value.message_dict) == [field]
    assert SideEffectReport.objects.count() == 0
    assert SafetyAlert.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            {"start": 5},
            "sertraline was not being taken before the onset ({onset}); check the onset date.",
        ),
        (
            {"start": 300, "end": 120},
            "sertraline was stopped more than 90 days before the onset; it cannot be suspected "
            "here (say so in the notes of a report on a current medication).",
        ),
    ],
)
def test_a_drug_not_taken_before_the_onset_or_stopped_long_before_is_refused(
    prescriber: Membership, patient: Patient, setup: dict[str, int], message: str
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, **setup)

    with pytest.raises(ValidationError) as caught:
        report(prescriber, patient, [sertraline], onset_on=days_ago(20))

    assert caught.value.message_dict == {
        "suspected": [message.format(onset=days_ago(20).isoformat())]
    }
    assert SideEffectReport.objects.count() == 0


def test_an_entered_in_error_or_another_patients_prescription_is_refused(
    prescriber: Membership, patient: Patient
) -> None:
    withdrawn = course(patient, prescriber, "sertraline", 50, start=30)
    Prescription.objects.filter(pk=withdrawn.pk).update(status="entered-in-error")
    other = make_patient(patient.organization, "MRN-0002")
    theirs = course(other, prescriber, "sertraline", 50, start=30)

    with pytest.raises(ValidationError) as first:
        report(prescriber, patient, [withdrawn.uuid])
    with pytest.raises(ValidationError) as second:
        report(prescriber, patient, [theirs.uuid])
    with pytest.raises(ValidationError) as third:
        report(prescriber, patient, [theirs])

    assert first.value.message_dict == {
        "suspected": ["sertraline was entered in error; it cannot be suspected."]
    }
    assert second.value.message_dict == {
        "suspected": [f"Not one of this patient's medications: {theirs.uuid}."]
    }
    assert third.value.message_dict == {"suspected": ["This prescription is another patient's."]}
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "refusal"),
    [
        ("colleague", NotOnCareTeam),
        ("front_desk", Http404),
        ("clinic_admin", Http404),
        ("outsider", Http404),
    ],
)
def test_only_the_care_team_records_a_report(
    request: Any, prescriber: Membership, patient: Patient, persona: str, refusal: type
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    someone = request.getfixturevalue(persona)

    with pytest.raises(refusal):
        report(someone, patient, [sertraline])

    assert SideEffectReport.objects.count() == 0
    assert AuditEvent.objects.filter(action="access.denied", actor=someone.user).count() == 1


# --- Entered in error ----------------------------------------------------------------------


def test_entered_in_error_keeps_the_report_marked_and_closes_its_alert(
    prescriber: Membership, patient: Patient
) -> None:
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)
    made = report(prescriber, patient, [lamotrigine], symptom="rash")

    marked = side_effects.mark_side_effect_entered_in_error(
        prescriber, made, reason="Wrong patient"
    )

    assert (marked.status, marked.entered_in_error_reason) == ("entered-in-error", "Wrong patient")
    alert = SafetyAlert.objects.get()
    assert alert.resolved_at is not None
    assert alert.safety_assessment == (
        "Closed: the side-effect report was entered in error (Wrong patient)."
    )
    assert AuditEvent.objects.filter(action="side-effect.entered-in-error").count() == 1
    assert SideEffectReport.objects.in_record().count() == 0


def test_entered_in_error_needs_a_reason_once_and_the_care_team(
    prescriber: Membership, colleague: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    made = report(prescriber, patient, [sertraline])

    with pytest.raises(ValidationError) as blank:
        side_effects.mark_side_effect_entered_in_error(prescriber, made, reason="  ")
    with pytest.raises(NotOnCareTeam):
        side_effects.mark_side_effect_entered_in_error(colleague, made, reason="Mistake")
    side_effects.mark_side_effect_entered_in_error(prescriber, made, reason="Mistake")
    with pytest.raises(ValidationError) as twice:
        side_effects.mark_side_effect_entered_in_error(prescriber, made, reason="Again")

    assert blank.value.message_dict == {"reason": ["Say why this report was entered in error."]}
    assert twice.value.message_dict == {
        "status": ["This side-effect is already marked entered in error."]
    }


# --- What the form offers ------------------------------------------------------------------


def test_the_form_offers_current_and_recently_stopped_drugs_one_per_course(
    prescriber: Membership, patient: Patient
) -> None:
    first = course(patient, prescriber, "sertraline", 50, start=100)
    course(patient, prescriber, "sertraline", 100, start=30, replaces=first)
    course(patient, prescriber, "paroxetine", 20, start=200, end=60)
    course(patient, prescriber, "fluoxetine", 20, start=400, end=200)
    withdrawn = course(patient, prescriber, "bupropion", 150, start=10)
    Prescription.objects.filter(pk=withdrawn.pk).update(status="entered-in-error")

    options = side_effects.suspect_options(patient, on=days_ago(0))

    assert [option.label for option in options] == [
        f"sertraline 100 mg/day (since {days_ago(100).isoformat()})",
        f"paroxetine 20 mg/day (stopped {days_ago(60).isoformat()})",
    ]


# --- Web pages ---------------------------------------------------------------------------


def test_form_records_a_rash_on_lamotrigine_and_shows_the_alert_and_the_stop_link(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)
    client = client_for(prescriber)
    url = reverse("prescribing:side-effect-new", args=[patient.uuid])

    page = client.get(url, {"prescription": str(lamotrigine.uuid)})
    response = client.post(
        url,
        {
            "symptom": "rash",
            "severity": "moderate",
            "onset_on": days_ago(1).isoformat(),
            "suspected": [str(lamotrigine.uuid)],
            "action": "stopped",
            "reported_by": "patient",
            "notes": "Red patches on the arms since yesterday.",
        },
        follow=True,
    )

    assert page.status_code == 200
    assert f'value="{lamotrigine.uuid}"' in page.content.decode()
    assert "checked" in page.content.decode().split(f'value="{lamotrigine.uuid}"')[1][:40]
    made = SideEffectReport.objects.get()
    assert response.redirect_chain == [
        (reverse("prescribing:side-effect-detail", args=[made.uuid]), 302)
    ]
    text = response.content.decode()
    assert "Urgent alert raised: Rash (moderate) on lamotrigine" in text
    assert "Rash on a drug with a serious-rash warning" in text
    assert reverse("prescribing:prescription-discontinue", args=[lamotrigine.uuid]) in text
    assert "does not change the prescription" in text


def test_nurse_sees_no_regimen_links_but_is_told_who_makes_the_change(
    client_for: Any, prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 100, start=21)
    made = report(nurse, patient, [sertraline], action="dose_reduced")

    text = client_for(nurse).get(reverse("prescribing:side-effect-detail", args=[made.uuid]))

    body = text.content.decode()
    assert reverse("prescribing:prescription-change-dose", args=[sertraline.uuid]) not in body
    assert "The prescriber makes the change from the prescription" in body


def test_report_page_says_when_the_suspected_drug_is_already_stopped(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    stopped = course(patient, prescriber, "sertraline", 50, start=40, end=1)
    made = report(prescriber, patient, [stopped], action="stopped", onset_on=days_ago(3))

    response = client_for(prescriber).get(
        reverse("prescribing:side-effect-detail", args=[made.uuid])
    )

    body = response.content.decode()
    assert "The suspected prescriptions are no longer active" in body
    assert reverse("prescribing:prescription-discontinue", args=[stopped.uuid]) not in body


def test_form_shows_the_services_error_beside_the_field_and_writes_nothing(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=5)

    response = client_for(prescriber).post(
        reverse("prescribing:side-effect-new", args=[patient.uuid]),
        {
            "symptom": "nausea",
            "severity": "mild",
            "onset_on": days_ago(20).isoformat(),
            "suspected": [str(sertraline.uuid)],
            "action": "continue",
            "reported_by": "clinician",
        },
    )

    assert response.status_code == 400
    assert "sertraline was not being taken before the onset" in response.content.decode()
    assert SideEffectReport.objects.count() == 0


def test_form_refuses_a_medication_it_did_not_offer(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    course(patient, prescriber, "sertraline", 50, start=21)
    old = course(patient, prescriber, "fluoxetine", 20, start=400, end=200)

    response = client_for(prescriber).post(
        reverse("prescribing:side-effect-new", args=[patient.uuid]),
        {
            "symptom": "nausea",
            "severity": "mild",
            "onset_on": days_ago(1).isoformat(),
            "suspected": [str(old.uuid)],
            "action": "continue",
            "reported_by": "clinician",
        },
    )

    assert response.status_code == 400
    assert "Choose from the medications listed." in response.content.decode()
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("colleague", 403), ("front_desk", 403), ("clinic_admin", 403), ("outsider", 404)],
)
def test_only_the_care_team_opens_the_form(
    request: Any, client_for: Any, patient: Patient, persona: str, expected: int
) -> None:
    someone = request.getfixturevalue(persona)

    response = client_for(someone).get(reverse("prescribing:side-effect-new", args=[patient.uuid]))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("prescriber", 200),
        ("colleague", 200),
        ("front_desk", 403),
        ("clinic_admin", 403),
        ("outsider", 404),
    ],
)
def test_clinicians_of_the_organization_read_the_list_and_the_report(
    request: Any,
    client_for: Any,
    prescriber: Membership,
    patient: Patient,
    persona: str,
    expected: int,
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    made = report(prescriber, patient, [sertraline])
    client = client_for(request.getfixturevalue(persona))

    listed = client.get(reverse("prescribing:side-effect-list", args=[patient.uuid]))
    shown = client.get(reverse("prescribing:side-effect-detail", args=[made.uuid]))

    assert (listed.status_code, shown.status_code) == (expected, expected)


def test_list_shows_every_report_marks_withdrawn_ones_and_is_audited(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    report(prescriber, patient, [sertraline], symptom="headache")
    wrong = report(prescriber, patient, [sertraline], symptom="tremor")
    side_effects.mark_side_effect_entered_in_error(prescriber, wrong, reason="Other patient")

    response = client_for(prescriber).get(
        reverse("prescribing:side-effect-list", args=[patient.uuid])
    )

    text = response.content.decode()
    assert "Headache" in text
    assert '<del>Tremor</del> <span class="tag">Entered in error</span>' in text
    event = AuditEvent.objects.filter(action="side-effect.list").get()
    assert (event.patient_id, event.detail) == (patient.pk, {"count": 2})


def test_web_entered_in_error_with_a_reason(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=21)
    made = report(prescriber, patient, [sertraline])
    url = reverse("prescribing:side-effect-entered-in-error", args=[made.uuid])

    blank = client_for(prescriber).post(url, {"reason": ""}, follow=True)
    done = client_for(prescriber).post(url, {"reason": "Duplicate"}, follow=True)

    assert "Say why this report was entered in error." in blank.content.decode()
    assert "Entered in error:</strong> Duplicate" in done.content.decode()
    made.refresh_from_db()
    assert made.status == "entered-in-error"


def test_chart_and_medication_history_link_to_side_effects(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    client = client_for(prescriber)
    new = reverse("prescribing:side-effect-new", args=[patient.uuid])
    listed = reverse("prescribing:side-effect-list", args=[patient.uuid])

    chart = client.get(patient.get_absolute_url()).content.decode()
    history = client.get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    ).content.decode()

    assert new in chart and listed in chart
    assert new in history and listed in history


# --- The medication timeline ---------------------------------------------------------------


def test_timeline_marks_the_suspected_drugs_lane_at_the_onset_urgent_ones_apart(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=60)
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)
    nausea = report(prescriber, patient, [sertraline], onset_on=days_ago(55))
    rash = report(prescriber, patient, [lamotrigine], symptom="rash", onset_on=days_ago(3))
    wrong = report(prescriber, patient, [sertraline], symptom="tremor", onset_on=days_ago(10))
    side_effects.mark_side_effect_entered_in_error(prescriber, wrong, reason="Wrong chart")

    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )

    layout = response.context["layout"]
    lanes = {lane.drug: lane for lane in layout.lanes}
    kinds = {
        drug: [(m.kind, m.anchor) for m in lane.markers if m.kind.startswith("side_effect")]
        for drug, lane in lanes.items()
    }
    assert kinds == {
        "sertraline": [("side_effect", f"side-effect-{nausea.uuid}")],
        "lamotrigine": [("side_effect_urgent", f"side-effect-{rash.uuid}")],
    }
    marker = next(m for m in lanes["sertraline"].markers if m.kind == "side_effect")
    assert marker.title == (
        f"{days_ago(55).isoformat()} — Side effect (mild): nausea; suspected sertraline. "
        "Action: continue."
    )
    text = response.content.decode()
    assert f'href="#side-effect-{rash.uuid}"' in text
    assert f'id="side-effect-{rash.uuid}"' in text  # the row the marker links to
    assert "Side effect that raised an urgent alert" in text  # the legend
    assert "tremor" not in text.lower()


def test_timeline_legend_leaves_out_side_effects_when_there_are_none(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    course(patient, prescriber, "sertraline", 50, start=60)

    response = client_for(prescriber).get(
        reverse("prescribing:medication-history", args=[patient.uuid])
    )

    assert "Side effect (onset)" not in response.content.decode()
    assert "No side effects reported." in response.content.decode()


def test_the_model_vocabulary_is_the_rules_vocabulary() -> None:
    assert list(SideEffectReport.Symptom.values) == list(rules.SYMPTOMS)
    assert tuple(SideEffectReport.Severity.values) == rules.SEVERITIES
    assert {kind.value for kind in rules.AlertKind} <= set(SafetyAlert.Kind.values)


def test_side_effects_cost_the_history_page_one_query_whatever_their_number(
    client_for: Any, prescriber: Membership, patient: Patient
) -> None:
    sertraline = course(patient, prescriber, "sertraline", 50, start=60)
    lamotrigine = course(patient, prescriber, "lamotrigine", 25, start=21)
    client = client_for(prescriber)
    url = reverse("prescribing:medication-history", args=[patient.uuid])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    report(prescriber, patient, [sertraline])
    one = count()
    for day in range(2, 12):
        report(prescriber, patient, [sertraline, lamotrigine], onset_on=days_ago(day))
    report(prescriber, patient, [lamotrigine], symptom="rash")

    assert count() == one
