from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "buergerkontakt.alarms"
    label = "alarms"
    verbose_name = _("Stiller Alarm")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import demo, tasks, workplace  # noqa: F401  (demo step, periodic tasks)

        user_logged_in.connect(workplace.on_sign_in, dispatch_uid="alarms.workplace.on_sign_in")
