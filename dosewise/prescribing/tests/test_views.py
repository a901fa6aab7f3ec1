"""Prescribing pages: order, check, override, and every change, through the forms a clinician
uses. On every refusal nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis
from dosewise.patients.models import Patient
from dosewise.prescribing import services
from dosewise.prescribing.models import Prescription, RegimenEvent, SafetyOverride
from dosewise.prescribing.services import OrderInput

ClientFor = Callable[[Membership], Client]
TODAY = timezone.localdate()


@pytest.fixture
def depression(prescriber: Membership, patient: Patient) -> Diagnosis:
    return clinical.add_diagnosis(prescriber, patient, code="F33.1", today=TODAY)


def new_url(patient: Patient) -> str:
    return reverse("prescribing:prescription-new", args=[patient.uuid])


def order_data(patient: Patient, diagnosis: Diagnosis | None, /, **changes: object) -> dict:
    """The order form as a prescriber fills it for sertraline 50 mg every morning."""
    patient.refresh_from_db()
    data: dict[str, object] = {
        "drug": "sertraline",
        "product": "tablet|50",
        "dose_amount": "1",
        "dose_unit": "tablet",
        "route": "oral",
        "timings": ["morning"],
        "start_on": TODAY.isoformat(),
        "days_supply": "30",
        "refills": "2",
        "substitution_allowed": "on",
        "indication": str(diagnosis.uuid) if diagnosis else "",
        "note_to_pharmacist": "",
        "expected_regimen_version": str(patient.regimen_version),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def phenelzine(patient: Patient, diagnosis: Diagnosis, /, **changes: object) -> dict:
    return order_data(
        patient,
        diagnosis,
        drug="phenelzine",
        product="tablet|15",
        timings=[],
        times_per_day="3",
        **changes,
    )


def sertraline_order(indication: Diagnosis, **changes: object) -> OrderInput:
    base: dict[str, object] = {
        "drug": "sertraline",
        "form": "tablet",
        "strength_mg": Decimal(50),
        "dose_amount": Decimal(1),
        "dose_unit": "tablet",
        "times_per_day": Decimal(1),
        "timings": ("morning",),
        "start_on": TODAY,
        "days_supply": 30,
        "refills": 2,
        "indication": indication,
    }
    base.update(changes)
    return OrderInput(**base)  # type: ignore[arg-type]


@pytest.fixture
def on_sertraline(prescriber: Membership, patient: Patient, depression: Diagnosis) -> Prescription:
    return services.prescribe(prescriber, patient, sertraline_order(depression), today=TODAY)


def written() -> tuple[int, int, int, list[str]]:
    """Everything a prescribing page could write."""
    return (
        Prescription.objects.count(),
        RegimenEvent.objects.count(),
        SafetyOverride.objects.count(),
        list(
            AuditEvent.objects.filter(action__regex=r"^(regimen|safety|prescription)\.")
            .order_by("id")
            .values_list("action", flat=True)
        ),
    )


# --- New prescription ---------------------------------------------------------------------------


def test_prescriber_prescribes_sertraline_through_the_form(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = client_for(prescriber)
    page = client.get(new_url(patient))
    assert page.status_code == 200
    assert b'hx-get="/prescribing/drug-picker/"' in page.content
    assert b'name="expected_regimen_version" value="0"' in page.content

    response = client.post(new_url(patient), order_data(patient, depression))

    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == prescription.get_absolute_url()
    assert (
        prescription.drug,
        prescription.form,
        prescription.strength_mg,
        prescription.sig,
        prescription.quantity,
        prescription.days_supply,
        prescription.refills,
        prescription.indication,
        prescription.prescriber,
        prescription.timings,
        prescription.status,
    ) == (
        "sertraline",
        "tablet",
        Decimal(50),
        "Take 1 tablet (50 mg) by mouth once daily in the morning.",
        Decimal(30),
        30,
        2,
        depression,
        prescriber.user,
        ["morning"],
        "active",
    )
    assert list(RegimenEvent.objects.values_list("kind", "reason")) == [
        ("started", "new-treatment")
    ]
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Signed: Take 1 tablet (50 mg) by mouth once daily in the morning." in text
    assert "<dt>Quantity</dt><dd>30</dd>" in text
    assert "<dt>Refills</dt><dd>2</dd>" in text
    assert "F33.1" in text
    assert "New treatment" in text
    assert reverse("prescribing:prescription-print", args=[prescription.uuid]) in text


def test_choosing_a_drug_reloads_the_dose_section_with_its_forms_and_strengths(
    client_for: ClientFor, prescriber: Membership, patient: Patient
) -> None:
    response = client_for(prescriber).get(
        new_url(patient), {"drug": "Zoloft"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert '<option value="tablet|25">tablet, 25 mg</option>' in text
    assert '<option value="tablet|100">tablet, 100 mg</option>' in text
    assert '<option value="tablet" selected>tablet</option>' in text
    assert "PDMP" not in text


def test_a_controlled_drug_asks_for_the_pdmp_check_and_earliest_fill(
    client_for: ClientFor, prescriber: Membership, patient: Patient
) -> None:
    response = client_for(prescriber).get(
        new_url(patient), {"drug": "methylphenidate"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert "Schedule 2 controlled" in text
    assert 'name="pdmp_checked_on"' in text
    assert 'name="earliest_fill_on"' in text


def test_drug_picker_lists_matches_as_radio_buttons(
    client_for: ClientFor, nurse: Membership
) -> None:
    response = client_for(nurse).get(
        reverse("prescribing:drug-picker"), {"q": "zolo"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert '<input type="radio" name="drug" value="sertraline">' in text
    assert 'value="linezolid"' not in text


def test_drug_picker_of_the_order_form_says_which_drugs_it_cannot_prescribe(
    client_for: ClientFor, prescriber: Membership
) -> None:
    url = reverse("prescribing:drug-picker")
    note = "no forms or strengths on file"
    client = client_for(prescriber)
    ordering = client.get(url, {"q": "advil", "purpose": "prescribe"}, HTTP_HX_REQUEST="true")
    reconciling = client.get(url, {"q": "advil"}, HTTP_HX_REQUEST="true")
    assert 'value="ibuprofen"' in ordering.content.decode()
    assert note in ordering.content.decode()
    assert note not in reconciling.content.decode()


def test_review_returns_the_findings_fragment_and_writes_nothing(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    before = written()
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-review", args=[patient.uuid]),
        phenelzine(patient, depression),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert "<form" not in text
    assert "Take 1 tablet (15 mg) by mouth three times daily." in text
    assert "<dt>Quantity</dt><dd>90</dd>" in text
    assert '<span aria-hidden="true">⊘</span> Contraindicated</span>' in text
    assert "Signing needs a written override reason." in text
    assert text.index("Contraindicated") < text.index("maoi-with-serotonergic")
    assert written() == before


def test_review_lists_the_fields_to_fix_first(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-review", args=[patient.uuid]),
        order_data(patient, depression, dose_amount="0"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<li>Dose amount: The dose amount must be greater than 0.</li>" in (
        response.content.decode()
    )
    assert written() == (0, 0, 0, [])


def test_contraindicated_order_needs_a_written_override_reason(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    client = client_for(prescriber)
    before = written()

    blocked = client.post(new_url(patient), phenelzine(patient, depression))

    assert blocked.status_code == 409
    text = blocked.content.decode()
    assert "Safety review needed before signing" in text
    assert '<textarea name="override_maoi-with-serotonergic"' in text
    assert '<input type="hidden" name="safety_seen" value="maoi-with-serotonergic">' in text
    assert written() == before

    no_reason = client.post(
        new_url(patient),
        phenelzine(
            patient,
            depression,
            safety_seen="maoi-with-serotonergic",
            **{"override_maoi-with-serotonergic": "  "},
        ),
    )
    assert no_reason.status_code == 409
    assert "Write why you are going ahead despite this contraindicated finding." in (
        no_reason.content.decode()
    )
    assert written() == before

    signed = client.post(
        new_url(patient),
        phenelzine(
            patient,
            depression,
            safety_seen="maoi-with-serotonergic",
            **{"override_maoi-with-serotonergic": "Sertraline stops today; specialist plan"},
        ),
    )

    prescription = Prescription.objects.get(drug="phenelzine")
    assert signed.status_code == 302
    assert signed["Location"] == prescription.get_absolute_url()
    assert list(
        SafetyOverride.objects.values_list("prescription", "code", "severity", "reason", "author")
    ) == [
        (
            prescription.pk,
            "maoi-with-serotonergic",
            "contraindicated",
            "Sertraline stops today; specialist plan",
            prescriber.user.pk,
        )
    ]
    audit = AuditEvent.objects.get(action="safety.override")
    assert (audit.patient, audit.detail) == (
        patient,
        {
            "code": "maoi-with-serotonergic",
            "severity": "contraindicated",
            "reason": "Sertraline stops today; specialist plan",
        },
    )
    detail = client.get(signed["Location"]).content.decode()
    assert "Sertraline stops today; specialist plan" in detail


def test_major_finding_needs_an_acknowledgement(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = client_for(prescriber)
    high = order_data(patient, depression, dose_amount="5")  # 250 mg/day: above label maximum

    blocked = client.post(new_url(patient), high)

    assert blocked.status_code == 409
    text = blocked.content.decode()
    assert '<input type="checkbox" name="acknowledge_dose-above-label-maximum"' in text
    assert "I have read this finding and go ahead." in text
    assert written() == (0, 0, 0, [])

    signed = client.post(
        new_url(patient),
        {
            **high,
            "safety_seen": "dose-above-label-maximum",
            "acknowledge_dose-above-label-maximum": "on",
        },
    )

    assert signed.status_code == 302
    assert list(SafetyOverride.objects.values_list("code", "severity", "reason")) == [
        ("dose-above-label-maximum", "major", "Acknowledged")
    ]
    assert written()[3] == ["regimen.started", "safety.override"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dose_amount": "0"}, "dose_amount", "The dose amount must be greater than 0."),
        ({"dose_amount": "two"}, "dose_amount", "Enter a number."),
        ({"indication": ""}, "indication", "Choose the diagnosis this prescription treats."),
        (
            {"drug": "sertralin"},
            "drug",
            "Unknown drug 'sertralin'; did you mean sertraline, methylphenidate?",
        ),
        (
            {"product": "tablet|75"},
            "product",
            "'tablet|75' is not a form and strength of sertraline.",
        ),
        (
            {"timings": ["morning", "bedtime"], "times_per_day": "1"},
            "timings",
            "Tick one time of day per dose (1 a day), or none.",
        ),
        (
            {"start_on": (TODAY - dt.timedelta(days=90)).isoformat()},
            "start_on",
            "A new prescription cannot start more than 30 days in the past.",
        ),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_writes_nothing(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = client_for(prescriber).post(
        new_url(patient), order_data(patient, depression, **changes)
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert '<p class="error" role="alert">⚠ ' in response.content.decode()
    assert written() == (0, 0, 0, [])


def test_indication_of_another_patient_is_refused(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    from conftest import make_patient

    other = make_patient(prescriber.organization, "MRN-0002")
    foreign = Diagnosis.objects.create(
        organization=other.organization,
        patient=other,
        code="F41.1",
        description="Generalized anxiety disorder",
        recorded_by=prescriber.user,
    )
    response = client_for(prescriber).post(
        new_url(patient), order_data(patient, depression, indication=str(foreign.uuid))
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "indication": ["The indication must be one of this patient's active diagnoses."]
    }
    assert written() == (0, 0, 0, [])


def test_stale_regimen_version_is_shown_as_a_conflict_with_the_current_version(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    data = order_data(
        patient,
        depression,
        drug="bupropion",
        product="tablet (IR)|75",
        expected_regimen_version="0",
    )
    before = written()
    response = client_for(prescriber).post(new_url(patient), data)
    assert response.status_code == 409
    text = response.content.decode()
    assert "The medication list changed while you were writing." in text
    assert "(version 0, now 1)" in text
    assert 'name="expected_regimen_version" value="1"' in text
    assert written() == before


# --- Who may prescribe ----------------------------------------------------------------------


def test_nurse_cannot_prescribe(
    client_for: ClientFor, nurse: Membership, patient: Patient, depression: Diagnosis
) -> None:
    client = client_for(nurse)
    assert client.get(new_url(patient)).status_code == 403
    assert client.post(new_url(patient), order_data(patient, depression)).status_code == 403
    assert written() == (0, 0, 0, [])


def test_nurse_records_an_outside_medication(
    client_for: ClientFor, nurse: Membership, patient: Patient
) -> None:
    url = reverse("prescribing:outside-medication-new", args=[patient.uuid])
    client = client_for(nurse)
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "drug": "Advil",
            "source": "otc",
            "form": "tablet",
            "strength_mg": "200",
            "dose_amount": "2",
            "dose_unit": "tablet",
            "is_prn": "on",
            "prn_max_per_day": "3",
            "outside_prescriber": "",
            "expected_regimen_version": "0",
        },
    )

    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == prescription.get_absolute_url()
    assert (
        prescription.drug,
        prescription.source,
        prescription.sig,
        prescription.prescriber,
        prescription.is_prn,
    ) == (
        "ibuprofen",
        "otc",
        "Take 2 tablets (400 mg) by mouth as needed; no more than 3 doses in 24 hours.",
        None,
        True,
    )
    assert list(RegimenEvent.objects.values_list("kind", "reason", "author")) == [
        ("started", "reconciliation", nurse.user.pk)
    ]


def test_outside_medication_bad_input_names_the_field(
    client_for: ClientFor, nurse: Membership, patient: Patient
) -> None:
    response = client_for(nurse).post(
        reverse("prescribing:outside-medication-new", args=[patient.uuid]),
        {
            "drug": "unobtainium",
            "source": "prescribed",
            "strength_mg": "0",
            "dose_amount": "1",
            "dose_unit": "tablet",
            "times_per_day": "1",
            "expected_regimen_version": "0",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "drug": ["Unknown drug 'unobtainium'."],
        "source": ["Select a valid choice. prescribed is not one of the available choices."],
        "strength_mg": ["The strength must be greater than 0."],
    }
    assert written() == (0, 0, 0, [])


def test_colleague_off_the_care_team_gets_403(
    client_for: ClientFor,
    colleague: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    client = client_for(colleague)
    before = written()
    assert client.get(new_url(patient)).status_code == 403
    assert client.post(new_url(patient), order_data(patient, depression)).status_code == 403
    hold = reverse("prescribing:prescription-hold", args=[on_sertraline.uuid])
    assert client.post(hold, {"reason": "cost", "effective_on": TODAY.isoformat()}).status_code == (
        403
    )
    assert written() == before
    # Reading is allowed (and audited); the page offers no changes.
    detail = client.get(on_sertraline.get_absolute_url())
    assert detail.status_code == 200
    assert b"Change this prescription" not in detail.content


# --- Changes ------------------------------------------------------------------------------------


def test_change_dose_through_the_form(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    url = reverse("prescribing:prescription-change-dose", args=[on_sertraline.uuid])
    client = client_for(prescriber)
    page = client.get(url)
    assert page.status_code == 200
    assert b'<option value="tablet|50" selected>tablet, 50 mg</option>' in page.content
    assert b'name="dose_amount" value="1"' in page.content
    assert b'name="times_per_day" value="1"' in page.content

    response = client.post(
        url, {**order_data(patient, depression, product="tablet|100"), "reason": "ineffective"}
    )

    new = Prescription.objects.get(replaces=on_sertraline)
    on_sertraline.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == new.get_absolute_url()
    assert (on_sertraline.status, new.sig) == (
        "stopped",
        "Take 1 tablet (100 mg) by mouth once daily in the morning.",
    )
    assert list(RegimenEvent.objects.order_by("id").values_list("kind", "reason", "daily_mg")) == [
        ("started", "new-treatment", Decimal(50)),
        ("dose_changed", "ineffective", Decimal(100)),
    ]
    history = client.get(on_sertraline.get_absolute_url()).content.decode()
    assert "Dose changed" in history
    assert "Ineffective" in history


def test_change_dose_needs_a_reason(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    before = written()
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-change-dose", args=[on_sertraline.uuid]),
        {**order_data(patient, depression, product="tablet|100"), "reason": "other"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "reason_text": ["Describe the reason when it is Other."]
    }
    assert written() == before


def test_switch_through_the_form(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    url = reverse("prescribing:prescription-switch", args=[on_sertraline.uuid])
    client = client_for(prescriber)
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            **order_data(patient, depression, drug="escitalopram", product="tablet|10"),
            "reason": "side-effects",
        },
    )

    new = Prescription.objects.get(drug="escitalopram")
    on_sertraline.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (on_sertraline.status, new.replaces) == ("stopped", on_sertraline)
    assert list(RegimenEvent.objects.order_by("id").values_list("kind", "reason")) == [
        ("started", "new-treatment"),
        ("switched", "side-effects"),
    ]


def test_hold_resume_and_discontinue_through_the_forms(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    client = client_for(prescriber)

    def post(action: str, data: dict[str, str]) -> int:
        on_sertraline.patient.refresh_from_db()
        url = reverse(f"prescribing:prescription-{action}", args=[on_sertraline.uuid])
        version = str(on_sertraline.patient.regimen_version)
        response = client.post(url, {**data, "expected_regimen_version": version})
        assert response.get("Location") in (None, on_sertraline.get_absolute_url())
        return response.status_code

    assert post("hold", {"reason": "side-effects", "effective_on": TODAY.isoformat()}) == 302
    assert post("resume", {"reason": "other", "reason_text": "Nausea settled"}) == 302
    assert post("discontinue", {"reason": "remission", "effective_on": TODAY.isoformat()}) == 302

    on_sertraline.refresh_from_db()
    assert on_sertraline.status == "stopped"
    assert list(
        RegimenEvent.objects.order_by("id").values_list("kind", "reason", "reason_text")
    ) == [
        ("started", "new-treatment", ""),
        ("held", "side-effects", ""),
        ("resumed", "other", "Nausea settled"),
        ("discontinued", "remission", ""),
    ]
    history = client.get(on_sertraline.get_absolute_url()).content.decode()
    assert "Other: Nausea settled" in history
    assert "Remission / course completed" in history


def test_discontinue_offers_the_reasons_and_needs_words_for_other(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    client = client_for(prescriber)
    detail = client.get(on_sertraline.get_absolute_url()).content.decode()
    assert '<option value="side-effects">Side effects</option>' in detail
    assert 'action="/prescribing/prescriptions/' in detail
    before = written()

    response = client.post(
        reverse("prescribing:prescription-discontinue", args=[on_sertraline.uuid]),
        {"reason": "other", "effective_on": TODAY.isoformat(), "expected_regimen_version": "1"},
    )

    assert response.status_code == 400
    assert response.context["panel"].form.errors == {
        "reason_text": ["Describe the reason when it is Other."]
    }
    assert written() == before


def test_hold_of_a_stopped_prescription_names_the_status(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    services.discontinue(prescriber, on_sertraline, reason="remission")
    before = written()
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-hold", args=[on_sertraline.uuid]),
        {"reason": "cost", "effective_on": TODAY.isoformat(), "expected_regimen_version": "2"},
    )
    assert response.status_code == 400
    assert "This prescription is stopped." in response.content.decode()
    assert written() == before


def test_renew_through_the_form(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    client = client_for(prescriber)
    start = TODAY + dt.timedelta(days=28)

    response = client.post(
        reverse("prescribing:prescription-renew", args=[on_sertraline.uuid]),
        {"start_on": start.isoformat(), "refills": "", "expected_regimen_version": "1"},
    )

    renewal = Prescription.objects.get(replaces=on_sertraline)
    on_sertraline.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == renewal.get_absolute_url()
    assert (renewal.start_on, renewal.refills, renewal.quantity, on_sertraline.status) == (
        start,
        2,
        Decimal(30),
        "completed",
    )
    assert RegimenEvent.objects.get(prescription=renewal).kind == "renewed"


@pytest.fixture
def registered(prescriber: Membership) -> Membership:
    prescriber.dea_number = "AT1234563"
    prescriber.dea_schedules = ["2", "2N", "3", "3N", "4", "5"]
    prescriber.save()
    return prescriber


def test_schedule_ii_renewal_takes_an_earliest_fill_date(
    client_for: ClientFor, registered: Membership, patient: Patient
) -> None:
    adhd = clinical.add_diagnosis(registered, patient, code="F90.0", today=TODAY)
    stimulant = services.prescribe(
        registered,
        patient,
        OrderInput(
            drug="methylphenidate",
            form="tablet",
            strength_mg=Decimal(10),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(2),
            start_on=TODAY,
            days_supply=30,
            indication=adhd,
            pdmp_checked_on=TODAY,
        ),
        today=TODAY,
    )
    client = client_for(registered)
    detail = client.get(stimulant.get_absolute_url()).content.decode()
    assert "<dt>Quantity</dt><dd>60 (sixty)</dd>" in detail
    assert 'id="renew-earliest_fill_on"' in detail

    fill = TODAY + dt.timedelta(days=30)
    response = client.post(
        reverse("prescribing:prescription-renew", args=[stimulant.uuid]),
        {
            "start_on": TODAY.isoformat(),
            "earliest_fill_on": fill.isoformat(),
            "refills": "0",
            "pdmp_checked_on": TODAY.isoformat(),
            "expected_regimen_version": "1",
        },
    )

    renewal = Prescription.objects.get(replaces=stimulant)
    assert response.status_code == 302
    assert (renewal.earliest_fill_on, renewal.pdmp_checked_by, renewal.dea_schedule) == (
        fill,
        registered.user,
        "2",
    )


def test_mark_entered_in_error_through_the_form(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    client = client_for(prescriber)
    url = reverse("prescribing:prescription-entered-in-error", args=[on_sertraline.uuid])
    refused = client.post(url, {"reason": "", "expected_regimen_version": "1"})
    assert refused.status_code == 400
    assert refused.context["panel"].form.errors == {
        "reason": ["Say why this prescription was entered in error."]
    }

    response = client.post(url, {"reason": "Wrong patient", "expected_regimen_version": "1"})

    on_sertraline.refresh_from_db()
    assert response.status_code == 302
    assert (on_sertraline.status, on_sertraline.entered_in_error_reason) == (
        "entered-in-error",
        "Wrong patient",
    )
    assert "prescription.entered-in-error" in written()[3]
    detail = client.get(on_sertraline.get_absolute_url()).content.decode()
    assert "⚠ Entered in error: Wrong patient" in detail


def test_the_route_comes_from_the_chosen_product(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    response = client_for(prescriber).post(
        new_url(patient),
        order_data(
            patient,
            depression,
            drug="asenapine",
            product="sublingual tablet|5",
            timings=["morning", "evening"],
            route="oral",  # not a field: a typed route could contradict the product
        ),
    )
    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert (prescription.form, prescription.route, prescription.sig) == (
        "sublingual tablet",
        "sublingual",
        "Take 1 tablet (5 mg) under the tongue twice daily, in the morning and in the evening.",
    )


def test_switch_page_reloads_the_dose_section_for_the_new_drug(
    client_for: ClientFor, prescriber: Membership, on_sertraline: Prescription
) -> None:
    response = client_for(prescriber).get(
        reverse("prescribing:prescription-switch", args=[on_sertraline.uuid]),
        {"drug": "Lexapro"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert '<option value="tablet|10">tablet, 10 mg</option>' in text
    assert "tablet|50" not in text


def test_review_of_a_dose_change_checks_it_against_the_current_dose(
    client_for: ClientFor,
    prescriber: Membership,
    patient: Patient,
    depression: Diagnosis,
    on_sertraline: Prescription,
) -> None:
    before = written()
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-review", args=[patient.uuid]),
        {
            **order_data(patient, depression, product="tablet|100"),
            "mode": "change-dose",
            "replacing": str(on_sertraline.uuid),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<dt>Sig</dt><dd>Take 1 tablet (100 mg) by mouth once daily in the morning.</dd>" in text
    assert "dose-step-too-soon" in text
    assert written() == before


def test_review_refuses_an_unknown_mode(
    client_for: ClientFor, prescriber: Membership, patient: Patient, depression: Diagnosis
) -> None:
    response = client_for(prescriber).post(
        reverse("prescribing:prescription-review", args=[patient.uuid]),
        {**order_data(patient, depression), "mode": "cancel-everything"},
    )
    assert (response.status_code, response.content) == (
        400,
        b"mode: unknown; use new, change-dose or switch.",
    )
