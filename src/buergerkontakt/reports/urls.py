"""Public reachability pages, next to the directory's location pages."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("standorte/<slug:slug>/erreichbarkeit/", views.reachability, name="reachability"),
]
