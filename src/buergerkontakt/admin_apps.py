"""The Django admin with our two-factor admin site as the default site, and readable German names
for the third-party apps the admin lists (their own configs name them "Axes", "Otp_Totp", …)."""

from auditlog.apps import AuditlogConfig
from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig
from django_tasks_db.apps import TasksAppConfig


class BKAdminConfig(AdminConfig):
    default_site = "buergerkontakt.core.admin_scope.TwoFactorAdminSite"


class BKAxesConfig(AxesAppConfig):
    verbose_name = _("Anmeldeversuche und Sperren")


class BKTOTPConfig(TOTPConfig):
    verbose_name = _("Zweiter Faktor: Authenticator-Apps")

    def ready(self):
        super().ready()
        # Its model names are not marked for translation upstream.
        meta = self.get_model("TOTPDevice")._meta
        meta.verbose_name = _("Authenticator-App (TOTP)")
        meta.verbose_name_plural = _("Authenticator-Apps (TOTP)")


class BKStaticConfig(StaticConfig):
    verbose_name = _("Zweiter Faktor: Wiederherstellungscodes")

    def ready(self):
        super().ready()
        meta = self.get_model("StaticDevice")._meta
        meta.verbose_name = _("Satz Wiederherstellungscodes")
        meta.verbose_name_plural = _("Wiederherstellungscodes")


class BKAuditlogConfig(AuditlogConfig):
    verbose_name = _("Änderungsprotokoll")


class BKTasksConfig(TasksAppConfig):
    verbose_name = _("Hintergrundaufgaben")
