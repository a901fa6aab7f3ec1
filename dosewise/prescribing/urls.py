from django.urls import path

from dosewise.prescribing import adherence_views, record_views, views

app_name = "prescribing"

urlpatterns = [
    path(
        "patients/<uuid:patient_uuid>/prescriptions/new/",
        views.prescription_new,
        name="prescription-new",
    ),
    path(
        "patients/<uuid:patient_uuid>/prescriptions/review/",
        views.prescription_review,
        name="prescription-review",
    ),
    path(
        "patients/<uuid:patient_uuid>/outside-medications/new/",
        views.outside_medication_new,
        name="outside-medication-new",
    ),
    path(
        "patients/<uuid:patient_uuid>/medications/",
        record_views.medication_history,
        name="medication-history",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/",
        views.prescription_detail,
        name="prescription-detail",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/change-dose/",
        views.prescription_change_dose,
        name="prescription-change-dose",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/switch/",
        views.prescription_switch,
        name="prescription-switch",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/hold/",
        views.prescription_hold,
        name="prescription-hold",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/resume/",
        views.prescription_resume,
        name="prescription-resume",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/discontinue/",
        views.prescription_discontinue,
        name="prescription-discontinue",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/renew/",
        views.prescription_renew,
        name="prescription-renew",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/entered-in-error/",
        views.prescription_entered_in_error,
        name="prescription-entered-in-error",
    ),
    path(
        "prescriptions/<uuid:prescription_uuid>/print/",
        record_views.prescription_print,
        name="prescription-print",
    ),
    path("drug-picker/", views.drug_picker, name="drug-picker"),
]

urlpatterns += [
    path(
        "patients/<uuid:patient_uuid>/adherence/",
        adherence_views.adherence_visit,
        name="adherence-visit",
    ),
    path(
        "patients/<uuid:patient_uuid>/antidepressant-trials/",
        adherence_views.antidepressant_trials,
        name="antidepressant-trials",
    ),
    path(
        "patients/<uuid:patient_uuid>/antidepressant-trials/decision/",
        adherence_views.trd_suggestion_decide,
        name="trd-suggestion-decide",
    ),
]
