from django.urls import path

from . import views

# <code:…> is the public 8-character code (core/links.py, registered in core/apps.py).

app_name = "waitlist"

urlpatterns = [
    path("", views.register, name="register"),
    path("eingetragen/", views.registered, name="registered"),
    path("angebot/<code:code>/", views.offer, name="offer"),
    path("<code:code>/zurueckziehen/", views.withdraw, name="withdraw"),
]
