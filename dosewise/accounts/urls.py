from django.urls import path

from dosewise.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login-verify"),
    path("login/enrol/", views.login_enrol, name="login-enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("organization/", views.choose_organization, name="choose-organization"),
    path("security/", views.security, name="security"),
    path("members/", views.member_list, name="member-list"),
    path("members/<uuid:member_uuid>/", views.member_edit, name="member-edit"),
    path("set-password/<str:uidb64>/<str:token>/", views.set_password, name="set-password"),
]
