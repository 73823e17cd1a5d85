"""Django admin for callbacks (scoped to the administrator's authorities).

* Rückruf-Einstellungen: deadlines, escalation share and attempts per authority (editable).
* Rückruftickets and direct solutions: read-only records; they change only through ``services.py``
  on the staff pages. The list shows no contact details.

The routing rules are the directory's responsibility rules (admin "Zuständigkeitsregeln", with
their preview "Welches Team wäre zuständig?"); the staff preview is /mitarbeiter/rueckrufe/zustaendigkeit/.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import ReadOnlyAdminMixin, RecordAdminMixin, ScopedAdminMixin

from .models import Attempt, CallbackPolicy, FirstContact, Pause, Ticket, TicketEvent


@admin.register(CallbackPolicy)
class CallbackPolicyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("authority", "normal_working_days", "urgent_working_days", "emergency_working_minutes",
                    "warn_share_percent", "max_attempts", "retry_gap_minutes")
    fieldsets = (
        (None, {"fields": ("authority",)}),
        (_("Fristen"), {"fields": ("normal_working_days", "urgent_working_days", "urgent_min_minutes",
                                   "emergency_working_minutes")}),
        (_("Eskalation und Anrufversuche"), {"fields": ("warn_share_percent", "max_attempts",
                                                        "retry_gap_minutes")}),
    )


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(_ReadOnlyInline):
    model = Attempt
    fields = ("number", "at", "outcome", "by", "next_attempt_at")


class PauseInline(_ReadOnlyInline):
    model = Pause
    fields = ("started_at", "ended_at", "reason", "resume_reason", "started_by", "ended_by")


class EventInline(_ReadOnlyInline):
    model = TicketEvent
    fields = ("at", "kind", "text", "by")


CALLER_FIELDS = ("caller_name", "phone", "email", "case_number", "service", "topic", "note", "urgency",
                 "language")
CLOCK_FIELDS = ("due_at", "warn_at", "paused_since", "warned_at", "breached_at", "attempts_made",
                "next_attempt_at", "window_start", "window_end", "prefers_morning", "prefers_afternoon",
                "closed_at", "appointment_code", "notice_text")


@admin.register(Ticket)
class TicketAdmin(RecordAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("number", "status", "urgency", "team", "assignee", "due_at", "attempts_made", "channel",
                    "created_at")
    list_filter = ("status", "urgency", "channel", ("team", admin.RelatedOnlyFieldListFilter))
    search_fields = ("number",)
    date_hierarchy = "created_at"
    list_select_related = ("team", "assignee")
    inlines = [AttemptInline, PauseInline, EventInline]
    fieldsets = (
        (None, {"fields": ("number", "status", "authority", "team", "assignee", "rule", "routing_note",
                           "channel", "created_by", "created_at")}),
        (_("Anrufende Person"), {"fields": CALLER_FIELDS}),
        (_("Frist und Versuche"), {"fields": CLOCK_FIELDS}),
    )


@admin.register(FirstContact)
class FirstContactAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("at", "topic", "service", "urgency", "agent")
    list_filter = ("urgency", ("service", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "at"
