"""JSON API for lab results and vital signs (LOINC-coded observations).

Thin like the web views: parse, resolve through `dosewise.access`, call one service
(`dosewise.clinical.observations`), render. Every endpoint is clinical: front desk and clinic
admins get 404; writing needs the patient's care team (403 otherwise). A critical result raises
an urgent alert in the same transaction; its id is returned as `alert`.
"""

import datetime as dt
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from dosewise.access import Need, get_patient, get_patient_record
from dosewise.api_auth import member
from dosewise.api_schemas import InSchema, IsoDate, PersonOut, QueryText, ReasonIn
from dosewise.audit.services import record
from dosewise.clinical import observations
from dosewise.clinical.observation_models import Observation
from dosewise.domain.labs import catalogue

router = Router(tags=["observations"])

PatientId = Annotated[str, Path(description="The patient's public id (UUID).")]
ObservationId = Annotated[str, Path(description="The observation's public id (UUID).")]
TEST_FILTER = Query(
    None, max_length=20, description="Only this test: a catalogue id (lithium) or a LOINC code."
)


class ObservationIn(InSchema):
    """One result: the test (catalogue id or LOINC code), the value as measured and its unit."""

    test: str = Field(
        max_length=20,
        description="Catalogue id (lithium, anc, qtc, hba1c, ...) or one of its LOINC codes "
        "(14334-7). Unknown ids and codes are refused.",
    )
    value: str = Field(
        max_length=30,
        description='A decimal number as text ("0.8"), or for a coded test its answer '
        '("positive" / "negative" for hla_b1502).',
    )
    unit: str = Field(
        "",
        max_length=24,
        description="One of the test's accepted units (e.g. mmol/L or mEq/L for lithium); "
        "empty for a coded test. The value is converted to the test's canonical unit.",
    )
    effective_on: IsoDate = Field(description="The day the sample was taken (not in the future).")


class ObservationOut(Schema):
    """A recorded result: as entered, in the canonical unit, and how it reads."""

    uuid: UUID
    patient: UUID
    test: str
    test_name: str
    loinc: str
    value: str | None = Field(description="In the canonical unit; null for a coded result.")
    unit: str
    entered_value: str | None
    entered_unit: str
    value_code: str
    interpretation: str = Field(
        description="normal, low, high, critical-low, critical-high or abnormal."
    )
    interpretation_note: str
    reference_range: str
    effective_on: dt.date
    status: str
    entered_in_error_reason: str
    recorded_by: PersonOut
    alert: UUID | None = Field(description="The urgent alert this result raised, if any.")

    @staticmethod
    def resolve_patient(obj: Observation) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_test_name(obj: Observation) -> str:
        return obj.get_test_display()

    @staticmethod
    def resolve_value(obj: Observation) -> str | None:
        return None if obj.value is None else format(obj.value.normalize(), "f")

    @staticmethod
    def resolve_entered_value(obj: Observation) -> str | None:
        return None if obj.entered_value is None else format(obj.entered_value.normalize(), "f")

    @staticmethod
    def resolve_reference_range(obj: Observation) -> str:
        return obj.reference_text

    @staticmethod
    def resolve_alert(obj: Observation) -> UUID | None:
        alerts = list(obj.alerts.all())
        return alerts[0].uuid if alerts else None


def _reload(observation: Observation) -> Observation:
    return (
        Observation.objects.select_related("patient", "recorded_by")
        .prefetch_related("alerts")
        .get(pk=observation.pk)
    )


@router.post("/patients/{patient_uuid}/observations", response={201: ObservationOut})
def record_observation(
    request: HttpRequest, patient_uuid: PatientId, payload: ObservationIn
) -> Status:
    """Record a lab result or vital sign (care team). The value is converted to the test's
    canonical unit and read against its reference range; a critical result (e.g. lithium at or
    above 1.5 mmol/L, QTc above 500 ms, moderate or severe neutropenia on clozapine) raises an
    urgent alert, returned as `alert`."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CLINICAL_WRITE)
    observation = observations.record_observation(
        actor,
        patient,
        test=payload.test,
        value=payload.value,
        unit=payload.unit,
        effective_on=payload.effective_on,
    )
    return Status(201, _reload(observation))


@router.get("/patients/{patient_uuid}/observations", response=list[ObservationOut])
def list_observations(
    request: HttpRequest,
    patient_uuid: PatientId,
    test: QueryText | None = TEST_FILTER,
    include_entered_in_error: bool = False,
) -> list[Observation]:
    """The patient's results, newest first (optionally one test)."""
    actor = member(request)
    patient = get_patient(actor, patient_uuid, Need.CHART)
    found = Observation.objects.filter(patient=patient)
    if test is not None:
        tests = catalogue()
        test_id = tests.by_loinc.get(test, test)
        if test_id not in tests.tests:
            raise ValidationError({"test": [f"Unknown test or LOINC code {test!r}."]})
        found = found.filter(test=test_id)
    if not include_entered_in_error:
        found = found.in_record()
    listed = list(
        found.select_related("patient", "recorded_by")
        .prefetch_related("alerts")
        .order_by("-effective_on", "-created_at")
    )
    record(
        "observation.list",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        detail={"count": len(listed), "test": test},
    )
    return listed


@router.get("/observations/{observation_uuid}", response=ObservationOut)
def get_observation(request: HttpRequest, observation_uuid: ObservationId) -> Observation:
    """One result (reading it is audited)."""
    actor = member(request)
    observation = get_patient_record(actor, Observation, observation_uuid, Need.CHART)
    return _reload(observation)


@router.post("/observations/{observation_uuid}/entered-in-error", response=ObservationOut)
def mark_observation_entered_in_error(
    request: HttpRequest, observation_uuid: ObservationId, payload: ReasonIn
) -> Observation:
    """Withdraw a result recorded by mistake; it stays in the record, marked (care team), and
    no longer reaches the safety check or the monitoring protocols."""
    actor = member(request)
    observation = get_patient_record(actor, Observation, observation_uuid, Need.CLINICAL_WRITE)
    observation = observations.mark_observation_entered_in_error(
        actor, observation, reason=payload.reason
    )
    return _reload(observation)
