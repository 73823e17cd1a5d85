from django.urls import path

from . import auth_views, views

app_name = "core"

urlpatterns = [
    path("anmelden/", auth_views.login, name="login"),
    path("anmelden/code/", auth_views.login_code, name="login_code"),
    path("anmelden/wiederherstellung/", auth_views.login_recovery, name="login_recovery"),
    path("anmelden/einrichten/", auth_views.login_enrol, name="login_enrol"),
    path("anmelden/wiederherstellungscodes/", auth_views.recovery_codes, name="recovery_codes"),
    path("anmelden/wiederherstellungscodes/neu/", auth_views.recovery_codes_renew,
         name="recovery_codes_renew"),
    path("abmelden/", auth_views.logout, name="logout"),
    path("mitarbeiter/", views.staff_home, name="staff_home"),
]
