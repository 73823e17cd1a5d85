from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueConfig(AppConfig):
    name = "buergerkontakt.walkin"
    label = "walkin"
    verbose_name = _("Warteschlange und Aufruf")

    def ready(self) -> None:
        from buergerkontakt.core import retirement

        from . import audit, tasks  # noqa: F401  (auditlog registration, periodic tasks)
        from .queries import open_tickets_at

        retirement.register(check=open_tickets_at)
