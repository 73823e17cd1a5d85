from django.urls import path

from . import views

# <code:…> is the public 8-character code (core/links.py, registered in core/apps.py).

app_name = "appointments"

urlpatterns = [
    path("", views.choose_services, name="start"),
    path("wann/", views.choose_day, name="day"),
    path("zeit/", views.choose_time, name="time"),
    path("altcha/", views.challenge, name="challenge"),
    path("suchen/", views.lookup, name="lookup"),
    path("<code:code>/angaben/", views.details, name="details"),
    path("<code:code>/", views.manage, name="manage"),
    path("<code:code>/bestaetigen/", views.confirm, name="confirm"),
    path("<code:code>/rueckbestaetigen/", views.reconfirm, name="reconfirm"),
    path("<code:code>/termin.ics", views.ics, name="ics"),
]
