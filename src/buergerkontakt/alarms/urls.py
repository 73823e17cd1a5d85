from django.urls import path

from . import views

app_name = "alarms"

urlpatterns = [
    path("ausloesen/", views.raise_view, name="raise"),
    path("arbeitsplatz/", views.register, name="register"),
    path("sicherheit/", views.console, name="console"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/zeitleiste.csv", views.export, name="export"),
    path("<int:pk>/namen/", views.reveal_names, name="reveal_names"),
    path("<int:pk>/entwarnung/", views.resolve, name="resolve"),
    path("probealarme/", views.drills, name="drills"),
    path("probealarme/<int:pk>/", views.drill, name="drill"),
    path("probealarme/<int:pk>/bericht.csv", views.drill_csv, name="drill_csv"),
    path("probealarme/<int:pk>/absagen/", views.drill_cancel, name="drill_cancel"),
]
