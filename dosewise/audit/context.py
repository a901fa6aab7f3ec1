"""Who is asking, from where: the request facts every audit event carries.

Set once per request by `RequestContextMiddleware` (and by management commands) so services
don't thread the HTTP request through clinical code.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_address: str | None
    channel: str  # "web", "api", "cli"


_current: ContextVar[RequestContext | None] = ContextVar("dosewise_request_context", default=None)


def current() -> RequestContext:
    context = _current.get()
    if context is None:
        # Outside a request (management command, shell, test): still a traceable id.
        return RequestContext(request_id=uuid.uuid4().hex, client_address=None, channel="cli")
    return context


def activate(context: RequestContext) -> object:
    return _current.set(context)


def deactivate(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
