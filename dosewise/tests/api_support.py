"""Helpers for JSON API tests: a client holding a member's token, problem and audit checks."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from dosewise.accounts.models import Membership
from dosewise.accounts.services import create_api_token
from dosewise.audit.models import AuditEvent

PROBLEM = "application/problem+json"


class ApiClient:
    """Sends JSON to /api/v1/ with `Authorization: Bearer <token>` of one membership."""

    def __init__(self, raw_token: str | None) -> None:
        headers = {"Authorization": f"Bearer {raw_token}"} if raw_token is not None else {}
        self.client = Client(headers=headers)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", json.dumps(body if body is not None else {}), "application/json"
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", json.dumps(body), "application/json")

    def send_raw(self, method: str, path: str, data: bytes | str) -> Any:
        return getattr(self.client, method)(f"/api/v1{path}", data, "application/json")


def api_as(membership: Membership) -> ApiClient:
    """A client with a fresh API token of `membership`."""
    _token, raw = create_api_token(membership, name="tests")
    return ApiClient(raw)


def audit_mark() -> int:
    """The id of the latest audit event, to compare against after a request."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def actions_since(mark: int) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=mark).values_list("action", flat=True))


def events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark))


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert `response` is a problem+json of `status`, and return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    return body


def fields_in_error(response: Any) -> list[str | None]:
    """The fields a 422 problem names."""
    return [error["field"] for error in problem(response, 422)["errors"]]
