"""Staff pages for appointments, mounted at /mitarbeiter/termine/."""

from django.urls import path

from . import staff_views as views

app_name = "appointments_staff"

urlpatterns = [
    path("", views.day, name="day"),
    path("woche/", views.week, name="week"),
    path("termin/<int:pk>/", views.detail, name="detail"),
    path("termin/<int:pk>/einchecken/", views.check_in, name="check_in"),
    path("termin/<int:pk>/nicht-erschienen/", views.no_show, name="no_show"),
    path("termin/<int:pk>/erledigt/", views.complete, name="complete"),
    path("termin/<int:pk>/stornieren/", views.cancel, name="cancel"),
    path("termin/<int:pk>/zuweisen/", views.assign, name="assign"),
    path("termin/<int:pk>/verschieben/", views.reschedule, name="reschedule"),
    path("buchen/", views.book, name="book"),
    path("buchen/reservieren/", views.book_hold, name="book_hold"),
    path("buchen/<int:pk>/angaben/", views.book_details, name="book_details"),
    path("buchen/<int:pk>/aufgeben/", views.book_abandon, name="book_abandon"),
]
