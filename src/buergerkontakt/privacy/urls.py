from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("datenschutz/anfrage/", views.request_form, name="request_form"),
    path("datenschutz/anfrage/gesendet/", views.request_sent, name="request_sent"),
    path("datenschutz/anfrage/<str:code>/", views.request_page, name="request"),
    path("datenschutz/anfrage/<str:code>/daten.json", views.request_json, name="request_json"),
    path("datenschutz/anfrage/<str:code>/daten.pdf", views.request_pdf, name="request_pdf"),
    path("datenschutz/hinweise/<str:processing>/", views.notice, name="notice"),
    path("mitarbeiter/datenschutz/", views.queue, name="queue"),
    path("mitarbeiter/datenschutz/<int:pk>/", views.request_detail, name="request_detail"),
    path("mitarbeiter/datenschutz/<int:pk>/export.<str:fmt>", views.request_export, name="request_export"),
]
