"""The JSON API: one NinjaAPI under /api/v1/, mounting each app's router.

Every operation needs an API token (`dosewise.api_auth`); every error is problem+json
(`dosewise.api_problems`). OpenAPI at /api/v1/openapi.json, browsable at /api/v1/docs; the
snapshot test `dosewise/tests/test_openapi.py` makes every contract change a visible diff.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router
from ninja.operation import Operation

from dosewise.api_auth import ApiTokenAuth
from dosewise.api_problems import (
    document_problems,
    install_problem_handlers,
    outside_operations,
)
from dosewise.clinical.api import router as clinical_router
from dosewise.clinical.assessments_api import router as assessments_router
from dosewise.clinical.drugs_api import router as drugs_router
from dosewise.clinical.observations_api import router as observations_router
from dosewise.monitoring.api import router as monitoring_router
from dosewise.monitoring.labs_api import router as labs_monitoring_router
from dosewise.notifications.api import router as notifications_router
from dosewise.patients.api import router as patients_router
from dosewise.prescribing.adherence_api import router as adherence_router
from dosewise.prescribing.api import router as prescribing_router
from dosewise.prescribing.plan_api import router as plans_router
from dosewise.prescribing.side_effects_api import router as side_effects_router
from dosewise.scheduling.api import router as scheduling_router

DESCRIPTION = """\
Dosewise's JSON API. Authenticate with an API token (create one under your account):
`Authorization: Bearer <token>`. A token acts as its member, in that member's organization and
role, with the same rules as the web application: front desk and clinic admins see
demographics; prescribers and nurses read any chart of their organization (audited) and write
to the charts of the patients whose care team they are on. Records are named by UUID. Errors
are `application/problem+json`; invalid input names each field in `errors`.

Prescribing runs the same safety review as the web application. A request it blocks is a 409
problem of type `https://dosewise.org/problems/safety-block` listing the `findings`; send it
again with `overrides` (a reason per contraindicated finding) and `acknowledged` (the major
ones). Send the `regimen_version` you read as `expected_regimen_version`: if the medication
list changed meanwhile, the answer is a 409 `https://dosewise.org/problems/edit-conflict`.
"""


class DosewiseAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The function name alone: stable when code moves between modules.
        return operation.view_func.__name__

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        # ninja answers a wrong method (and its bare root) itself, in plain text or HTML; make
        # those problems like the rest. A private hook: tests pin the behaviour across upgrades.
        patterns: list[URLPattern | URLResolver] = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = outside_operations(pattern.callback)
        return patterns

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        return schema


api = DosewiseAPI(
    title="Dosewise API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
install_problem_handlers(api)
api.add_router("", patients_router)
api.add_router("", clinical_router)
api.add_router("", assessments_router)
api.add_router("", drugs_router)
api.add_router("", observations_router)
api.add_router("", prescribing_router)
api.add_router("", monitoring_router)
api.add_router("", labs_monitoring_router)
api.add_router("", notifications_router)
api.add_router("", adherence_router)
api.add_router("", plans_router)
api.add_router("", side_effects_router)
api.add_router("", scheduling_router)

# Last: any other path under /api/v1/ is a problem+json 404, not Django's HTML page.
_unknown = Router()


@_unknown.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str) -> None:
    raise Http404("No such endpoint.")


api.add_router("", _unknown)
