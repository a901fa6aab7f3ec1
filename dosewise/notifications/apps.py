from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dosewise.notifications"
    label = "notifications"
    verbose_name = "Reminders and contact preferences"

    def ready(self) -> None:
        from dosewise.notifications import checks  # noqa: F401  (registers the system checks)
