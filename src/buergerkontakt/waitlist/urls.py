from django.urls import path, register_converter

from . import views


class CodeConverter:
    regex = "[2-9A-HJ-NP-Za-hj-np-z]{8}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "waitcode")

app_name = "waitlist"

urlpatterns = [
    path("", views.register, name="register"),
    path("eingetragen/", views.registered, name="registered"),
    path("angebot/<waitcode:code>/", views.offer, name="offer"),
    path("<waitcode:code>/zurueckziehen/", views.withdraw, name="withdraw"),
]
