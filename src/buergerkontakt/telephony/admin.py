"""Admin of the telephone system's master data (extensions, lines) and the read-only caller log,
scoped to the administrator's authority; the citizens' numbers are not shown."""

from django.contrib import admin

from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import Call, Extension, Line


@admin.register(Extension)
class ExtensionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("identifier", "user", "authority", "dial_from")
    list_filter = ("authority",)
    search_fields = ("identifier", "user__last_name")


@admin.register(Line)
class LineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("number", "team", "authority")
    list_filter = ("authority",)


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the caller log is written by the telephone system only."""

    authority_path = "authority"
    list_display = ("started_at", "direction", "outcome", "team", "agent", "duration", "outside_hours")
    list_filter = ("direction", "outcome", "outside_hours")
    date_hierarchy = "started_at"
    exclude = ("number", "agents", "events")
