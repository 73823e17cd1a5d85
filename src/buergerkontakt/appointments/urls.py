from django.urls import path, register_converter

from . import views


class CodeConverter:
    regex = "[2-9A-HJ-NP-Za-hj-np-z]{8}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

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
