"""The lab pages: entry form (grouped tests, units of the test, blood pressure), results with
flags, withdrawing a result, benign ethnic neutropenia; access per persona."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import observations
from dosewise.clinical.models import SafetyAlert
from dosewise.clinical.observation_models import Observation
from dosewise.clinical.observation_views import ObservationForm, lab_test_choices, unit_choices
from dosewise.patients.models import Patient

pytestmark = pytest.mark.django_db

Clients = Callable[[Membership], Client]


def test_tests_are_grouped_labs_then_vitals() -> None:
    groups = lab_test_choices()
    assert [label for label, _options in groups] == ["Labs", "Vitals"]
    vitals = [value for value, _label in groups[1][1]]
    assert vitals == ["qtc", "weight", "bmi", "waist", "heart_rate", "blood_pressure"]
    assert ("hla_b1502", "HLA-B*15:02") in groups[0][1]


def test_unit_select_lists_the_tests_units() -> None:
    assert unit_choices("lithium") == [("mmol/L", "mmol/L"), ("mEq/L", "mEq/L")]
    assert unit_choices("blood_pressure") == [("mmHg", "mmHg")]
    assert unit_choices("hla_b1502") == [("", "(no unit: answer with a code)")]
    form = ObservationForm(data={"test": "weight"})
    assert form.fields["unit"].widget.choices == [("kg", "kg"), ("lb", "lb")]


def test_units_fragment_for_htmx(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    response = client_for(prescriber).get(
        reverse("clinical:observation-units", args=[patient.uuid]) + "?test=weight",
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div id="unit-field">')
    assert '<option value="lb">lb</option>' in body


def test_units_fragment_replaces_the_unit_field_instead_of_nesting_in_it(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    """The fragment is the whole `<div id="unit-field">`: swapped into it (innerHTML) it would
    nest a second element with the same id."""
    page = client_for(prescriber).get(reverse("clinical:observation-new", args=[patient.uuid]))
    body = page.content.decode()
    assert 'hx-target="#unit-field"' in body
    assert 'hx-swap="outerHTML"' in body
    assert body.count('id="unit-field"') == 1


def test_form_converts_and_lists_with_flag_and_reference(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    client = client_for(prescriber)
    response = client.post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"test": "lithium", "value": "1.6", "unit": "mEq/L", "effective_on": "2026-01-05"},
    )
    assert response.status_code == 302
    assert SafetyAlert.objects.get().kind == "critical_lab"
    body = client.get(response["Location"]).content.decode()
    assert '<tr class="obs-critical-high">' in body
    assert "<strong>1.6 mmol/L</strong><br><small>entered as 1.6 mEq/L</small>" in body
    assert (
        '<span class="flag-badge flag-critical-high"><span aria-hidden="true">⚠ </span>Critical high</span>'
        in body
    )
    assert "0.6-1.2 mmol/L (target range)" in body
    assert "Urgent alert open" in body


def test_form_records_blood_pressure_as_two_rows(
    nurse: Membership, patient: Patient, client_for: Clients
) -> None:
    response = client_for(nurse).post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"test": "blood_pressure", "value": "118/76", "unit": "mmHg", "effective_on": "2026-01-05"},
    )
    assert response.status_code == 302
    assert sorted(Observation.objects.values_list("test", "interpretation")) == [
        ("bp_diastolic", "normal"),
        ("bp_systolic", "normal"),
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"test": "weight", "value": "70", "unit": "mmol/L"},
            {"unit": ["Body weight is not recorded in mmol/L; accepted units: kg, lb."]},
        ),
        (
            {"test": "weight", "value": "7000", "unit": "kg"},
            {
                "value": [
                    "7000 kg is out of any physical range for Body weight (0.5-700 kg); check "
                    "the value and its unit."
                ]
            },
        ),
        (
            {"test": "blood_pressure", "value": "120", "unit": "mmHg"},
            {"value": ["Enter blood pressure as systolic/diastolic, e.g. 128/82."]},
        ),
        (
            {"test": "weight", "value": "70", "unit": "kg", "effective_on": "2999-01-01"},
            {"effective_on": ["The result date cannot be in the future."]},
        ),
    ],
)
def test_form_errors_are_beside_the_field(
    prescriber: Membership,
    patient: Patient,
    client_for: Clients,
    data: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    response = client_for(prescriber).post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"effective_on": "2026-01-05", **data},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert Observation.objects.count() == 0


def test_entered_in_error_is_struck_through_with_its_reason(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    obs = observations.record_observation(
        prescriber,
        patient,
        test="sodium",
        value="128",
        unit="mmol/L",
        effective_on=patient.created_at.date(),
    )
    client = client_for(prescriber)
    url = reverse("clinical:observation-entered-in-error", args=[obs.uuid])
    assert client.post(url, {"reason": ""}).status_code == 302
    obs.refresh_from_db()
    assert obs.status == "final"
    response = client.post(url, {"reason": "Haemolysed sample"})
    assert response.status_code == 302
    obs.refresh_from_db()
    assert (obs.status, obs.entered_in_error_reason) == ("entered-in-error", "Haemolysed sample")
    body = client.get(response["Location"]).content.decode()
    assert "<del>128 mmol/L</del>" in body
    assert "Haemolysed sample" in body


def test_ben_toggle_shown_with_anc_results_and_audited(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    client = client_for(prescriber)
    page = client.get(reverse("clinical:observation-list", args=[patient.uuid]) + "?test=anc")
    assert "Not recorded</strong>: ANC results read against the general-population range" in (
        page.content.decode()
    )
    response = client.post(
        reverse("clinical:observation-ben", args=[patient.uuid]),
        {"benign_ethnic_neutropenia": "yes"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.benign_ethnic_neutropenia is True
    assert AuditEvent.objects.filter(action="patient.benign-ethnic-neutropenia").count() == 1


def test_list_filters_by_test(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    today = patient.created_at.date()
    for test, value, unit in [("sodium", "140", "mmol/L"), ("weight", "70", "kg")]:
        observations.record_observation(
            prescriber, patient, test=test, value=value, unit=unit, effective_on=today
        )
    response = client_for(prescriber).get(
        reverse("clinical:observation-list", args=[patient.uuid]) + "?test=weight"
    )
    assert [obs.test for obs in response.context["rows"]] == ["weight"]


@pytest.mark.parametrize(
    ("persona", "list_status", "write_status"),
    [
        ("prescriber", 200, 302),
        ("nurse", 200, 302),
        ("colleague", 200, 403),
        ("front_desk", 403, 403),
        ("clinic_admin", 403, 403),
        ("outsider", 404, 404),
    ],
)
def test_access_per_persona(
    request: pytest.FixtureRequest,
    prescriber: Membership,
    patient: Patient,
    client_for: Clients,
    persona: str,
    list_status: int,
    write_status: int,
) -> None:
    obs = observations.record_observation(
        prescriber,
        patient,
        test="sodium",
        value="140",
        unit="mmol/L",
        effective_on=patient.created_at.date(),
    )
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("clinical:observation-list", args=[patient.uuid])).status_code == (
        list_status
    )
    eie = client.post(
        reverse("clinical:observation-entered-in-error", args=[obs.uuid]), {"reason": "x"}
    )
    ben = client.post(
        reverse("clinical:observation-ben", args=[patient.uuid]),
        {"benign_ethnic_neutropenia": "yes"},
    )
    assert (eie.status_code, ben.status_code) == (write_status, write_status)
    obs.refresh_from_db()
    patient.refresh_from_db()
    written = write_status == 302
    assert (obs.status == "entered-in-error", patient.benign_ethnic_neutropenia) == (
        written,
        written,
    )


def test_critical_lab_alert_is_answered_with_the_action_taken(
    prescriber: Membership, patient: Patient, client_for: Clients
) -> None:
    client = client_for(prescriber)
    client.post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"test": "lithium", "value": "1.6", "unit": "mmol/L", "effective_on": "2026-01-05"},
    )
    alert = SafetyAlert.objects.get()
    chart = client.get(patient.get_absolute_url()).content.decode()
    assert "Urgent: Critical lab result" in chart
    assert "Record action taken" in chart and "Crisis resource" not in chart
    url = reverse("clinical:safety-alert-resolve", args=[alert.uuid])

    refused = client.post(url, {"safety_assessment": " "}, follow=True).content.decode()
    assert "Action taken: Record the action taken" in refused
    done = client.post(
        url, {"safety_assessment": "Held lithium; repeat level tomorrow."}, follow=True
    ).content.decode()
    assert "Action taken recorded; the alert is resolved." in done
    alert.refresh_from_db()
    assert alert.safety_assessment == "Held lithium; repeat level tomorrow."
