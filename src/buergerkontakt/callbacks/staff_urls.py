"""Staff pages for callbacks, mounted at /mitarbeiter/rueckrufe/."""

from django.urls import path

from . import staff_views as views

app_name = "callbacks_staff"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("neu/", views.new, name="new"),
    path("zustaendigkeit/", views.preview, name="preview"),
    path("ticket/<str:number>/", views.detail, name="detail"),
    path("ticket/<str:number>/versuch/", views.attempt, name="attempt"),
    path("ticket/<str:number>/anhalten/", views.pause, name="pause"),
    path("ticket/<str:number>/fortsetzen/", views.resume, name="resume"),
    path("ticket/<str:number>/zuordnen/", views.assign, name="assign"),
    path("ticket/<str:number>/termin/", views.appointment, name="appointment"),
    path("ticket/<str:number>/termin-buchen/", views.book, name="book"),
]
