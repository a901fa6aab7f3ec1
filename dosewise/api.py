"""The JSON API: one NinjaAPI under /api/v1/ (filled in by dosewise/api_v1/)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Dosewise API", version="1", urls_namespace="api")
