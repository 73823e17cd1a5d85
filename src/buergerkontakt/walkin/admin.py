"""Django admin: queues and screens are master data; tickets are records (read only)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import CallEvent, Desk, Queue, Screen, Ticket


@admin.register(Queue)
class QueueAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "location__authority"
    list_display = ("prefix", "name", "location", "walk_in", "is_active", "missed_after_calls")
    list_filter = (("location", admin.RelatedOnlyFieldListFilter), "is_active")
    filter_horizontal = ("services",)
    fieldsets = (
        (None, {"fields": ("location", "name", "prefix", "services", "position", "is_active", "walk_in")}),
        (_("Regeln"), {"fields": ("missed_after_calls", "checkin_early_minutes", "checkin_late_minutes",
                                  "appointment_lead_minutes", "soon_when_ahead", "default_service_minutes")}),
    )


@admin.register(Screen)
class ScreenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "location__authority"
    list_display = ("name", "kind", "location", "is_active", "last_seen_at", "address")
    list_filter = ("kind", ("location", admin.RelatedOnlyFieldListFilter))
    readonly_fields = ("address", "last_seen_at")
    fields = ("location", "kind", "name", "is_active", "repeat_seconds", "recent_count", "key", "address",
              "allowed_networks", "last_seen_at")

    @admin.display(description=_("Adresse des Geräts"))
    def address(self, obj: Screen) -> str:
        if not obj.pk:
            return "–"
        name = "queue:display" if obj.kind == Screen.Kind.DISPLAY else "queue:kiosk"
        url = settings.SITE_URL + reverse(name, args=[obj.key])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "room", "user", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Tickets change only at the desks and the reception (services.py); here they are looked at."""

    authority_path = "queue__location__authority"
    list_display = ("__str__", "day", "kind", "status", "issued_at", "wait_seconds", "service_seconds")
    list_filter = ("status", "kind", "day", ("queue", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "day"
    exclude = ("secret",)
    inlines = [CallEventInline]


@admin.register(Desk)
class DeskAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "location__authority"
    list_display = ("user", "location", "room", "updated_at")
