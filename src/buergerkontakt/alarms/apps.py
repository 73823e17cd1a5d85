from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "buergerkontakt.alarms"
    label = "alarms"
    verbose_name = _("Stiller Alarm")

    def ready(self) -> None:
        from . import demo, tasks  # noqa: F401  (demo step, periodic tasks)
