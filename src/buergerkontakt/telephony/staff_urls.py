"""Staff pages of the telephone system, mounted at /mitarbeiter/telefonie/."""

from django.urls import path

from . import staff_views as views

app_name = "telephony_staff"

urlpatterns = [
    path("", views.calls, name="calls"),
    path("anruf/<int:pk>/geloest/", views.solved, name="solved"),
    path("anruf/<int:pk>/rueckruf/", views.missed_ticket, name="missed_ticket"),
    path("anrufen/", views.dial, name="dial"),
]
