from django.urls import path

from . import staff_views as views

app_name = "queue_staff"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("wartende/", views.overview, name="overview"),
    path("arbeitsplatz/", views.desk_setup, name="desk_setup"),
    path("naechste/", views.call_next, name="call_next"),
    path("<int:pk>/aufrufen/", views.call_ticket, name="call"),
    path("<int:pk>/erneut/", views.recall, name="recall"),
    path("<int:pk>/beginnen/", views.start, name="start"),
    path("<int:pk>/abschliessen/", views.finish, name="finish"),
    path("<int:pk>/nicht-erschienen/", views.missed, name="missed"),
    path("<int:pk>/weiterleiten/", views.hand_over, name="hand_over"),
    path("empfang/", views.reception, name="reception"),
    path("empfang/ausgeben/", views.issue, name="issue"),
    path("empfang/einchecken/", views.check_in, name="check_in"),
    path("<int:pk>/bon/", views.print_ticket, name="print"),
    path("<int:pk>/stornieren/", views.cancel, name="cancel"),
    path("<int:pk>/einreihen/", views.requeue, name="requeue"),
    path("<int:pk>/notfall/", views.emergency, name="emergency"),
]
