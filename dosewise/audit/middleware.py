"""Gives every request an id and records the client address for the audit trail."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dosewise.audit import context


def _normalised(address: str) -> str | None:
    # The database stores IPv6 in canonical form; hash and compare that same form.
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's address; trusts X-Forwarded-For only as far as PROXY_COUNT proxies.

    Used by the audit trail and by the login lockout (AXES_CLIENT_IP_CALLABLE), so both agree.
    """
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return _normalised(forwarded[-proxies])
    return _normalised(str(request.META.get("REMOTE_ADDR", "")))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.activate(
            context.RequestContext(request_id, client_address(request), channel)
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response
