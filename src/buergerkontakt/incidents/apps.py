from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "buergerkontakt.incidents"
    label = "incidents"
    verbose_name = _("Vorfälle und Gefährdungshinweise")

    def ready(self) -> None:
        from . import audit, notifications, tasks  # noqa: F401  (audit, message topic, retention task)
