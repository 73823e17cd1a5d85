from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "buergerkontakt.callbacks"
    label = "callbacks"
    verbose_name = _("Rückrufe (Telefonzentrale)")

    def ready(self) -> None:
        from . import audit, tasks  # noqa: F401  (audit registration, periodic task)
