"""Bearer-token authentication for the JSON API: a token acts as one membership.

`Authorization: Bearer <token>`; the token is looked up by its hash (`ApiToken.objects.matching`),
which refuses revoked tokens and deactivated members or users. An endpoint reads the acting
member with `member(request)`.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from dosewise.accounts.models import ApiToken, Membership
from dosewise.audit.services import record

# Writing last_used_at on every request would turn each read into a write; a minute is precise
# enough to tell an idle token from a used one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

ASK_FOR_BEARER = "Send an API token in the header 'Authorization: Bearer <token>'."
REFUSED_BEARER = "The API token is invalid, revoked, or its member is deactivated."


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the token of one member of one organization."""

    def __call__(self, request: HttpRequest) -> Membership | None:
        header = request.headers.get(self.header, "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            record("access.denied", actor=None, detail={"path": request.path, "why": "no token"})
            raise AuthenticationError(message=ASK_FOR_BEARER)
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        api_token = ApiToken.objects.matching(token) if token else None
        if api_token is None:
            record(
                "access.denied", actor=None, detail={"path": request.path, "why": "invalid token"}
            )
            raise AuthenticationError(message=REFUSED_BEARER)
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token.membership


def member(request: HttpRequest) -> Membership:
    """The membership the request's API token acts as (set by `ApiTokenAuth`)."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return membership
