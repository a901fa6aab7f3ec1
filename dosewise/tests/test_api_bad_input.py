"""No input makes the API fail: every odd value of every field gets a 4xx problem, never a 500.

The operations and their fields come from the OpenAPI document, so a new endpoint is covered
without editing this file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from dosewise.accounts.models import Membership
from dosewise.api import api
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical_services
from dosewise.patients import services as patient_services
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing
from dosewise.tests.api_support import PROBLEM, api_as

pytestmark = pytest.mark.django_db

ODD_VALUES: list[Any] = [
    None,
    True,
    -1,
    1e308,
    [],
    {"nested": {"deeper": 1}},
    "",
    "x" * 5000,
    "nul\x00",
    "9999-99-99",
    "00000000-0000-0000-0000-000000000000",
]
ODD_BODIES = [b"", b"null", b"[]", b'"text"', b"{", b"\xff\xfe", b'{"": 1}']


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="")
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def body_fields(operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    if "requestBody" not in operation:
        return []
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" not in schema:
        # A free-form document (POST /safety/check takes the `dosewise check` input).
        return ["date", "medications", "order", "patient"]
    return sorted(components[schema["$ref"].rsplit("/", 1)[-1]]["properties"])


def assert_refused_cleanly(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM, response.content


def test_no_odd_input_makes_any_operation_fail(prescriber: Membership, patient: Patient) -> None:
    encounter = clinical_services.start_encounter(
        prescriber, patient, kind="intake", mode="in-person", occurred_on=patient.date_of_birth
    )
    diagnosis = clinical_services.add_diagnosis(prescriber, patient, code="F41.1")
    allergy = patient_services.record_allergy(prescriber, patient, substance="Latex")
    prescription = prescribing.prescribe(
        prescriber,
        patient,
        prescribing.OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(1),
            dose_unit="tablet",
            times_per_day=Decimal(1),
            days_supply=30,
            indication=diagnosis,
        ),
    )
    assessment = assessments.record_assessment(
        prescriber,
        patient,
        instrument="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
        answered_by="patient",
        mode="in-clinic",
    )
    ids = {
        "{patient_uuid}": patient.uuid,
        "{assessment_uuid}": assessment.uuid,
        "{alert_uuid}": assessment.alerts.get().uuid,
        "{encounter_uuid}": encounter.uuid,
        "{diagnosis_uuid}": diagnosis.uuid,
        "{allergy_uuid}": allergy.uuid,
        "{prescription_uuid}": prescription.uuid,
    }
    components = api.get_openapi_schema()["components"]["schemas"]
    client = api_as(prescriber)
    tried = 0
    for path, method, operation in operations():
        for placeholder, value in ids.items():
            path = path.replace(placeholder, str(value))
        queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for name in queries:
            for value in ODD_VALUES:
                assert_refused_cleanly(client.client.get(f"/api/v1{path}", {name: str(value)}))
                tried += 1
        if method == "get":
            continue
        for raw in ODD_BODIES:
            assert_refused_cleanly(client.send_raw(method, path, raw))
            tried += 1
        for field in body_fields(operation, components):
            for value in ODD_VALUES:
                body = json.dumps({field: value})
                assert_refused_cleanly(client.send_raw(method, path, body))
                tried += 1
    assert tried > 500
