from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    """Setting up an office: the configuration check, week templates, bulk onboarding (issue 26)."""

    name = "buergerkontakt.setup"
    label = "setup"
    verbose_name = _("Einrichtung")

    def ready(self) -> None:
        from . import invitations  # noqa: F401  (registers its message topic with the notification pipeline)
