from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from dosewise.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="patients:patient-list", permanent=False)),
    path("accounts/", include("dosewise.accounts.urls")),
    path("patients/", include("dosewise.patients.urls")),
    path("clinical/", include("dosewise.clinical.urls")),
    path("prescribing/", include("dosewise.prescribing.urls")),
    path("monitoring/", include("dosewise.monitoring.urls")),
    path("portal/", include("dosewise.portal.urls")),
    path("notifications/", include("dosewise.notifications.urls")),
    path("scheduling/", include("dosewise.scheduling.urls")),
    path("api/v1/", api.urls),
    # The admin signs in through Dosewise's own login (password, lockout, two-factor), never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
]
