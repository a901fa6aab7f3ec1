"""The waiting-room tablet: a care-team clinician opens a single-use, expiring link for one
patient; the patient fills the scales without signing in; the page shows the first name and the
questions only; a positive suicide item shows 988 at once; every use and refusal is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical.models import Assessment, SafetyAlert
from dosewise.patients.models import Patient
from dosewise.portal import services
from dosewise.portal.models import KioskLink, hash_token
from dosewise.portal.views import CRISIS_TEXT, UNAVAILABLE_TEXT

ClientFor = Callable[[Membership], Client]
PHQ9_MODERATE = [1, 2, 1, 2, 1, 1, 1, 1, 0]  # total 10, item 9 "not at all"
PHQ9_ITEM9 = [1, 2, 1, 2, 1, 1, 1, 1, 1]
GAD7_MILD = [1, 1, 1, 1, 1, 0, 0]


def _form(answers: dict[str, list[int]]) -> dict[str, str]:
    return {
        f"{instrument}-{number}": str(value)
        for instrument, values in answers.items()
        for number, value in enumerate(values, start=1)
    }


def _link(actor: Membership, patient: Patient, *instruments: str) -> tuple[KioskLink, str]:
    return services.create_kiosk_link(actor, patient, instruments=list(instruments or ["phq9"]))


def _url(raw: str) -> str:
    return reverse("portal:kiosk", args=[raw])


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


# --- Creating a link --------------------------------------------------------------------------


def test_care_team_prescriber_creates_a_link_shown_once(
    prescriber: Membership, patient: Patient, client_for: ClientFor
) -> None:
    client = client_for(prescriber)
    before = timezone.now()
    response = client.post(
        reverse("portal:kiosk-link-new", args=[patient.uuid]), {"instruments": ["phq9", "gad7"]}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    link = KioskLink.objects.get()
    url: str = response.context["url"]
    raw = url.rstrip("/").rsplit("/", 1)[1]
    assert url == f"http://testserver/portal/kiosk/{raw}/"
    assert link.token_hash == hash_token(raw)
    assert raw not in link.token_hash
    assert (link.patient, link.instruments, link.created_by, link.created_by_membership) == (
        patient,
        ["phq9", "gad7"],
        prescriber.user,
        prescriber,
    )
    assert link.used_at is None
    assert before + dt.timedelta(minutes=30) <= link.expires_at
    assert link.expires_at <= timezone.now() + dt.timedelta(minutes=30)
    assert url.encode() in response.content
    assert b"Open here" in response.content
    event = AuditEvent.objects.get(action="kiosk.create")
    assert (event.actor, event.patient, event.target_id) == (
        prescriber.user,
        patient,
        str(link.uuid),
    )
    assert event.detail["instruments"] == ["phq9", "gad7"]


def test_nurse_on_the_care_team_may_create_a_link(nurse: Membership, patient: Patient) -> None:
    link, _raw = _link(nurse, patient, "gad7")
    assert (link.created_by_membership, link.instruments) == (nurse, ["gad7"])


def test_link_lifetime_is_configurable(
    prescriber: Membership, patient: Patient, settings: Settings
) -> None:
    settings.KIOSK_LINK_MINUTES = 5
    link, _raw = _link(prescriber, patient)
    assert link.expires_at - link.created_at < dt.timedelta(minutes=5, seconds=1)
    assert link.expires_at - link.created_at > dt.timedelta(minutes=4, seconds=59)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("colleague", 403), ("front_desk", 403), ("clinic_admin", 403), ("outsider", 404)],
)
def test_only_the_care_team_creates_a_link(
    persona: str,
    status: int,
    patient: Patient,
    client_for: ClientFor,
    request: pytest.FixtureRequest,
) -> None:
    member: Membership = request.getfixturevalue(persona)
    denials = AuditEvent.objects.filter(action="access.denied").count()
    response = client_for(member).post(
        reverse("portal:kiosk-link-new", args=[patient.uuid]), {"instruments": ["phq9"]}
    )
    assert response.status_code == status
    assert KioskLink.objects.count() == 0
    assert AuditEvent.objects.filter(action="kiosk.create").count() == 0
    assert AuditEvent.objects.filter(action="access.denied").count() == denials + 1


def test_service_refuses_a_colleague_off_the_care_team(
    colleague: Membership, patient: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        _link(colleague, patient)
    assert KioskLink.objects.count() == 0


def test_anonymous_cannot_create_a_link(patient: Patient, client: Client) -> None:
    response = client.post(
        reverse("portal:kiosk-link-new", args=[patient.uuid]), {"instruments": ["phq9"]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert KioskLink.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Scales: Choose at least one scale for the patient to fill."),
        (
            {"instruments": ["aims"]},
            "Scales: aims cannot be filled by the patient on a tablet.",
        ),
    ],
)
def test_link_form_names_the_field(
    data: dict[str, list[str]],
    error: str,
    prescriber: Membership,
    patient: Patient,
    client_for: ClientFor,
) -> None:
    response = client_for(prescriber).post(
        reverse("portal:kiosk-link-new", args=[patient.uuid]), data
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert KioskLink.objects.count() == 0


@pytest.mark.parametrize(
    ("instruments", "message"),
    [
        ([], "Choose at least one scale for the patient to fill."),
        (
            ["asq"],
            "'asq' cannot be filled by the patient on a tablet; choose from PHQ-9, PHQ-2, "
            "GAD-7, GAD-2, PCL-5.",
        ),
        (["phq9", "phq9"], "Choose each scale once."),
    ],
)
def test_service_refuses_instruments_a_patient_cannot_fill(
    instruments: list[str], message: str, prescriber: Membership, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_kiosk_link(prescriber, patient, instruments=instruments)
    assert caught.value.message_dict == {"instruments": [message]}
    assert KioskLink.objects.count() == 0
    assert AuditEvent.objects.filter(action="kiosk.create").count() == 0


def test_administer_page_offers_the_tablet(
    prescriber: Membership, patient: Patient, client_for: ClientFor
) -> None:
    response = client_for(prescriber).get(reverse("clinical:assessment-new", args=[patient.uuid]))
    assert reverse("portal:kiosk-link-new", args=[patient.uuid]).encode() in response.content
    assert b"Open on a waiting-room tablet" in response.content


# --- The kiosk --------------------------------------------------------------------------------


def test_patient_fills_phq9_on_the_tablet_without_signing_in(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)

    page = client.get(_url(raw))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "no-referrer"
    content = page.content.decode()
    assert "Hello Alex" in content
    assert "Little interest or pleasure in doing things" in content
    assert "PHQ-9 © Pfizer Inc." in content

    response = client.post(_url(raw), _form({"phq9": PHQ9_MODERATE}))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Thank you, Alex" in response.content.decode()
    assessment = Assessment.objects.get()
    assert (
        assessment.patient,
        assessment.instrument,
        assessment.answers,
        assessment.total,
        assessment.answered_by,
        assessment.mode,
        assessment.recorded_by,
    ) == (patient, "phq9", PHQ9_MODERATE, 10, "patient", "kiosk", prescriber.user)
    link.refresh_from_db()
    assert link.used_at == assessment.administered_at
    assert _actions() == ["kiosk.create", "kiosk.open", "assessment.create", "kiosk.submit"]
    submit = AuditEvent.objects.get(action="kiosk.submit")
    assert (submit.actor, submit.actor_label, submit.patient, submit.target_id) == (
        None,
        "waiting-room kiosk",
        patient,
        str(link.uuid),
    )
    assert submit.detail == {
        "instruments": ["phq9"],
        "assessments": [str(assessment.uuid)],
        "created_by": "dr.treating",
    }
    assert CRISIS_TEXT not in response.content.decode()
    assert SafetyAlert.objects.count() == 0


def test_kiosk_shows_the_first_name_only(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    _link_row, raw = _link(prescriber, patient)
    content = client.get(_url(raw)).content.decode()
    for secret in (
        patient.mrn,
        patient.family_name,
        "1988",
        "04-12",
        "Apr",
        str(patient.uuid),
        "dr.treating",
        "Treating",
        "Riverside",
    ):
        assert secret not in content, secret
    assert "<nav" not in content
    assert "Sign out" not in content
    assert "<script" not in content
    assert 'href="/' not in content.replace('href="/static/', "")


def test_kiosk_with_a_clinician_signed_in_shows_only_the_form_and_signs_out(
    prescriber: Membership, patient: Patient, client_for: ClientFor
) -> None:
    _link_row, raw = _link(prescriber, patient)
    client = client_for(prescriber)
    content = client.get(_url(raw)).content.decode()
    assert "Hello Alex" in content
    for secret in ("Sign out", "dr.treating", "Treating", "Riverside", "Prescriber", "<nav"):
        assert secret not in content, secret
    # The tablet no longer carries the clinician's session.
    chart = client.get(patient.get_absolute_url())
    assert chart.status_code == 302
    assert chart["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="logout", actor=prescriber.user).count() == 1


def test_two_scales_are_recorded_in_one_use(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    _link_row, raw = _link(prescriber, patient, "phq9", "gad7")
    response = client.post(_url(raw), _form({"phq9": PHQ9_MODERATE, "gad7": GAD7_MILD}))
    assert response.status_code == 200
    assert list(Assessment.objects.order_by("id").values_list("instrument", "total", "mode")) == [
        ("phq9", 10, "kiosk"),
        ("gad7", 5, "kiosk"),
    ]


def test_second_use_is_gone_and_writes_nothing(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)
    client.post(_url(raw), _form({"phq9": PHQ9_MODERATE}))
    assert Assessment.objects.count() == 1

    again = client.post(_url(raw), _form({"phq9": PHQ9_ITEM9}))
    page = client.get(_url(raw))

    for response in (again, page):
        assert response.status_code == 410
        assert response["Cache-Control"] == "no-store"
        content = response.content.decode()
        assert UNAVAILABLE_TEXT in content
        assert "Alex" not in content
        assert "PHQ" not in content
    assert Assessment.objects.count() == 1
    assert SafetyAlert.objects.count() == 0
    refused = AuditEvent.objects.filter(action="kiosk.refused").order_by("id")
    assert [(event.detail, event.target_id) for event in refused] == [
        ({"why": "used"}, str(link.uuid)),
        ({"why": "used"}, str(link.uuid)),
    ]


def test_expired_link_is_gone(prescriber: Membership, patient: Patient, client: Client) -> None:
    link, raw = _link(prescriber, patient)
    KioskLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    page = client.get(_url(raw))
    post = client.post(_url(raw), _form({"phq9": PHQ9_MODERATE}))

    for response in (page, post):
        assert response.status_code == 410
        assert UNAVAILABLE_TEXT in response.content.decode()
        assert "Alex" not in response.content.decode()
    assert Assessment.objects.count() == 0
    link.refresh_from_db()
    assert link.used_at is None
    assert list(
        AuditEvent.objects.filter(action="kiosk.refused").values_list("detail", flat=True)
    ) == [{"why": "expired"}, {"why": "expired"}]


def test_wrong_token_is_not_found_with_the_same_words(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    _link(prescriber, patient)
    for response in (
        client.get(_url("not-a-real-token")),
        client.post(_url("not-a-real-token"), _form({"phq9": PHQ9_MODERATE})),
    ):
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store"
        assert UNAVAILABLE_TEXT in response.content.decode()
        assert "Alex" not in response.content.decode()
    assert Assessment.objects.count() == 0
    refused = list(AuditEvent.objects.filter(action="kiosk.refused"))
    assert [(e.detail, e.patient, e.organization, e.target_id) for e in refused] == [
        ({"why": "unknown"}, None, None, ""),
        ({"why": "unknown"}, None, None, ""),
    ]


def test_positive_item_9_shows_988_at_once_and_raises_an_alert(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    _link_row, raw = _link(prescriber, patient)
    response = client.post(_url(raw), _form({"phq9": PHQ9_ITEM9}))

    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "If you are thinking about suicide or are in crisis, call or text 988 (Suicide &amp; "
        "Crisis Lifeline), or call 911 in an emergency. Please tell the front desk now."
    ) in content
    alert = SafetyAlert.objects.get()
    assert (alert.kind, alert.patient, alert.assessment.mode) == ("suicide_risk", patient, "kiosk")
    # Nothing clinical for the patient: no total, band or flag.
    for clinical in (">11<", " 11 ", "moderate", "Suicide risk", "score", "Score", "total"):
        assert clinical not in content, clinical


def test_missing_answer_names_the_item_and_keeps_the_link(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)
    data = _form({"phq9": PHQ9_MODERATE})
    del data["phq9-9"]

    response = client.post(_url(raw), data)

    assert response.status_code == 400
    assert "PHQ-9 question 9: please choose an answer." in response.content.decode()
    assert Assessment.objects.count() == 0
    link.refresh_from_db()
    assert link.used_at is None
    assert "kiosk.submit" not in _actions()
    # The patient answers the question and sends again: the link still works.
    assert client.post(_url(raw), _form({"phq9": PHQ9_MODERATE})).status_code == 200
    assert Assessment.objects.count() == 1


def test_empty_post_names_every_item(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)
    response = client.post(_url(raw), {})
    assert response.status_code == 400
    content = response.content.decode()
    for number in range(1, 10):
        assert f"PHQ-9 question {number}: please choose an answer." in content
    link.refresh_from_db()
    assert (link.used_at, Assessment.objects.count()) == (None, 0)


def test_out_of_range_answer_names_the_item(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)
    data = _form({"phq9": PHQ9_MODERATE})
    data["phq9-3"] = "7"
    response = client.post(_url(raw), data)
    assert response.status_code == 400
    assert "PHQ-9 question 3: please choose an answer." in response.content.decode()
    link.refresh_from_db()
    assert (link.used_at, Assessment.objects.count()) == (None, 0)


def test_creator_who_left_the_care_team_cannot_be_acted_for(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    link, raw = _link(prescriber, patient)
    patient.care_team.filter(user=prescriber.user).update(ended_at=timezone.now())

    response = client.post(_url(raw), _form({"phq9": PHQ9_MODERATE}))

    assert response.status_code == 410
    assert UNAVAILABLE_TEXT in response.content.decode()
    assert Assessment.objects.count() == 0
    link.refresh_from_db()
    assert link.used_at is None
    refused = AuditEvent.objects.get(action="kiosk.refused")
    assert refused.detail == {"why": "no-access"}


def test_service_consumes_the_link_once(prescriber: Membership, patient: Patient) -> None:
    _link_row, raw = _link(prescriber, patient)
    first = services.submit_kiosk(raw, answers={"phq9": PHQ9_MODERATE})
    assert first.show_crisis_resources is False
    with pytest.raises(services.KioskLinkUnavailable) as caught:
        services.submit_kiosk(raw, answers={"phq9": PHQ9_MODERATE})
    assert (caught.value.why, caught.value.exists) == ("used", True)
    assert Assessment.objects.count() == 1


def test_service_refuses_answers_for_other_scales(prescriber: Membership, patient: Patient) -> None:
    link, raw = _link(prescriber, patient)
    with pytest.raises(ValidationError) as caught:
        services.submit_kiosk(raw, answers={"phq9": PHQ9_MODERATE, "gad7": GAD7_MILD})
    assert caught.value.message_dict == {
        "answers": ["Answer every question of phq9 and nothing else."]
    }
    link.refresh_from_db()
    assert (link.used_at, Assessment.objects.count()) == (None, 0)


def test_access_helpers_are_not_reachable_through_the_kiosk(
    prescriber: Membership, patient: Patient, client: Client
) -> None:
    """The token opens its own form and nothing else: a chart URL stays behind the login."""
    _link_row, raw = _link(prescriber, patient)
    client.get(_url(raw))
    response = client.get(patient.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_kiosk_stylesheets_are_served(client: Client) -> None:
    """The kiosk's own large-target styles load from static files (the CSP forbids inline)."""
    for path in ("/static/portal/kiosk.css", "/static/css/dosewise.css"):
        assert client.get(path).status_code == 200, path


def test_kiosk_form_posts_with_its_csrf_token(prescriber: Membership, patient: Patient) -> None:
    """A real browser: the GET sets the CSRF cookie and token the POST must carry."""
    _link_row, raw = _link(prescriber, patient)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(_url(raw))
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"')[0]
    response = browser.post(
        _url(raw), {"csrfmiddlewaretoken": token, **_form({"phq9": PHQ9_MODERATE})}
    )
    assert response.status_code == 200
    assert Assessment.objects.filter(mode="kiosk").count() == 1
