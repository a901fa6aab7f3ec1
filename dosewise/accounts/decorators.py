"""View decorators: a logged-in user with an active membership, optionally of some roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dosewise.accounts.models import Membership
from dosewise.audit.services import record

View = Callable[..., HttpResponse]


def member_required(*roles: str) -> Callable[[View], View]:
    """Require a login, an active organization and (if given) one of `roles`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                record(
                    "access.denied",
                    actor=None,
                    detail={"path": request.path, "why": "not signed in"},
                )
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = request.membership  # type: ignore[attr-defined]
            if membership is None:
                if request.user.memberships.filter(is_active=True).exists():  # type: ignore[union-attr]
                    return redirect("accounts:choose-organization")
                record(
                    "access.denied",
                    actor=request.user,
                    detail={"path": request.path, "why": "no membership"},
                )  # type: ignore[arg-type]
                raise PermissionDenied("Your account is not a member of any organization.")
            if roles and membership.role not in roles:
                record(
                    "access.denied",
                    actor=membership.user,
                    organization=membership.organization,
                    detail={"path": request.path, "why": f"role {membership.role}"},
                )
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
