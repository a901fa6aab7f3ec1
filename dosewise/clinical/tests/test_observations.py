"""Lab results: recorded, listed per patient, read by the safety check in the engine's units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from dosewise.access import NotOnCareTeam
from dosewise.accounts.models import Membership
from dosewise.audit.models import AuditEvent
from dosewise.clinical import observations
from dosewise.clinical.observation_models import TEST_LOINC, Observation
from dosewise.domain.safety.facts import LAB_UNITS, Lab
from dosewise.patients.models import Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.services import OrderInput

TODAY = dt.date(2026, 11, 27)


def lithium(actor: Membership, patient: Patient, value: str, on: dt.date) -> Observation:
    return observations.record_observation(
        actor, patient, test="lithium", value=value, unit="mmol/L", effective_on=on, today=TODAY
    )


def test_engine_tests_keep_their_loinc_codes() -> None:
    choices = [value for value, _label in Observation.Test.choices]
    assert set(LAB_UNITS) <= set(choices)
    assert {test: TEST_LOINC[test] for test in LAB_UNITS} == {
        "lithium": "14334-7",
        "valproate": "4086-5",
        "anc": "751-8",
        "qtc": "8636-3",
        "sodium": "2951-2",
        "potassium": "2823-3",
        "egfr": "62238-1",
        "alt": "1742-6",
    }


def test_record_audits_and_feeds_latest_labs(
    prescriber: Membership, nurse: Membership, patient: Patient
) -> None:
    lithium(prescriber, patient, "0.8", dt.date(2026, 10, 1))
    newest = lithium(nurse, patient, "1.4", dt.date(2026, 11, 20))
    observations.record_observation(
        nurse, patient, test="qtc", value=Decimal(430), unit="ms", effective_on=TODAY, today=TODAY
    )
    assert (newest.value, newest.unit, newest.status, newest.recorded_by) == (
        Decimal("1.4"),
        "mmol/L",
        "final",
        nurse.user,
    )
    assert newest.loinc == "14334-7"
    assert list(
        AuditEvent.objects.filter(action="observation.create").values_list("patient", flat=True)
    ) == [patient.pk, patient.pk, patient.pk]
    assert observations.latest_labs(patient, on=TODAY) == (
        Lab("lithium", Decimal("1.400"), "mmol/L", dt.date(2026, 11, 20)),
        Lab("qtc", Decimal("430.000"), "ms", TODAY),
    )
    # Before the newer result, the older one is the latest.
    assert observations.latest_labs(patient, on=dt.date(2026, 11, 1)) == (
        Lab("lithium", Decimal("0.800"), "mmol/L", dt.date(2026, 10, 1)),
    )
    observations.mark_observation_entered_in_error(prescriber, newest, reason="Wrong patient")
    assert observations.latest_labs(patient, on=TODAY)[0].value == Decimal("0.800")
    assert [obs.status for obs in observations.results(patient)] == [
        "final",
        "entered-in-error",
        "final",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"unit": "mg/dL"},
            "unit",
            "Lithium level is not recorded in mg/dL; accepted units: mmol/L, mEq/L.",
        ),
        ({"effective_on": TODAY + dt.timedelta(days=1)}, "effective_on", None),
        ({"value": "-0.5"}, "value", "The result cannot be negative."),
        ({"value": "abc"}, "value", "Enter the result as a number."),
        ({"value": "NaN"}, "value", "Enter the result as a number."),
        (
            {"value": "140"},
            "value",
            "140 mmol/L is out of any physical range for Lithium level (0-10 mmol/L); check the "
            "value and its unit.",
        ),
        ({"test": "prolactin"}, "test", None),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    prescriber: Membership,
    patient: Patient,
    changes: dict[str, object],
    field: str,
    message: str | None,
) -> None:
    args: dict[str, object] = {
        "test": "lithium",
        "value": "0.8",
        "unit": "mmol/L",
        "effective_on": TODAY,
    }
    args.update(changes)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        observations.record_observation(prescriber, patient, today=TODAY, **args)  # type: ignore[arg-type]
    assert list(caught.value.message_dict) == [field]
    if message is not None:
        assert caught.value.message_dict[field] == [message]
    assert Observation.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_off_the_care_team_cannot_record(colleague: Membership, patient: Patient) -> None:
    with pytest.raises(NotOnCareTeam):
        lithium(colleague, patient, "0.8", TODAY)
    assert Observation.objects.count() == 0


def test_high_lithium_level_reaches_the_safety_check(
    prescriber: Membership, patient: Patient
) -> None:
    prescribing.record_outside_medication(
        prescriber,
        patient,
        drug="lithium carbonate",
        dose_amount=Decimal(1),
        dose_unit="capsule",
        strength_mg=Decimal(300),
        times_per_day=Decimal(3),
        source="outside",
        form="capsule",
        start_on=dt.date(2026, 6, 1),
    )
    ibuprofen = OrderInput(
        drug="ibuprofen",
        form="tablet",
        strength_mg=Decimal(400),
        dose_amount=Decimal(1),
        dose_unit="tablet",
        times_per_day=Decimal(3),
        start_on=TODAY,
        days_supply=10,
    )
    before = {f.code for f in prescribing.review(prescriber, patient, ibuprofen, on=TODAY)}
    assert "lithium-level-high" not in before
    lithium(prescriber, patient, "1.4", dt.date(2026, 11, 20))
    assert prescribing.chart_facts(patient, on=TODAY).latest("lithium") == Lab(
        "lithium", Decimal("1.400"), "mmol/L", dt.date(2026, 11, 20)
    )
    findings = {f.code: f for f in prescribing.review(prescriber, patient, ibuprofen, on=TODAY)}
    assert findings["lithium-level-high"].severity.value == "major"
    assert findings["lithium-level-high"].message == (
        "Latest lithium level 1.400 mmol/L on 2026-11-20 is above 1.2 mmol/L."
    )


def test_web_form_records_and_lists(
    prescriber: Membership, patient: Patient, client_for: Callable[[Membership], Client]
) -> None:
    client = client_for(prescriber)
    new = reverse("clinical:observation-new", args=[patient.uuid])
    assert client.get(new).status_code == 200
    response = client.post(
        new, {"test": "lithium", "value": "0.9", "unit": "mmol/L", "effective_on": "2026-01-05"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clinical:observation-list", args=[patient.uuid])
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "<strong>0.9 mmol/L</strong>" in body
    assert "14334-7" in body


def test_web_form_bad_unit_is_shown_on_the_field(
    prescriber: Membership, patient: Patient, client_for: Callable[[Membership], Client]
) -> None:
    response = client_for(prescriber).post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"test": "lithium", "value": "0.9", "unit": "mg/dL", "effective_on": "2026-01-05"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "unit": ["Lithium level is not recorded in mg/dL; accepted units: mmol/L, mEq/L."]
    }
    assert Observation.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "page", "status"),
    [
        ("front_desk", "clinical:observation-list", 403),
        ("front_desk", "clinical:observation-new", 403),
        ("outsider", "clinical:observation-list", 404),
        ("outsider", "clinical:observation-new", 404),
        ("colleague", "clinical:observation-list", 200),
        ("colleague", "clinical:observation-new", 403),
        ("nurse", "clinical:observation-new", 200),
    ],
)
def test_access(
    request: pytest.FixtureRequest,
    patient: Patient,
    client_for: Callable[[Membership], Client],
    persona: str,
    page: str,
    status: int,
) -> None:
    member: Membership = request.getfixturevalue(persona)
    client = client_for(member)
    assert client.get(reverse(page, args=[patient.uuid])).status_code == status
    posted = client.post(
        reverse("clinical:observation-new", args=[patient.uuid]),
        {"test": "lithium", "value": "0.9", "unit": "mmol/L", "effective_on": "2026-01-05"},
    )
    assert posted.status_code in ({302} if persona == "nurse" else {403, 404})
    assert Observation.objects.count() == (1 if persona == "nurse" else 0)
