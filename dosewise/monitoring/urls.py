from django.urls import path  # noqa: F401 - patterns are added by the monitoring pages

app_name = "monitoring"

urlpatterns: list = []
