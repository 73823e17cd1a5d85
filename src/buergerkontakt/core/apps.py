from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "buergerkontakt.core"
    label = "core"
    verbose_name = _("Organisation und Mitarbeitende")

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers master data with django-auditlog)
        from .groups import sync_role_groups

        # Every app's post_migrate: permissions of later apps exist only after their own signal.
        post_migrate.connect(sync_role_groups, dispatch_uid="bk_sync_role_groups")
        from . import checks, signals  # noqa: F401
        from .links import PublicCodeConverter

        register_converter(PublicCodeConverter, "code")
        from .private_files import tighten_sqlite

        connection_created.connect(tighten_sqlite, dispatch_uid="bk_private_sqlite")

        if settings.DATABASES["default"].get("OPTIONS", {}).get("pool"):
            from .dbpool import cap_reconnect_delay

            cap_reconnect_delay(settings.DB_RECONNECT_MAX_DELAY)

