"""Citizen pages for callbacks, mounted at /rueckruf/."""

from django.urls import path

from . import views

app_name = "callbacks"

urlpatterns = [
    path("", views.start, name="start"),
    path("anfordern/<slug:team>/", views.request_callback, name="request"),
    path("<str:number>/", views.status, name="status"),
]
