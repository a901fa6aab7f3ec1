from django.apps import AppConfig


class PrescribingConfig(AppConfig):
    name = "dosewise.prescribing"
    label = "prescribing"
    verbose_name = "Prescribing and medication history"
