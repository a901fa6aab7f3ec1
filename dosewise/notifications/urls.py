from django.urls import path

from dosewise.notifications import views

app_name = "notifications"

urlpatterns = [
    path("reminders/", views.reminder_list, name="reminder-list"),
    path("reminders/<uuid:reminder_uuid>/retry/", views.reminder_retry, name="reminder-retry"),
    path(
        "patients/<uuid:patient_uuid>/contact-preferences/",
        views.contact_preferences,
        name="contact-preferences",
    ),
]
