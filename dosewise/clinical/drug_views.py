"""The drug knowledge base for clinicians: every fact with its source and verification status."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dosewise.accounts.decorators import member_required
from dosewise.accounts.models import Membership
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.htmx import render_page

CLINICAL_ROLES = (Membership.Role.PRESCRIBER, Membership.Role.NURSE)


@member_required(*CLINICAL_ROLES)
@require_GET
def drug_list(request: HttpRequest) -> HttpResponse:
    knowledge = default_knowledge()
    query = request.GET.get("q", "")[:100].strip()
    drugs = (
        knowledge.search(query, limit=200)
        if query
        else sorted(knowledge.drugs.values(), key=lambda d: (d.drug_class, d.name))
    )
    return render_page(
        request, "clinical/drug_list.html", {"drugs": drugs, "query": query}, partial="results"
    )


@member_required(*CLINICAL_ROLES)
@require_GET
def drug_detail(request: HttpRequest, name: str) -> HttpResponse:
    knowledge = default_knowledge()
    try:
        drug = knowledge.find(name)
    except UnknownDrug as exc:
        raise Http404(str(exc)) from None
    return render_page(
        request, "clinical/drug_detail.html", {"drug": drug, "sources": knowledge.sources}
    )
