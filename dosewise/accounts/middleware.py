"""Per-request account state: two-factor enforcement and the active organization."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dosewise.accounts.models import Membership

ACTIVE_ORGANIZATION_KEY = "active_organization"


class TwoFactorEnforcementMiddleware:
    """Log out a session that should have passed two-factor but has not.

    The login view only completes login after the second factor, so this never fires in normal
    use; it guards against any other path creating a session (admin login, a future view).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.requires_two_factor and not user.is_verified():  # type: ignore[union-attr,attr-defined]
            logout(request)
            return redirect("accounts:login")
        return self.get_response(request)


class ActiveOrganizationMiddleware:
    """Sets `request.membership`: the user's active membership, or None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = active_membership(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def active_membership(request: HttpRequest) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    organization_id = request.session.get(ACTIVE_ORGANIZATION_KEY)
    memberships = Membership.objects.select_related("organization", "user").filter(
        user=request.user, is_active=True
    )
    if organization_id is not None:
        return memberships.filter(organization_id=organization_id).first()
    # One organization: it is the active one; several: the user chooses (organization switcher).
    only = list(memberships[:2])
    if len(only) == 1:
        request.session[ACTIVE_ORGANIZATION_KEY] = only[0].organization_id
        return only[0]
    return None
