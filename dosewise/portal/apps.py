from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dosewise.portal"
    label = "portal"
    verbose_name = "Patient-facing pages"
