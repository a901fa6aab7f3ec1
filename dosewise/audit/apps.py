from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dosewise.audit"
    label = "audit"
    verbose_name = "Audit trail"
