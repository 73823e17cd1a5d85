"""Django admin for the incident register: read-only records *without plaintext*.

The admin never shows a name, date of birth, case number, file number, reason or narrative –
those columns are encrypted and not part of any fieldset, list or search. Only superusers see
these pages (the role groups in ``core/groups.py`` give no permission on this app); register work
happens on the staff pages, where every access is checked and logged.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import AccessGrant, Entry, LogEntry, Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("reference", "authority", "location", "occurred_at", "level", "status", "created_at")
    list_filter = ("level", "status")
    date_hierarchy = "occurred_at"
    list_select_related = ("authority", "location")
    fields = (
        "authority",
        "location",
        "room",
        "occurred_at",
        "level",
        "types",
        "status",
        "house_ban",
        "criminal_complaint",
        "accident_report",
        "aftercare_offered",
        "alarm",
        "reported_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
    )

    @admin.display(description=_("Nr."))
    def reference(self, obj):
        return obj.reference


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("reference", "authority", "status", "level", "proceedings", "review_on", "expires_at")
    list_filter = ("status", "level", "proceedings")
    list_select_related = ("authority",)
    fields = (
        "authority",
        "status",
        "level",
        "measures",
        "measures_note",
        "proceedings",
        "review_on",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
        "expires_at",
    )

    @admin.display(description=_("Nr."))
    def reference(self, obj):
        return obj.reference


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("user", "authority", "status", "requested_at", "valid_until", "decided_by")
    list_filter = ("status",)
    list_select_related = ("user", "authority", "decided_by")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("at", "action", "username", "result", "level", "entry_id", "report_id", "object_ref")
    list_filter = ("action", "result")
    date_hierarchy = "at"
    fields = (
        "at",
        "authority",
        "username",
        "action",
        "purpose",
        "result",
        "level",
        "entry_id",
        "report_id",
        "object_ref",
        "note",
    )
