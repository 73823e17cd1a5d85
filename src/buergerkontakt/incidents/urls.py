"""Staff pages of the incident register, mounted at /mitarbeiter/vorfaelle/."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("neu/", views.new_report, name="new_report"),
    path("meldungen/", views.reports, name="reports"),
    path("meldungen/<int:pk>/", views.report, name="report"),
    path("meldungen/<int:pk>/gesichtet/", views.report_reviewed, name="report_reviewed"),
    path("meldungen/<int:pk>/nachsorge/", views.aftercare, name="aftercare"),
    path("hinweise/", views.entries, name="entries"),
    path("hinweise/neu/", views.new_entry, name="new_entry"),
    path("hinweise/<int:pk>/", views.entry, name="entry"),
    path("hinweise/<int:pk>/freigeben/", views.approve, name="approve"),
    path("hinweise/<int:pk>/ablehnen/", views.reject, name="reject"),
    path("hinweise/<int:pk>/verfahren/", views.outcome, name="outcome"),
    path("hinweise/<int:pk>/berichtigen/", views.correct, name="correct"),
    path("hinweise/<int:pk>/loeschen/", views.delete, name="delete"),
    path("zugang/", views.access, name="access"),
    path("zugang/antraege/", views.grants, name="grants"),
    path("zugang/<int:pk>/entscheiden/", views.decide, name="decide"),
    path("zugang/<int:pk>/widerrufen/", views.revoke, name="revoke"),
    path("abfrage/", views.lookup, name="lookup"),
    path("datenschutz/protokoll/", views.log_view, name="log"),
    path("datenschutz/auskunft/", views.export, name="export"),
    path("datenschutz/einsicht/<int:pk>/", views.inspect, name="inspect"),
    path("benachrichtigungen/", views.letters_page, name="letters"),
    path("benachrichtigungen/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("benachrichtigungen/<int:pk>/erledigt/", views.letter_decide, name="letter_decide"),
]
