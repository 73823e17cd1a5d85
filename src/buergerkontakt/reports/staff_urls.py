"""Staff dashboards, mounted at /mitarbeiter/berichte/."""

from django.urls import path

from . import views

app_name = "reports_staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:key>.csv", views.table_csv, name="csv"),
]
