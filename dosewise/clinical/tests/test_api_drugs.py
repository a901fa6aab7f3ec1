"""The knowledge base and the safety engine through the API: the CLI's contract over HTTP."""

from __future__ import annotations

from dosewise.accounts.models import Membership
from dosewise.tests.api_support import api_as, problem

ORDER_ON_SSRI = {
    "date": "2026-11-27",
    "patient": {"age": 40, "sex": "male"},
    "medications": [{"drug": "sertraline", "dose_mg": 100, "start": "2026-06-01"}],
    "order": {"drug": "linezolid", "dose_mg": 600, "times_per_day": 2},
}


def test_safety_check_returns_the_cli_findings(prescriber: Membership) -> None:
    response = api_as(prescriber).post("/safety/check", ORDER_ON_SSRI)
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert [(f["code"], f["severity"], f["drugs"]) for f in findings] == [
        ("linezolid-with-serotonergic", "major", ["linezolid", "sertraline"])
    ]


def test_safety_check_refuses_an_unknown_drug_naming_the_field(prescriber: Membership) -> None:
    body = {**ORDER_ON_SSRI, "order": {"drug": "zoloftt", "dose_mg": 50}}
    found = problem(api_as(prescriber).post("/safety/check", body), 422)
    assert found["detail"] == "order.drug: unknown drug 'zoloftt'; did you mean sertraline?"


def test_safety_check_refuses_a_zero_dose(prescriber: Membership) -> None:
    body = {**ORDER_ON_SSRI, "order": {"drug": "sertraline", "dose_mg": 0}}
    found = problem(api_as(prescriber).post("/safety/check", body), 422)
    assert found["detail"] == "order.dose_mg must be greater than 0, got 0"


def test_drug_lookup_by_brand_and_unknown(prescriber: Membership) -> None:
    client = api_as(prescriber)
    response = client.get("/drugs/Zoloft")
    assert response.status_code == 200
    body = response.json()
    assert (
        body["name"],
        body["dosing"]["label_max_mg_per_day"],
        body["dosing"]["verification"],
    ) == (
        "sertraline",
        200,
        "verified",
    )
    problem(client.get("/drugs/unobtainium"), 404)
    assert [drug["name"] for drug in client.get("/drugs", q="zolo").json()] == ["sertraline"]
