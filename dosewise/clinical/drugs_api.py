"""JSON API over the drug knowledge base and the safety engine (clinicians).

`POST /safety/check` takes exactly the `dosewise check` document and returns its findings, so
integrators can check an order without a patient in Dosewise. Prescribing (a later issue) calls
the same engine with the chart's facts.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Body, Query, Router
from ninja.errors import HttpError

from dosewise.access import require_clinical
from dosewise.api_auth import member
from dosewise.api_schemas import QueryText
from dosewise.domain.knowledge.export import drug_as_dict
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.safety import check
from dosewise.domain.safety.parse import InputError, parse_check_request

router = Router(tags=["drug knowledge and safety"])

DRUG_SEARCH = Query("", max_length=100, description="Part of a generic name, brand name or RxCUI.")
CHECK_DOCUMENT = Body(
    ..., description="The `dosewise check` input document (docs/safety-rules.md)."
)


@router.get("/drugs", response=list[dict[str, Any]])
def search_drugs(request: HttpRequest, q: QueryText = DRUG_SEARCH) -> list[dict[str, Any]]:
    """Drugs whose generic name, brand name or RxCUI contains `q`."""
    require_clinical(member(request), what="drugs")
    knowledge = default_knowledge()
    found = (
        knowledge.search(q, limit=50)
        if q
        else sorted(knowledge.drugs.values(), key=lambda d: d.name)
    )
    return [
        {
            "name": drug.name,
            "class": drug.drug_class,
            "subclass": drug.subclass,
            "dea_schedule": drug.dea_schedule,
            "synonyms": list(drug.synonyms),
        }
        for drug in found
    ]


@router.get("/drugs/{drug_name}", response=dict[str, Any])
def show_drug(request: HttpRequest, drug_name: str) -> dict[str, Any]:
    """Every fact about one drug, with its source ids and verification status."""
    require_clinical(member(request), what="drugs")
    try:
        return drug_as_dict(default_knowledge().find(drug_name))
    except UnknownDrug as exc:
        raise Http404(str(exc)) from None


@router.post("/safety/check", response=dict[str, Any])
def safety_check(request: HttpRequest, document: dict[str, Any] = CHECK_DOCUMENT) -> dict[str, Any]:
    """Check one proposed order: the `dosewise check` input document, the same findings."""
    require_clinical(member(request), what="safety-check")
    knowledge = default_knowledge()
    try:
        parsed = parse_check_request(document, knowledge, today=timezone.localdate())
    except InputError as exc:
        raise HttpError(422, str(exc)) from None
    findings = check(parsed.order, parsed.medications, parsed.patient, knowledge, on=parsed.on)
    titles = {source.id: source.title for source in knowledge.sources.values()}
    return {"findings": [item.as_dict(titles) for item in findings]}
