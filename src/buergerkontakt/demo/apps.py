from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Installed only in demo mode (``DEMO_MODE``): the demo data, its commands and its start banner.

    ``run_platform`` (core) asks the installed app for its banner lines through the two methods
    below; the product never imports this package.
    """

    name = "buergerkontakt.demo"
    label = "demo"
    verbose_name = _("Demo-Daten")

    def banner_screen_lines(self, base: str) -> list[str]:
        from .banner import screen_lines

        return screen_lines(base)

    def banner_login_lines(self) -> list[str]:
        from .banner import login_lines

        return login_lines()
