"""Django-admin support for scoped administration.

An administrator of authority A edits only A's master data; superusers see everything.
Each ModelAdmin names the lookup path from its model to the authority (``authority_path``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin

from .models import Role
from .permissions import authority_ids_for


def admin_authority_ids(user) -> set[int] | None:
    """Authorities the user may administer; None means all (superuser)."""
    if user.is_superuser:
        return None
    return authority_ids_for(user, Role.ADMIN, Role.DPO)


class ScopedAdminMixin:
    authority_path: str = "authority"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = admin_authority_ids(request.user)
        if ids is None:
            return qs
        if not self.authority_path:
            return qs
        return qs.filter(**{f"{self.authority_path}__in": ids}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Offer only objects of the user's own authorities in foreign-key choices."""
        ids = admin_authority_ids(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if ids is not None and field is not None:
            path = _authority_path_for(db_field.related_model)
            if path is not None:
                field.queryset = field.queryset.filter(**{f"{path}__in": ids}) if path else \
                    field.queryset.filter(pk__in=ids)
        return field


def _authority_path_for(model) -> str | None:
    from .models import Authority, Floor, Location, Room, Team, User

    return {
        Authority: "",
        Location: "authority",
        Team: "authority",
        Floor: "location__authority",
        Room: "floor__location__authority",
        User: "authority",
    }.get(model)


class TwoFactorAdminSite(admin.AdminSite):
    """The admin requires a verified second factor and sends sign-in to our own login flow."""

    site_header = "Bürgerkontakt – Administration"
    site_title = "Bürgerkontakt"
    index_title = "Stammdaten"

    def has_permission(self, request) -> bool:
        user = request.user
        verified = not settings.REQUIRE_2FA or (hasattr(user, "is_verified") and user.is_verified())
        return super().has_permission(request) and verified

    def login(self, request, extra_context=None):
        from django.contrib.auth.views import redirect_to_login
        from django.urls import reverse

        return redirect_to_login(request.GET.get("next", reverse("admin:index")), settings.LOGIN_URL)


class RecordAdminMixin:
    """Records that change only through an app's services (and the admin actions calling them):
    every field of the fieldsets is read-only; no adding, no deleting."""

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.fieldsets for field in options["fields"]]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Records that are only looked at in the admin: no adding, changing or deleting."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
