from django.urls import path

from dosewise.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient-list"),
    path("new/", views.patient_new, name="patient-new"),
    path("<uuid:patient_uuid>/", views.patient_chart, name="patient-chart"),
    path("<uuid:patient_uuid>/edit/", views.patient_edit, name="patient-edit"),
    path("<uuid:patient_uuid>/allergies/", views.allergy_new, name="allergy-new"),
    path("<uuid:patient_uuid>/care-team/join/", views.care_team_join, name="care-team-join"),
    path(
        "allergies/<uuid:allergy_uuid>/entered-in-error/",
        views.allergy_entered_in_error,
        name="allergy-entered-in-error",
    ),
]
