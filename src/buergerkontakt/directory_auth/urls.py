from django.urls import path

from . import views

app_name = "directory_auth"

urlpatterns = [
    path("anmelden/dienstkonto/", views.oidc_start, name="oidc_start"),
    path("anmelden/dienstkonto/rueckkehr/", views.oidc_callback, name="oidc_callback"),
]
