"""API errors as RFC 9457 problem details: every error is `application/problem+json`.

Services refuse with Django's `ValidationError` (keyed by field), the access helper with
`Http404` / `PermissionDenied`; ninja refuses malformed or unknown input itself. Each becomes
one problem document naming the field at fault, so a client never has to parse HTML or guess.

Two refusals have their own problem type (409), because a client answers them differently:
`safety-block` (prescribing: findings need an override reason or an acknowledgement; resend with
them) and `edit-conflict` (the medication list changed since the version the client read).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dosewise.api_schemas import Problem
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.safety import Finding
from dosewise.prescribing.services import EditConflict, SafetyBlock

CONTENT_TYPE = "application/problem+json"

SAFETY_BLOCK = "https://dosewise.org/problems/safety-block"
EDIT_CONFLICT = "https://dosewise.org/problems/edit-conflict"

# Python 3.13 renamed 422's phrase; one spelling keeps responses and the snapshot stable.
_TITLES = {422: "Unprocessable Content"}

# Pydantic's wording for the two commonest refusals, in the words the services use.
_MESSAGES = {"extra_forbidden": "Unknown field.", "missing": "This field is required."}

# What each error status means in this API, for the OpenAPI document.
_DESCRIPTIONS = {
    400: "The body is not well-formed JSON.",
    401: "No API token, or an invalid or revoked one.",
    403: "Not allowed: e.g. writing to a chart without being on the patient's care team.",
    404: "No such record, or not one this token may see (also: a clinical endpoint for a role "
    "that sees demographics only).",
    422: "Invalid input; `errors` names each field at fault.",
}

# The 409 problems, by their schema's name, as the OpenAPI document describes them.
_CONFLICTS = {
    "SafetyBlockProblem": f"`{SAFETY_BLOCK}`: safety findings need an override reason "
    "(contraindicated) or an acknowledgement (major); `findings` says which, and the same "
    "request sent again with `overrides` / `acknowledged` goes ahead.",
    "EditConflictProblem": f"`{EDIT_CONFLICT}`: the medication list changed since "
    "`expected_regimen_version`; `regimen_version` is the current one.",
}


def _title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    type_: str = "about:blank",
    title: str | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def _field_errors_detail(errors: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{item['field']}: {item['message']}" if item["field"] else item["message"]
        for item in errors
    )


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, str(exc) or "No such record.")


def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, str(exc) or "You may not do this.")


def _refused_by_service(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": None if field == NON_FIELD_ERRORS else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in exc.messages]
    return problem(422, _field_errors_detail(errors), errors=errors)


def _field_name(loc: tuple[Any, ...]) -> str | None:
    # ("body", "payload", "mrn") -> "mrn"; ("query", "limit") -> "limit"; ("body", "payload")
    # (the body as a whole) -> None.
    source, *rest = loc
    path = rest[1:] if source == "body" else rest
    return ".".join(str(part) for part in path) or None


def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        field = _field_name(tuple(error["loc"]))
        message = _MESSAGES.get(error["type"], error["msg"])
        if field is None:
            # The body as a whole: absent, or JSON that is not an object.
            message = "Send a JSON object as the request body."
        errors.append({"field": field, "message": message})
    return problem(422, _field_errors_detail(errors), errors=errors)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja wraps the JSON parser's error (JSONDecodeError, UnicodeDecodeError).
        return problem(400, f"The request body is malformed JSON ({exc.__cause__}).")
    response = problem(exc.status_code, exc.message)
    if exc.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def finding_dicts(
    findings: Iterable[Finding],
    *,
    needs_reason: Iterable[Finding] = (),
    needs_acknowledgement: Iterable[Finding] = (),
) -> list[dict[str, Any]]:
    """Each finding as `prescribing.schemas.FindingOut`: with its source's title, and what
    signing still needs ("reason", "acknowledgement" or None)."""
    titles = {source.id: source.title for source in default_knowledge().sources.values()}
    needs: dict[Finding, str] = {
        **dict.fromkeys(needs_acknowledgement, "acknowledgement"),
        **dict.fromkeys(needs_reason, "reason"),
    }
    return [{**item.as_dict(titles), "needs": needs.get(item)} for item in findings]


def _safety_block(request: HttpRequest, exc: SafetyBlock) -> HttpResponse:
    findings = finding_dicts(
        exc.findings,
        needs_reason=exc.needs_reason,
        needs_acknowledgement=exc.needs_acknowledgement,
    )
    return problem(
        409,
        f"{exc}. Give a reason in `overrides` for each finding that needs one, list those that "
        "need an acknowledgement in `acknowledged`, and send the request again.",
        type_=SAFETY_BLOCK,
        title="Safety review needed",
        extra={"findings": findings},
    )


def _edit_conflict(request: HttpRequest, exc: EditConflict) -> HttpResponse:
    return problem(
        409,
        str(exc),
        type_=EDIT_CONFLICT,
        title="Edit conflict",
        extra={"regimen_version": exc.current, "expected_regimen_version": exc.expected},
    )


def outside_operations(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a ninja URL view for the errors ninja gives before an operation runs.

    A wrong method (plain-text 405, `Allow` kept) and the bare API root (Django's HTML 404).
    """

    @functools.wraps(view)  # keeps ninja's csrf_exempt mark
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return problem(404, "No such endpoint.")
        if isinstance(response, HttpResponseNotAllowed):
            # ninja collects the methods in a set: sort them for a stable header.
            allowed = ", ".join(sorted(method.strip() for method in response["Allow"].split(",")))
            response = problem(405, f"{request.method} is not allowed here; use {allowed}.")
            response["Allow"] = allowed
        return response

    return wrapper


def install_problem_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(Http404, _not_found)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(PermissionDenied, _forbidden)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(DjangoValidationError, _refused_by_service)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(NinjaValidationError, _invalid_input)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(HttpError, _http_error)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(SafetyBlock, _safety_block)  # type: ignore[arg-type]  # ninja's stub wants exception | type
    api.add_exception_handler(EditConflict, _edit_conflict)  # type: ignore[arg-type]  # ninja's stub wants exception | type


def _expected_errors(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [401]
    if "requestBody" in operation:
        statuses.append(400)
    if "{" in path and method in {"post", "patch", "put", "delete"}:
        statuses.append(403)
    if "{" in path or "clinical" in operation.get("tags", []):
        statuses.append(404)
    # Services refuse any write with field errors; ninja refuses bad bodies and queries.
    if method != "get" or any(
        parameter["in"] == "query" for parameter in operation.get("parameters", [])
    ):
        statuses.append(422)
    return sorted(statuses)


def document_problems(schema: dict[str, Any]) -> None:
    """Add the problem responses each operation can give to an OpenAPI document."""
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    reference = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if 409 in operation["responses"]:
                # Declared with its schema by the operation (`response={409: ...}`); sent, like
                # every error, as problem+json.
                conflict = operation["responses"][409]
                declared = json.dumps(conflict["content"])
                conflict["description"] = " ".join(
                    [text for name, text in _CONFLICTS.items() if f"/{name}" in declared]
                    + ["Nothing was written."]
                )
                conflict["content"] = {CONTENT_TYPE: conflict["content"]["application/json"]}
            for status in _expected_errors(path, method, operation):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": _DESCRIPTIONS[status],
                        "content": {CONTENT_TYPE: {"schema": reference}},
                    },
                )
