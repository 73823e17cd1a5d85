from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "buergerkontakt.waitlist"
    label = "waitlist"
    verbose_name = _("Warteliste (Bedarfsmeldung)")

    def ready(self) -> None:
        from . import notifications, signals, tasks  # noqa: F401  (message topic, receivers, tasks)
