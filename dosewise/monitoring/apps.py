from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dosewise.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring and follow-up"
