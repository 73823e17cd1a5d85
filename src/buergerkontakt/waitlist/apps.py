from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "buergerkontakt.waitlist"
    label = "waitlist"
    verbose_name = _("Warteliste (Bedarfsmeldung)")

    def ready(self) -> None:
        from . import demo, notifications, signals, tasks  # noqa: F401  (demo step, message topic, receivers, tasks)
