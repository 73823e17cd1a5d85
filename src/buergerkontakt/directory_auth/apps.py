from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryAuthConfig(AppConfig):
    name = "buergerkontakt.directory_auth"
    label = "directory_auth"
    verbose_name = _("Anmeldung über den Verzeichnisdienst")

    def ready(self) -> None:
        from . import ldap_backend

        ldap_backend.connect_signals()
