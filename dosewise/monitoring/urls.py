from django.urls import path

from dosewise.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("patients/<uuid:patient_uuid>/plan/", views.measurement_plan, name="measurement-plan"),
    path("due/", views.due_list, name="due-list"),
    path("panel/", views.panel, name="panel"),
]
