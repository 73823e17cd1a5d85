from django.contrib import admin

from .models import Call, Extension, Line


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("identifier", "user", "authority", "dial_from")
    list_filter = ("authority",)
    search_fields = ("identifier", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ("number", "team", "authority")
    list_filter = ("authority",)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Read-only: the caller log is written by the telephone system only."""

    list_display = ("started_at", "direction", "outcome", "team", "agent", "duration", "outside_hours")
    list_filter = ("authority", "direction", "outcome", "outside_hours")
    exclude = ("number", "agents", "events")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
