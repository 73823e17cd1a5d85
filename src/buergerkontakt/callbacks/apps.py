from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "buergerkontakt.callbacks"
    label = "callbacks"
    verbose_name = _("Rückrufe (Telefonzentrale)")

    def ready(self) -> None:
        from . import audit, notifications, tasks  # noqa: F401  (audit, message topic, periodic task)
