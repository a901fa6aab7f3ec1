"""The JSON API for lab results and vitals: record (converted, interpreted, alert), list,
read, withdraw; bad input as problem+json naming the field; access per persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from dosewise.accounts.models import Membership
from dosewise.clinical import observations
from dosewise.clinical.models import SafetyAlert
from dosewise.clinical.observation_models import Observation
from dosewise.patients.models import Patient
from dosewise.tests.api_support import actions_since, api_as, audit_mark, fields_in_error, problem

pytestmark = pytest.mark.django_db


def body(**changes: Any) -> dict[str, Any]:
    return {
        "test": "lithium",
        "value": "0.8",
        "unit": "mmol/L",
        "effective_on": timezone.localdate().isoformat(),
        **changes,
    }


def test_records_by_loinc_and_returns_canonical_value_interpretation_and_alert(
    prescriber: Membership, patient: Patient
) -> None:
    client = api_as(prescriber)
    mark = audit_mark()
    response = client.post(
        f"/patients/{patient.uuid}/observations", body(test="14334-7", value="1.6", unit="mEq/L")
    )
    assert response.status_code == 201, response.content
    stored = Observation.objects.get()
    alert = SafetyAlert.objects.get()
    data = response.json()
    assert data == {
        "uuid": str(stored.uuid),
        "patient": str(patient.uuid),
        "test": "lithium",
        "test_name": "Lithium level",
        "loinc": "14334-7",
        "value": "1.6",
        "unit": "mmol/L",
        "entered_value": "1.6",
        "entered_unit": "mEq/L",
        "value_code": "",
        "interpretation": "critical-high",
        "interpretation_note": stored.interpretation_note,
        "reference_range": "0.6-1.2 mmol/L (target range)",
        "effective_on": timezone.localdate().isoformat(),
        "status": "final",
        "entered_in_error_reason": "",
        "recorded_by": {"uuid": str(prescriber.user.uuid), "name": str(prescriber.user)},
        "alert": str(alert.uuid),
    }
    assert actions_since(mark) == ["observation.create", "safety-alert.raise"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"test": "1234-5"}, "test", None),
        (
            {"unit": "mg/dL"},
            "unit",
            "Lithium level is not recorded in mg/dL; accepted units: mmol/L, mEq/L.",
        ),
        (
            {"value": "140"},
            "value",
            "140 mmol/L is out of any physical range for Lithium level (0-10 mmol/L); check the "
            "value and its unit.",
        ),
        (
            {"effective_on": "2999-01-01"},
            "effective_on",
            "The result date cannot be in the future.",
        ),
        ({"effective_on": "01/05/2026"}, "effective_on", None),
        ({"value": "lots"}, "value", "Enter the result as a number."),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    prescriber: Membership,
    patient: Patient,
    changes: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    response = api_as(prescriber).post(f"/patients/{patient.uuid}/observations", body(**changes))
    errors = problem(response, 422)["errors"]
    assert [error["field"].split(".")[-1] for error in errors] == [field]
    if message:
        assert errors[0]["message"] == message
    assert Observation.objects.count() == 0


def test_missing_value_is_malformed(prescriber: Membership, patient: Patient) -> None:
    payload = body()
    del payload["value"]
    response = api_as(prescriber).post(f"/patients/{patient.uuid}/observations", payload)
    assert [f.split(".")[-1] for f in fields_in_error(response)] == ["value"]


def test_list_filter_read_and_withdraw(prescriber: Membership, patient: Patient) -> None:
    today = timezone.localdate()
    lithium = observations.record_observation(
        prescriber, patient, test="lithium", value="0.7", unit="mmol/L", effective_on=today
    )
    observations.record_observation(
        prescriber, patient, test="weight", value="154", unit="lb", effective_on=today
    )
    client = api_as(prescriber)
    listed = client.get(f"/patients/{patient.uuid}/observations?test=3141-9").json()
    assert [(o["test"], o["value"], o["entered_value"]) for o in listed] == [
        ("weight", "69.853", "154")
    ]
    assert problem(client.get(f"/patients/{patient.uuid}/observations?test=nope"), 422)
    one = client.get(f"/observations/{lithium.uuid}")
    assert one.json()["interpretation"] == "normal"
    withdrawn = client.post(
        f"/observations/{lithium.uuid}/entered-in-error", {"reason": "Wrong patient"}
    )
    assert withdrawn.json()["status"] == "entered-in-error"
    remaining = client.get(f"/patients/{patient.uuid}/observations").json()
    assert [o["test"] for o in remaining] == ["weight"]
    everything = client.get(
        f"/patients/{patient.uuid}/observations?include_entered_in_error=true"
    ).json()
    assert len(everything) == 2


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("nurse", 200, 201),
        ("colleague", 200, 403),
        ("front_desk", 404, 404),
        ("clinic_admin", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_access_per_persona(
    request: pytest.FixtureRequest,
    prescriber: Membership,
    patient: Patient,
    persona: str,
    read: int,
    write: int,
) -> None:
    obs = observations.record_observation(
        prescriber,
        patient,
        test="sodium",
        value="140",
        unit="mmol/L",
        effective_on=timezone.localdate(),
    )
    client = api_as(request.getfixturevalue(persona))
    assert client.get(f"/patients/{patient.uuid}/observations").status_code == read
    assert client.get(f"/observations/{obs.uuid}").status_code == read
    assert client.post(f"/patients/{patient.uuid}/observations", body()).status_code == write
    withdrawn = client.post(f"/observations/{obs.uuid}/entered-in-error", {"reason": "x"})
    assert withdrawn.status_code == (200 if write == 201 else write)
