"""Django admin: the current workplaces of the authority's staff (where each person works now).

The administration may set a person's workplace (for a fixed desk without a registered PC); it is
recorded through ``set_current_workplace`` like every other setter, as set by the administration.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import ScopedAdminMixin

from .models import NamedReportAccess, ReportPrivacy
from .workplace import Workplace, set_current_workplace


class WorkplaceForm(forms.ModelForm):
    class Meta:
        model = Workplace
        fields = ("user", "room")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].required = True


@admin.register(Workplace)
class WorkplaceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    authority_path = "user__authority"
    form = WorkplaceForm
    list_display = ("user", "room", "location", "workstation", "source", "since")
    list_filter = ("source", ("room__floor__location", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "room__number")
    list_select_related = ("user", "room__floor__location", "workstation")

    def get_fields(self, request, obj=None):
        return ("user", "room", "workstation", "source", "since") if obj else ("user", "room")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "workstation", "source", "since") if obj else ()

    @admin.display(description=_("Standort"))
    def location(self, obj: Workplace):
        return obj.room.floor.location if obj.room else "–"

    def save_model(self, request, obj, form, change):
        set_current_workplace(obj.user, room=form.cleaned_data["room"], source=Workplace.Source.ADMIN)
        obj.pk = Workplace.objects.get(user=obj.user).pk


@admin.register(ReportPrivacy)
class ReportPrivacyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Per authority: response and drill reports pseudonymised (Dienstvereinbarung)."""

    list_display = ("authority", "pseudonymise")


@admin.register(NamedReportAccess)
class NamedReportAccessAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Who saw a report with names and why – read only."""

    authority_path = "alarm__authority"
    list_display = ("at", "alarm", "user", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
