from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "dosewise.clinical"
    label = "clinical"
    verbose_name = "Clinical record"
