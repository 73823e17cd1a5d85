"""Django admin for waitlist entries and offers (scoped to the administrator's authorities).

Offers and their held appointments change only through ``services.py``; entries can be withdrawn
on the citizen's behalf (e.g. after a phone call).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, RecordAdminMixin, ScopedAdminMixin

from . import services
from .models import Entry, Offer


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    fields = ("code", "status", "appointment", "expires_at", "created_at", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(RecordAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The list shows the name only; contact details and needs only on the detail page."""

    authority_path = "authority"
    list_display = ("code", "status", "name", "deadline", "date_from", "date_until", "created_at")
    list_filter = ("status", ("authority", admin.RelatedOnlyFieldListFilter), "mornings", "afternoons")
    search_fields = ("code",)
    date_hierarchy = "created_at"
    inlines = [OfferInline]
    actions = ["withdraw_selected"]
    fieldsets = (
        (None, {"fields": ("code", "status", "authority", "services", "locations", "date_from",
                           "date_until", "mornings", "afternoons", "deadline", "appointment")}),
        (_("Angaben der Bürgerin / des Bürgers"), {"fields": (
            "name", "email", "phone", "case_number", "interpreter_language", "wheelchair", "sign_language",
            "note", "language")}),
        (_("Verlauf"), {"fields": ("created_at", "closed_at", "updated_at")}),
    )

    @admin.action(description=_("Ausgewählte Bedarfsmeldungen zurückziehen"), permissions=["change"])
    def withdraw_selected(self, request, queryset):
        done = 0
        for entry in queryset:
            try:
                services.withdraw_entry(entry)
                done += 1
            except BookingError as exc:
                self.message_user(request, f"{entry.code}: {exc}", messages.WARNING)
        self.message_user(request, ngettext("%(count)d Bedarfsmeldung zurückgezogen.",
                                            "%(count)d Bedarfsmeldungen zurückgezogen.", done)
                          % {"count": done}, messages.SUCCESS)


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "entry__authority"
    list_display = ("code", "status", "entry", "appointment", "expires_at", "created_at")
    list_filter = ("status",)
    list_select_related = ("entry", "appointment")
    search_fields = ("code", "entry__code", "appointment__code")
    readonly_fields = ("code", "status", "entry", "appointment", "expires_at", "created_at", "decided_at")
