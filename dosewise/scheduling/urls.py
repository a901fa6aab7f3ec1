from django.urls import path

from dosewise.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("calendar/", views.calendar_view, name="calendar"),
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    path(
        "patients/<uuid:patient_uuid>/appointments/",
        views.patient_appointments,
        name="patient-appointments",
    ),
    path(
        "patients/<uuid:patient_uuid>/appointments/new/",
        views.appointment_new,
        name="appointment-new",
    ),
    path(
        "patients/<uuid:patient_uuid>/telehealth-consent/",
        views.telehealth_consent,
        name="telehealth-consent",
    ),
    path("patients/<uuid:patient_uuid>/feeds/", views.patient_feed_new, name="patient-feed-new"),
    path(
        "appointments/<uuid:appointment_uuid>/", views.appointment_detail, name="appointment-detail"
    ),
    path(
        "appointments/<uuid:appointment_uuid>/status/",
        views.appointment_status,
        name="appointment-status",
    ),
    path(
        "appointments/<uuid:appointment_uuid>/reschedule/",
        views.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path("hours/", views.my_hours, name="my-hours"),
    path("clinicians/<uuid:user_uuid>/hours/", views.hours, name="hours"),
    path(
        "availability/<uuid:availability_uuid>/remove/",
        views.availability_remove,
        name="availability-remove",
    ),
    path("time-off/<uuid:time_off_uuid>/remove/", views.time_off_remove, name="time-off-remove"),
    path("feeds/<uuid:feed_uuid>/revoke/", views.feed_revoke, name="feed-revoke"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
]
