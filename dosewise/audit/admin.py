from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dosewise.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, even for superusers."""

    list_display = [
        "occurred_at",
        "actor_label",
        "organization",
        "action",
        "target_type",
        "target_id",
    ]
    list_filter = ["action", "channel"]
    search_fields = ["actor_label", "target_id", "request_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
