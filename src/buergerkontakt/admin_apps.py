"""The Django admin with our two-factor admin site as the default site."""

from django.contrib.admin.apps import AdminConfig


class BKAdminConfig(AdminConfig):
    default_site = "buergerkontakt.core.admin_scope.TwoFactorAdminSite"
