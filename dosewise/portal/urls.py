from django.urls import path  # noqa: F401 - patterns are added by the portal pages

app_name = "portal"

urlpatterns: list = []
