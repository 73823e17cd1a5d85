from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("buergerkontakt.core.urls")),
    path("", include("buergerkontakt.directory.urls")),
]

handler400 = "buergerkontakt.core.views.bad_request"
handler403 = "buergerkontakt.core.views.permission_denied"
handler404 = "buergerkontakt.core.views.page_not_found"
handler500 = "buergerkontakt.core.views.server_error"

