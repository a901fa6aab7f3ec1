"""Drug names to knowledge-base drugs for the planners (an unknown name is a PlanError)."""

from __future__ import annotations

from dosewise.domain.knowledge.loader import Knowledge, UnknownDrug
from dosewise.domain.knowledge.model import Drug
from dosewise.domain.plans.model import PlanError


def drug_named(knowledge: Knowledge, name: str, parameter: str) -> Drug:
    try:
        return knowledge.find(name)
    except UnknownDrug as exc:
        raise PlanError(f"{parameter}: {exc}") from None
