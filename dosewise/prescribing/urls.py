from django.urls import path

from dosewise.prescribing import (
    adherence_views,
    checkin_views,
    plan_views,
    record_views,
    side_effect_views,
    views,
)

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

urlpatterns += [
    path("patients/<uuid:patient_uuid>/plans/", plan_views.plan_list, name="plan-list"),
    path("patients/<uuid:patient_uuid>/plans/new/", plan_views.plan_new, name="plan-new"),
    path("plans/<uuid:plan_uuid>/", plan_views.plan_detail, name="plan-detail"),
    path("plans/<uuid:plan_uuid>/activate/", plan_views.plan_activate, name="plan-activate"),
    path("plans/<uuid:plan_uuid>/pause/", plan_views.plan_pause, name="plan-pause"),
    path("plans/<uuid:plan_uuid>/resume/", plan_views.plan_resume, name="plan-resume"),
    path("plans/<uuid:plan_uuid>/stop/", plan_views.plan_stop, name="plan-stop"),
    path("plans/<uuid:plan_uuid>/calendar/", plan_views.plan_calendar, name="plan-calendar"),
    path("plans/<uuid:plan_uuid>/calendar.ics", plan_views.plan_ics, name="plan-ics"),
    path("plan-steps/<uuid:step_uuid>/edit/", plan_views.plan_step_edit, name="plan-step-edit"),
    path(
        "plan-steps/<uuid:step_uuid>/confirm/",
        plan_views.plan_step_confirm,
        name="plan-step-confirm",
    ),
    path(
        "plan-steps/<uuid:step_uuid>/repeat/", plan_views.plan_step_repeat, name="plan-step-repeat"
    ),
]

urlpatterns += [
    path("plans/<uuid:plan_uuid>/check-in/", checkin_views.plan_check_in, name="plan-check-in"),
]

urlpatterns += [
    path(
        "patients/<uuid:patient_uuid>/side-effects/",
        side_effect_views.side_effect_list,
        name="side-effect-list",
    ),
    path(
        "patients/<uuid:patient_uuid>/side-effects/new/",
        side_effect_views.side_effect_new,
        name="side-effect-new",
    ),
    path(
        "side-effects/<uuid:report_uuid>/",
        side_effect_views.side_effect_detail,
        name="side-effect-detail",
    ),
    path(
        "side-effects/<uuid:report_uuid>/entered-in-error/",
        side_effect_views.side_effect_entered_in_error,
        name="side-effect-entered-in-error",
    ),
]
