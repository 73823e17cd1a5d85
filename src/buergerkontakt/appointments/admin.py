"""Django admin for the appointment master data, with a read-only view of capacity and bookings.

Slots and appointments are never edited here: their counters and states change only through
``services`` (a package), which keeps the capacity invariant. Administrators see only their authority's
data (``ScopedAdminMixin``).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import (
    ReadOnlyAdminMixin,
    RecordAdminMixin,
    ScopedAdminMixin,
    _authority_path_for,
    admin_authority_ids,
)
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service

from . import configuration, services
from .exceptions import BookingError
from .models import Appointment, Schedule, ServiceGroup, Slot

# Lookup from a related model to its authority, for scoping choice lists.
AUTHORITY_PATHS = {ServiceGroup: "authority", Service: "authority"}


def _scope_choices(field, model, request) -> None:
    ids = admin_authority_ids(request.user)
    if ids is None or field is None:
        return
    path = AUTHORITY_PATHS.get(model, _authority_path_for(model))
    if path is None:
        return
    field.queryset = field.queryset.filter(**{f"{path}__in": ids}) if path else \
        field.queryset.filter(pk__in=ids)


class ScopedMixin(ScopedAdminMixin):
    """Scoped change lists plus scoped foreign-key and many-to-many choices."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _scope_choices(field, db_field.related_model, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _scope_choices(field, db_field.related_model, request)
        return field


# --- Service groups and schedules -------------------------------------------------------------
class ServiceGroupForm(forms.ModelForm):
    class Meta:
        model = ServiceGroup
        fields = ("authority", "name", "slug", "services", "slot_minutes", "min_days_ahead",
                  "max_days_ahead", "release_time", "hold_minutes", "require_email_confirmation",
                  "confirm_minutes", "max_active_per_person", "cancel_release_delay_minutes",
                  "reminder_hours_before", "reconfirm_required", "reconfirm_hours_before",
                  "waitlist_offer_minutes")

    def clean(self):
        cleaned = super().clean()
        authority = cleaned.get("authority")
        chosen = cleaned.get("services")
        if authority and chosen is not None and any(s.authority_id != authority.pk for s in chosen):
            raise forms.ValidationError(_("Alle Leistungen müssen zur Behörde der Gruppe gehören."))
        return cleaned


def warn_too_long_services(request, group: ServiceGroup) -> None:
    """Saved all the same – the schedules may still be in the making – but said at once."""
    for problem in configuration.too_long_services(group):
        messages.warning(request, problem.message)


class ScheduleInline(ScopedMixin, admin.TabularInline):
    model = Schedule
    authority_path = "group__authority"
    extra = 0
    fields = ("location", "weekday", "date", "start", "end", "counters", "online_quota",
              "same_day_only", "valid_from", "valid_until")


@admin.register(ServiceGroup)
class ServiceGroupAdmin(ScopedMixin, admin.ModelAdmin):
    form = ServiceGroupForm
    list_display = ("name", "authority", "slot_minutes", "min_days_ahead", "max_days_ahead",
                    "release_time", "max_active_per_person")
    list_filter = (("authority", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("services",)
    inlines = [ScheduleInline]
    actions = ["materialize_window", "retire_or_delete"]
    readonly_fields = ("booking_preview",)
    fieldsets = (
        (None, {"fields": ("authority", "name", "slug", "services", "slot_minutes", "booking_preview")}),
        (_("Buchungsfenster"), {"fields": ("min_days_ahead", "max_days_ahead", "release_time")}),
        (_("Reservierung und Bestätigung"), {"fields": ("hold_minutes", "require_email_confirmation",
                                                        "confirm_minutes")}),
        (_("Schutz vor Missbrauch"), {"fields": ("max_active_per_person",
                                                 "cancel_release_delay_minutes")}),
        (_("Erinnerung und Warteliste"), {"fields": ("reminder_hours_before", "reconfirm_required",
                                                     "reconfirm_hours_before", "waitlist_offer_minutes")}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_too_long_services(request, form.instance)

    @admin.display(description=_("Vorschau buchbarer Zeiten"))
    def booking_preview(self, group: ServiceGroup | None):
        """The next 14 days per location, as citizens will see them (materialised on every save)."""
        if group is None or group.pk is None:
            return gettext("Nach dem Speichern sehen Sie hier die buchbaren Zeiten der nächsten 14 Tage.")
        rows = []
        for preview in configuration.capacity_preview(group):
            if not preview.units:
                text = gettext("nächste 14 Tage: keine buchbaren Zeiten – bitte prüfen Sie Zeitpläne und "
                               "Öffnungszeiten.")
            elif preview.first_free is None:
                text = gettext("nächste 14 Tage: %(units)d Zeiteinheiten, kein freier Online-Termin") % {
                    "units": preview.units}
            else:
                first = date_format(timezone.localtime(preview.first_free), "D., d.m.Y, H:i")
                text = gettext("nächste 14 Tage: %(units)d Zeiteinheiten, erster freier Termin: "
                               "%(first)s") % {"units": preview.units, "first": first}
            rows.append((preview.location.name, text))
        if not rows:
            return gettext("nächste 14 Tage: keine buchbaren Zeiten – die Gruppe hat noch keinen Zeitplan.")
        return format_html_join("", "<div>{}: {}</div>", rows)

    @admin.action(description=_("Löschen oder außer Betrieb nehmen (nur ohne anstehende Termine)"),
                  permissions=["delete"])
    def retire_or_delete(self, request, queryset):
        """Through ``services.retire_or_delete_group``: deleted with its schedules and time units, or
        retired when past appointments refer to it; refused while appointments are still to come."""
        for group in queryset:
            try:
                removal = services.retire_or_delete_group(group)
            except BookingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            if removal.deleted:
                text = gettext("„%(name)s“ wurde mit Sprechzeiten und Zeiteinheiten gelöscht.")
            else:
                text = gettext("„%(name)s“ ist außer Betrieb: keine Sprechzeiten und Leistungen mehr, "
                               "vergangene Termine bleiben erhalten.")
            self.message_user(request, text % {"name": removal.name}, messages.SUCCESS)

    @admin.action(description=_("Zeiteinheiten für das Buchungsfenster erzeugen"))
    def materialize_window(self, request, queryset):
        today = timezone.localdate()
        total = services.MaterializeResult()
        for group in queryset:
            location_ids = set(group.schedules.values_list("location_id", flat=True))
            for location in Location.objects.filter(pk__in=location_ids):
                total += services.materialize_slots(group, location, today,
                                                    today + timedelta(days=group.max_days_ahead))
        self.message_user(request, _("%(created)d Zeiteinheiten angelegt, %(updated)d angepasst, "
                                     "%(closed)d geschlossen.") % vars(total), messages.SUCCESS)


@admin.register(Schedule)
class ScheduleAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "group__authority"
    list_display = ("group", "location", "weekday", "date", "start", "end", "counters", "online_quota",
                    "same_day_only", "valid_from", "valid_until")
    list_filter = (("group", admin.RelatedOnlyFieldListFilter),
                   ("location", admin.RelatedOnlyFieldListFilter), "weekday", "same_day_only")
    list_select_related = ("group", "location")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        warn_too_long_services(request, obj.group)

    def delete_model(self, request, obj):
        group = obj.group
        super().delete_model(request, obj)
        warn_too_long_services(request, group)


# --- Capacity and bookings (read-only) -----------------------------------------------------------
@admin.register(Slot)
class SlotAdmin(ReadOnlyAdminMixin, ScopedMixin, admin.ModelAdmin):
    authority_path = "group__authority"
    list_display = ("start", "end", "group", "location", "online", "internal", "same_day_only")
    list_filter = (("group", admin.RelatedOnlyFieldListFilter),
                   ("location", admin.RelatedOnlyFieldListFilter), "same_day_only")
    list_select_related = ("group", "location")
    date_hierarchy = "start"

    @admin.display(description=_("online belegt / Kapazität"))
    def online(self, slot: Slot) -> str:
        return f"{slot.online_used} / {slot.online_capacity}"

    @admin.display(description=_("intern belegt / Kapazität"))
    def internal(self, slot: Slot) -> str:
        return f"{slot.internal_used} / {slot.internal_capacity}"


@admin.register(Appointment)
class AppointmentAdmin(RecordAdminMixin, ScopedMixin, admin.ModelAdmin):
    """Bookings: the list shows the name only; contact details and needs only on the detail page."""

    authority_path = "group__authority"
    list_display = ("code", "status", "start", "location", "group", "quota", "name")
    list_filter = ("status", "quota", ("group", admin.RelatedOnlyFieldListFilter),
                   ("location", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("group", "location")
    search_fields = ("code",)
    date_hierarchy = "start"
    actions = ["cancel_selected"]
    fieldsets = (
        (None, {"fields": ("code", "status", "group", "location", "start", "end", "quota", "booked_by",
                           "staff", "language")}),
        (_("Angaben der Bürgerin / des Bürgers"), {"fields": (
            "name", "email", "phone", "case_number", "interpreter_language", "wheelchair",
            "sign_language", "note")}),
        (_("Verlauf und Kapazität"), {"fields": (
            "hold_expires_at", "confirmed_at", "cancelled_at", "checked_in_at", "capacity_release_at",
            "capacity_released", "reminder_sent_at", "reconfirmed_at", "created_at", "updated_at")}),
    )

    @admin.action(description=_("Ausgewählte Termine stornieren"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        done = 0
        for appointment in queryset:
            try:
                services.cancel_appointment(appointment)
                done += 1
            except BookingError as exc:
                self.message_user(request, f"{appointment.code}: {exc}", messages.WARNING)
        self.message_user(request, ngettext("%(count)d Termin storniert.", "%(count)d Termine storniert.",
                                            done) % {"count": done}, messages.SUCCESS)
