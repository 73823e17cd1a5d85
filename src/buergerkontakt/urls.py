from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from .api import api
from .core.health import healthz

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("mitarbeiter/termine/", include("buergerkontakt.appointments.staff_urls")),
    path("mitarbeiter/alarm/", include("buergerkontakt.alarms.urls")),
    path("mitarbeiter/aufruf/", include("buergerkontakt.walkin.staff_urls")),
    path("mitarbeiter/rueckrufe/", include("buergerkontakt.callbacks.staff_urls")),
    path("mitarbeiter/telefonie/", include("buergerkontakt.telephony.staff_urls")),
    path("mitarbeiter/berichte/", include("buergerkontakt.reports.staff_urls")),
    path("mitarbeiter/vorfaelle/", include("buergerkontakt.incidents.urls")),
    path("wartenummer/", include("buergerkontakt.walkin.urls")),
    path("rueckruf/", include("buergerkontakt.callbacks.urls")),
    path("einladung/", include("buergerkontakt.setup.urls")),
    path("termine/warteliste/", include("buergerkontakt.waitlist.urls")),
    path("termine/", include("buergerkontakt.appointments.urls")),
    path("", include("buergerkontakt.privacy.urls")),
    path("", include("buergerkontakt.reports.urls")),
    path("", include("buergerkontakt.directory_auth.urls")),
    path("", include("buergerkontakt.core.urls")),
    path("", include("buergerkontakt.directory.urls")),
]

handler400 = "buergerkontakt.core.views.bad_request"
handler403 = "buergerkontakt.core.views.permission_denied"
handler404 = "buergerkontakt.core.views.page_not_found"
handler500 = "buergerkontakt.core.views.server_error"

