from django.urls import path

from dosewise.monitoring import lab_views, views

app_name = "monitoring"

urlpatterns = [
    path("patients/<uuid:patient_uuid>/plan/", views.measurement_plan, name="measurement-plan"),
    path("due/", views.due_list, name="due-list"),
    path("panel/", views.panel, name="panel"),
    path("patients/<uuid:patient_uuid>/labs/", lab_views.labs_patient, name="labs-patient"),
    path("labs/", lab_views.labs_due_list, name="labs-due"),
]
