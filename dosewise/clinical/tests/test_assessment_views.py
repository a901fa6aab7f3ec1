"""The clinician's measurement pages: administering a scale through the form, the urgent banner
on the chart and its safety-assessment form, scores and trends, and the worklist."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_patient
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import assessments
from dosewise.clinical.assessment_views import widen
from dosewise.clinical.models import Assessment, SafetyAlert
from dosewise.domain import timeline
from dosewise.domain.regimen import EventKind
from dosewise.patients.models import CareTeamMember, Patient

PHQ9_MODERATE = [1, 2, 1, 2, 1, 1, 1, 1, 0]  # total 10
PHQ9_ITEM9 = [1, 2, 1, 2, 1, 1, 1, 1, 1]  # total 11, item 9 "several days"
_AUDIT_LOCK = 1 if connection.vendor == "postgresql" else 0
TRENDS_QUERIES = 16 + _AUDIT_LOCK
WORKLIST_QUERIES = 30 + _AUDIT_LOCK  # seven sections, each a fixed number of queries


def _form(answers: list[int | None], **extra: str) -> dict[str, str]:
    data = {"instrument": "phq9", "answered_by": "patient", "mode": "in-clinic", **extra}
    for number, value in enumerate(answers, start=1):
        if value is not None:
            data[f"item_{number}"] = str(value)
    return data


def _record(actor: Membership, patient: Patient, answers: list[int], when: dt.datetime) -> None:
    assessments.record_assessment(
        actor,
        patient,
        instrument="phq9",
        answers=answers,
        answered_by="patient",
        mode="in-clinic",
        administered_at=when,
    )


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_chooser_lists_the_instruments(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(reverse("clinical:assessment-new", args=[patient.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("PHQ-9", "GAD-7", "PCL-5", "AIMS", "ASQ"):
        assert f"<strong>{name}</strong>" in body


def test_form_shows_item_wording_options_and_copyright(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(
        reverse("clinical:assessment-new", args=[patient.uuid]) + "?instrument=phq9"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "1. Little interest or pleasure in doing things?" in body
    assert body.count('name="item_9"') == 4
    assert "More than half the days" in body
    assert "PHQ-9 © Pfizer Inc." in body
    assert 'name="item_10"' not in body  # the unscored difficulty item is not stored


def test_unknown_instrument_names_the_field(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).get(
        reverse("clinical:assessment-new", args=[patient.uuid]) + "?instrument=cssrs"
    )
    assert response.status_code == 400
    assert "Instrument: unknown instrument &#x27;cssrs&#x27;" in response.content.decode()


def test_administer_phq9_through_the_form(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    response = client_for(prescriber).post(
        reverse("clinical:assessment-new", args=[patient.uuid]),
        _form(PHQ9_MODERATE, mode="telehealth", answered_by="clinician"),
    )
    stored = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clinical:assessment-detail", args=[stored.uuid])
    assert (
        stored.patient,
        stored.instrument,
        stored.instrument_name,
        stored.answers,
        stored.total,
        stored.band,
        stored.positive,
        stored.flags,
        stored.answered_by,
        stored.mode,
        stored.encounter,
        stored.recorded_by,
    ) == (
        patient,
        "phq9",
        "PHQ-9",
        PHQ9_MODERATE,
        10,
        "moderate",
        None,
        [],
        "clinician",
        "telehealth",
        None,
        prescriber.user,
    )
    assert SafetyAlert.objects.count() == 0
    result = client_for(prescriber).get(response["Location"]).content.decode()
    assert "<dt>Total</dt><dd>10 of 27</dd>" in result
    assert "<dt>Band</dt><dd>moderate</dd>" in result
    assert "Urgent" not in result


def test_administer_links_the_encounter(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    from dosewise.clinical import services as clinical

    encounter = clinical.start_encounter(
        prescriber, patient, kind="follow-up", mode="in-person", occurred_on=timezone.localdate()
    )
    url = reverse("clinical:assessment-new", args=[patient.uuid]) + f"?encounter={encounter.uuid}"
    response = client_for(prescriber).post(url, _form(PHQ9_MODERATE))
    assert response.status_code == 302
    assert Assessment.objects.get().encounter == encounter


def test_missing_item_names_the_item_and_writes_nothing(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    answers: list[int | None] = [*PHQ9_MODERATE[:8], None]
    response = client_for(prescriber).post(
        reverse("clinical:assessment-new", args=[patient.uuid]), _form(answers)
    )
    assert response.status_code == 400
    assert "Item 9 (thoughts of death or self-harm) is not answered." in response.content.decode()
    assert Assessment.objects.count() == 0
    assert SafetyAlert.objects.count() == 0
    assert not AuditEvent.objects.filter(action="assessment.create").exists()


def test_out_of_range_answer_names_the_item(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    data = _form(PHQ9_MODERATE)
    data["item_3"] = "7"
    response = client_for(prescriber).post(
        reverse("clinical:assessment-new", args=[patient.uuid]), data
    )
    assert response.status_code == 400
    assert "Item 3 (sleep): choose one of the answers shown." in response.content.decode()
    assert Assessment.objects.count() == 0


def test_item_9_shows_the_urgent_banner_until_a_safety_assessment_is_recorded(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    client = client_for(prescriber)
    response = client.post(
        reverse("clinical:assessment-new", args=[patient.uuid]), _form(PHQ9_ITEM9)
    )
    alert = SafetyAlert.objects.get()
    result = client.get(response["Location"]).content.decode()
    assert "Urgent: Suicide risk screen positive" in result
    assert "call or text <strong>988</strong>" in result

    chart = client.get(patient.get_absolute_url()).content.decode()
    assert chart.count('class="urgent"') == 1
    assert "Urgent: Suicide risk screen positive" in chart
    assert "988 Suicide &amp; Crisis Lifeline" in chart
    assert "Item 9 — Thoughts that you would be better off dead" in chart
    assert ": Several days</li>" in chart
    assert reverse("clinical:safety-alert-resolve", args=[alert.uuid]) in chart

    empty = client.post(
        reverse("clinical:safety-alert-resolve", args=[alert.uuid]), {"safety_assessment": " "}
    )
    assert empty.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_at is None
    refused = client.get(patient.get_absolute_url()).content.decode()
    assert "Safety assessment: Record the safety assessment" in refused

    done = client.post(
        reverse("clinical:safety-alert-resolve", args=[alert.uuid]),
        {"safety_assessment": "Passive ideation, no plan; safety plan reviewed; Dr T told."},
    )
    assert done.status_code == 302
    assert done["Location"] == patient.get_absolute_url()
    alert.refresh_from_db()
    assert (alert.resolved_by, alert.safety_assessment) == (
        prescriber.user,
        "Passive ideation, no plan; safety plan reviewed; Dr T told.",
    )
    assert alert.resolved_at is not None
    chart = client.get(patient.get_absolute_url()).content.decode()
    assert 'class="urgent"' not in chart
    assert "Urgent:" not in chart


def test_colleague_sees_the_banner_but_cannot_resolve(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    colleague: Membership,
    patient: Patient,
) -> None:
    _record(prescriber, patient, PHQ9_ITEM9, timezone.now())
    alert = SafetyAlert.objects.get()
    client = client_for(colleague)
    chart = client.get(patient.get_absolute_url()).content.decode()
    assert "Urgent: Suicide risk screen positive" in chart
    assert 'name="safety_assessment"' not in chart
    response = client.post(
        reverse("clinical:safety-alert-resolve", args=[alert.uuid]),
        {"safety_assessment": "Seen."},
    )
    assert response.status_code == 403
    alert.refresh_from_db()
    assert (alert.resolved_at, alert.safety_assessment) == (None, "")


@pytest.mark.parametrize("persona", ["front_desk", "outsider"])
def test_non_clinicians_and_outsiders_cannot_administer(
    client_for,  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest,
    patient: Patient,
    persona: str,
) -> None:
    member = request.getfixturevalue(persona)
    response = client_for(member).post(
        reverse("clinical:assessment-new", args=[patient.uuid]), _form(PHQ9_ITEM9)
    )
    assert response.status_code == {"front_desk": 403, "outsider": 404}[persona]
    assert Assessment.objects.count() == 0
    assert SafetyAlert.objects.count() == 0


def test_measurement_card_shows_latest_score_band_and_status(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    now = timezone.now()
    _record(prescriber, patient, [2, 2, 2, 2, 2, 2, 2, 2, 0], now - dt.timedelta(days=56))  # 16
    _record(prescriber, patient, [1, 0, 1, 0, 1, 0, 1, 0, 0], now - dt.timedelta(days=1))  # 4
    chart = client_for(prescriber).get(patient.get_absolute_url()).content.decode()
    card = chart[chart.index('id="measurement-heading"') :]
    card = card[: card.index("</section>")]
    assert "<td>PHQ-9</td><td><strong>4</strong>" in card
    assert "<td>minimal</td><td>Remission<br><small>-12 (-75.0 %) from 16 on" in card
    assert reverse("clinical:assessment-new", args=[patient.uuid]) in card
    assert reverse("clinical:scores-and-trends", args=[patient.uuid]) in card


def _score_svg(body: str, instrument: str) -> str:
    match = re.search(rf'id="chart-{instrument}".*?</figure>', body, re.S)
    assert match is not None
    return match.group(0)


def test_trends_page_draws_one_point_per_score_with_bands(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    now = timezone.now()
    days = [
        (70, [3, 3, 2, 2, 2, 2, 2, 2, 0]),
        (40, PHQ9_MODERATE),
        (5, [0, 1, 0, 1, 0, 1, 0, 0, 0]),
    ]
    for ago, answers in days:
        _record(prescriber, patient, answers, now - dt.timedelta(days=ago))
    response = client_for(prescriber).get(
        reverse("clinical:scores-and-trends", args=[patient.uuid])
    )
    assert response.status_code == 200
    body = response.content.decode()
    svg = _score_svg(body, "phq9")
    titles = re.findall(r'<circle class="score-point"[^>]*><title>([^<]*)</title>', svg)
    expected = [
        f"{timezone.localdate(now - dt.timedelta(days=ago)).isoformat()}: PHQ-9 {total} ({band})"
        for ago, total, band in [
            (70, 18, "moderately severe"),
            (40, 10, "moderate"),
            (5, 3, "minimal"),
        ]
    ]
    assert titles == expected
    assert svg.count("<circle") == 3
    labels = re.findall(r'<text class="band-label"[^>]*>([^<]*)</text>', svg)
    assert labels == ["minimal", "mild", "moderate", "moderately severe", "severe"]
    table = body[body.index('id="scores-table-heading"') :]
    assert table.count("<td>PHQ-9</td>") == 3
    assert "<td>3</td><td>minimal</td>" in table


def test_trends_lanes_share_the_score_axis() -> None:
    """Scores before the first medication event widen the lanes' axis; dates keep their x."""
    events = [
        timeline.TimelineEvent(
            sequence=1,
            kind=EventKind.STARTED,
            prescription=1,
            effective_on=dt.date(2026, 3, 10),
            drug="sertraline",
            daily_mg=Decimal(50),
        )
    ]
    narrow = timeline.layout(events, today=dt.date(2026, 6, 15))
    wide = widen(narrow, dt.date(2026, 1, 1))
    assert (wide.start, wide.end) == (dt.date(2026, 1, 1), dt.date(2026, 7, 1))
    marker = wide.lanes[0].markers[0]
    # 2026-03-10 is 68 of the 181 days from Jan 1 to Jul 1.
    expected = round(timeline.PLOT_LEFT + 68 / 181 * (timeline.PLOT_RIGHT - timeline.PLOT_LEFT), 1)
    assert abs(marker.x - expected) <= 0.2
    bar = wide.lanes[0].bars[0]
    assert abs(bar.x + bar.width - timeline.PLOT_RIGHT) <= 0.2


def test_trends_query_count_does_not_grow_with_assessments(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    client = client_for(prescriber)
    url = reverse("clinical:scores-and-trends", args=[patient.uuid])
    now = timezone.now()
    for index in range(3):
        _record(prescriber, patient, PHQ9_MODERATE, now - dt.timedelta(days=3 * index + 1))
    few = _count(client, url)
    for index in range(3, 30):
        _record(prescriber, patient, PHQ9_MODERATE, now - dt.timedelta(days=3 * index + 1))
    many = _count(client, url)
    assert few == many == TRENDS_QUERIES


def test_worklist_lists_open_alerts_my_patients_first(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    colleague: Membership,
    patient: Patient,
) -> None:
    other = make_patient(
        prescriber.organization, "MRN-0002", given_name="Sam", family_name="Okafor"
    )
    CareTeamMember.objects.create(
        organization=other.organization, patient=other, user=colleague.user, added_by=colleague.user
    )
    _record(prescriber, patient, PHQ9_ITEM9, timezone.now() - dt.timedelta(hours=2))
    _record(colleague, other, PHQ9_ITEM9, timezone.now() - dt.timedelta(hours=1))
    response = client_for(prescriber).get(reverse("clinical:worklist"))
    assert response.status_code == 200
    body = response.content.decode()
    first = body.index(patient.get_absolute_url())
    second = body.index(other.get_absolute_url())
    assert first < second  # my care-team patient first, although the other alert is newer
    assert body.count("⚠ Urgent") == 2
    assert body.count("Not on your care team") == 1
    assert AuditEvent.objects.filter(action="worklist.read").count() == 1


def test_worklist_lists_stale_phq9(client_for, prescriber, patient) -> None:  # type: ignore[no-untyped-def]
    _record(prescriber, patient, PHQ9_MODERATE, timezone.now() - dt.timedelta(days=50))
    body = client_for(prescriber).get(reverse("clinical:worklist")).content.decode()
    overdue = body[body.index('id="overdue-heading"') :]
    assert "Rivera, Alex</a>" in overdue
    assert "<td>PHQ-9</td>" in overdue
    assert "<td>50</td>" in overdue
    assert "No open safety alerts." in body


def test_worklist_is_for_prescribers_and_nurses(client_for, front_desk) -> None:  # type: ignore[no-untyped-def]
    assert client_for(front_desk).get(reverse("clinical:worklist")).status_code == 403


def test_worklist_query_count_does_not_grow_with_alerts(
    client_for,  # type: ignore[no-untyped-def]
    prescriber: Membership,
    patient: Patient,
) -> None:
    client = client_for(prescriber)
    _record(prescriber, patient, PHQ9_ITEM9, timezone.now() - dt.timedelta(days=50))
    few = _count(client, reverse("clinical:worklist"))
    for index in range(2, 12):
        other = make_patient(prescriber.organization, f"MRN-{index:04}")
        CareTeamMember.objects.create(
            organization=other.organization,
            patient=other,
            user=prescriber.user,
            added_by=prescriber.user,
        )
        _record(prescriber, other, PHQ9_ITEM9, timezone.now() - dt.timedelta(days=50))
    many = _count(client, reverse("clinical:worklist"))
    assert few == many == WORKLIST_QUERIES
