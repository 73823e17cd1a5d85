"""Admin: administrators map directory groups to roles and see which accounts came from the directory."""

from __future__ import annotations

from django.contrib import admin

from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import DirectoryAccount, GroupRoleMapping


@admin.register(GroupRoleMapping)
class GroupRoleMappingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("group", "role", "authority", "location", "team")
    list_filter = ("role", "authority")
    search_fields = ("group",)
    list_select_related = ("authority", "location", "team")


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    authority_path = "user__authority"
    list_display = ("user", "kind", "department", "last_sign_in", "last_seen_in_directory",
                    "deactivated_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__last_name")
    list_select_related = ("user",)
