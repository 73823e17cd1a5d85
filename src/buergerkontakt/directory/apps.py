from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "buergerkontakt.directory"
    label = "directory"
    verbose_name = _("Verzeichnis und Erreichbarkeit")

    def ready(self) -> None:
        from . import audit  # noqa: F401
