from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    # Placeholder sign-in; replaced by the password + TOTP flow in auth_views.py.
    path("anmelden/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("mitarbeiter/", views.staff_home, name="staff_home"),
]
