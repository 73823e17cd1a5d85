from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "buergerkontakt.alarms"
    label = "alarms"
    verbose_name = _("Stiller Alarm")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from buergerkontakt.core import ratelimit

        from . import api, audit, devices, tasks, workplace  # noqa: F401  (audit, tasks)

        user_logged_in.connect(workplace.on_sign_in, dispatch_uid="alarms.workplace.on_sign_in")
        # A verified device token exempts the device API from the public write limit (each device
        # has its own limits there).
        ratelimit.register_credential(api.credential, devices.is_verified)
