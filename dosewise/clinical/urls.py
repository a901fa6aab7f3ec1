from django.urls import path

from dosewise.clinical import assessment_views, drug_views, observation_views, views, worklist_views

app_name = "clinical"

urlpatterns = [
    path("patients/<uuid:patient_uuid>/encounters/new/", views.encounter_new, name="encounter-new"),
    path("patients/<uuid:patient_uuid>/diagnoses/new/", views.diagnosis_new, name="diagnosis-new"),
    path("encounters/<uuid:encounter_uuid>/", views.encounter_detail, name="encounter-detail"),
    path("encounters/<uuid:encounter_uuid>/sign/", views.encounter_sign, name="encounter-sign"),
    path(
        "encounters/<uuid:encounter_uuid>/addenda/",
        views.encounter_addendum,
        name="encounter-addendum",
    ),
    path(
        "encounters/<uuid:encounter_uuid>/entered-in-error/",
        views.encounter_entered_in_error,
        name="encounter-entered-in-error",
    ),
    path(
        "diagnoses/<uuid:diagnosis_uuid>/status/", views.diagnosis_status, name="diagnosis-status"
    ),
    path(
        "diagnoses/<uuid:diagnosis_uuid>/entered-in-error/",
        views.diagnosis_entered_in_error,
        name="diagnosis-entered-in-error",
    ),
    path(
        "patients/<uuid:patient_uuid>/assessments/new/",
        assessment_views.assessment_new,
        name="assessment-new",
    ),
    path(
        "patients/<uuid:patient_uuid>/scores/",
        assessment_views.scores_and_trends,
        name="scores-and-trends",
    ),
    path(
        "assessments/<uuid:assessment_uuid>/",
        assessment_views.assessment_detail,
        name="assessment-detail",
    ),
    path(
        "safety-alerts/<uuid:alert_uuid>/resolve/",
        assessment_views.safety_alert_resolve,
        name="safety-alert-resolve",
    ),
    path(
        "patients/<uuid:patient_uuid>/observations/",
        observation_views.observation_list,
        name="observation-list",
    ),
    path(
        "patients/<uuid:patient_uuid>/observations/new/",
        observation_views.observation_new,
        name="observation-new",
    ),
    path(
        "patients/<uuid:patient_uuid>/observations/units/",
        observation_views.observation_units,
        name="observation-units",
    ),
    path(
        "patients/<uuid:patient_uuid>/benign-ethnic-neutropenia/",
        observation_views.benign_ethnic_neutropenia,
        name="observation-ben",
    ),
    path(
        "observations/<uuid:observation_uuid>/entered-in-error/",
        observation_views.observation_entered_in_error,
        name="observation-entered-in-error",
    ),
    path("worklist/", worklist_views.worklist, name="worklist"),
    path("icd10cm/", views.icd10_search, name="icd10-search"),
    path("drugs/", drug_views.drug_list, name="drug-list"),
    path("drugs/<str:name>/", drug_views.drug_detail, name="drug-detail"),
]
