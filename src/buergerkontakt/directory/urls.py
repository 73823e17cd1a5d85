from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("leistungen/", views.services, name="services"),
    path("leistungen/<slug:slug>/", views.service, name="service"),
    path("standorte/", views.locations, name="locations"),
    path("standorte/<slug:slug>/", views.location, name="location"),
    path("zustaendigkeit/", views.responsibility, name="responsibility"),
    path("ansprechpersonen/", views.people, name="people"),
]
