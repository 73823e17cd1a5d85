from django.urls import path

from . import views

app_name = "queue"

urlpatterns = [
    path("anzeige/<str:key>/", views.display, name="display"),
    path("kiosk/<str:key>/", views.kiosk, name="kiosk"),
    path("<int:pk>/<str:secret>/", views.ticket, name="ticket"),
]
