"""The API contract: the OpenAPI document matches the committed snapshot.

Every change to paths, parameters or schemas shows up as a diff of `openapi_snapshot.json` in
review. After an intended change, regenerate the snapshot and commit it with the change:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest dosewise/tests/test_openapi.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.test import Client

from dosewise.api import api

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")


def current_schema() -> str:
    # The round trip turns ninja's integer status keys into the strings JSON has.
    schema = json.loads(json.dumps(api.get_openapi_schema()))
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def test_openapi_matches_snapshot() -> None:
    schema = current_schema()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(schema)
    assert SNAPSHOT.exists(), "No snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert schema == SNAPSHOT.read_text(), (
        "The API contract changed. If intended: UPDATE_SNAPSHOTS=1 .venv/bin/pytest "
        "dosewise/tests/test_openapi.py, then review and commit the snapshot diff."
    )


def test_every_operation_needs_a_token_and_documents_its_problems() -> None:
    schema = api.get_openapi_schema()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) == 79
    for operation in operations:
        assert operation["security"] == [{"ApiTokenAuth": []}]
        assert operation["responses"][401]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


def test_paths_name_records_by_uuid_only() -> None:
    schema = api.get_openapi_schema()
    parameters = {
        parameter["name"]
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }
    # Records by UUID; knowledge-base drugs by their generic name (not patient data).
    assert parameters == {
        "patient_uuid",
        "allergy_uuid",
        "assessment_uuid",
        "alert_uuid",
        "encounter_uuid",
        "diagnosis_uuid",
        "prescription_uuid",
        "plan_uuid",
        "step_uuid",
        "observation_uuid",
        "report_uuid",
        "appointment_uuid",
        "user_uuid",
        "reminder_uuid",
        "drug_name",
    }


def test_input_schemas_refuse_unknown_fields() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    inputs = sorted(name for name in components if name.endswith("In"))
    assert inputs == [
        "AddendumIn",
        "AdherenceIn",
        "AllergyIn",
        "AppointmentIn",
        "AssessmentIn",
        "CancelIn",
        "CareTeamJoinIn",
        "ContactPreferenceIn",
        "DiagnosisChangeIn",
        "DiagnosisIn",
        "EncounterChangeIn",
        "EncounterIn",
        "EnteredInErrorIn",
        "ObservationIn",
        "OutsideMedicationIn",
        "PatientChangeIn",
        "PatientIn",
        "PlanIn",
        "PlanItemIn",
        "PlanStepConfirmIn",
        "PlanStopIn",
        "PrescriptionChangeIn",
        "PrescriptionIn",
        "ReasonIn",
        "RenewIn",
        "RescheduleIn",
        "ResumeIn",
        "ReviewIn",
        "SafetyAssessmentIn",
        "SideEffectIn",
        "StatusChangeIn",
        "StatusIn",
        "TrdDecisionIn",
    ]
    for name in inputs:
        assert components[name]["additionalProperties"] is False, name


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_docs_are_served(path: str) -> None:
    assert Client().get(path).status_code == 200
