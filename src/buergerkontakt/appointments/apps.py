from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "buergerkontakt.appointments"
    label = "appointments"
    verbose_name = _("Terminvergabe")

    def ready(self) -> None:
        from . import audit, configuration, notifications  # noqa: F401  (auditlog, message topic)

        configuration.connect()

        from buergerkontakt.directory.queries import set_duration_check, set_online_locations_source

        from .services import online_location_ids

        set_online_locations_source(online_location_ids)
        set_duration_check(configuration.service_duration_problems)

        from buergerkontakt.core import retirement

        from .services import clear_location, location_live_work

        retirement.register(check=location_live_work, cleanup=clear_location)
