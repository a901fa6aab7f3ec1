from django.urls import path

from dosewise.portal import views

app_name = "portal"

urlpatterns = [
    path(
        "patients/<uuid:patient_uuid>/kiosk-link/",
        views.kiosk_link_new,
        name="kiosk-link-new",
    ),
    path("kiosk/<str:token>/", views.kiosk, name="kiosk"),
]
