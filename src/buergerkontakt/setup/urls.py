from django.urls import path

from . import views

app_name = "setup"

urlpatterns = [
    path("<str:code>/", views.invitation, name="invitation"),
]
