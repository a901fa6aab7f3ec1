from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dosewise.accounts.models import Organization


def clinic(request: HttpRequest) -> dict[str, Any]:
    """The active membership and whether demonstration data is loaded (for the banner)."""
    membership = getattr(request, "membership", None)
    if membership is not None:
        is_demo = membership.organization.is_demo
    else:
        is_demo = Organization.objects.filter(is_demo=True).exists()
    return {"membership": membership, "demo_data": is_demo}
