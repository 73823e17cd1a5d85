"""Django admin: the current workplaces of the authority's staff (where each person works now), the
registered workstations (room, desk-phone extension, agent version, last heartbeat) and the alarm
devices (desktop agent, buttons, phones) with their one-time enrolment codes.

The administration may set a person's workplace (for a fixed desk without a registered PC); it is
recorded through ``set_current_workplace`` like every other setter, as set by the administration.
Devices are created here; the enrolment code is shown once (like partner API keys), revoking is
final.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core.admin_scope import ScopedAdminMixin
from buergerkontakt.core.models import User

from . import devices
from .devices import Device
from .models import NamedReportAccess, ReportPrivacy, Workstation, hash_token, new_device_token
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


@admin.register(Workstation)
class WorkstationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Registered workstations: room, desk-phone extension and what its agent last reported."""

    list_display = ("name", "room", "phone_extension", "agent_version", "agent_heartbeat", "agent_online",
                    "last_seen_at", "is_active")
    list_filter = ("is_active", ("room__floor__location", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "room__number", "phone_extension")
    list_select_related = ("room__floor__location",)
    fields = ("authority", "room", "name", "phone_extension", "is_active", "registered_at", "last_seen_at")
    readonly_fields = ("registered_at", "last_seen_at")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("devices")

    def _agent(self, obj: Workstation) -> Device | None:
        found = [d for d in obj.devices.all() if d.kind == Device.Kind.AGENT and not d.revoked_at]
        return max(found, key=lambda d: d.last_heartbeat_at or d.created_at) if found else None

    @admin.display(description=_("Agent-Version"))
    def agent_version(self, obj: Workstation) -> str:
        agent = self._agent(obj)
        return agent.agent_version or "–" if agent else "–"

    @admin.display(description=_("letztes Lebenszeichen des Agenten"))
    def agent_heartbeat(self, obj: Workstation):
        agent = self._agent(obj)
        return agent.last_heartbeat_at if agent and agent.last_heartbeat_at else "–"

    @admin.display(description=_("Agent erreichbar"), boolean=True)
    def agent_online(self, obj: Workstation):
        agent = self._agent(obj)
        return devices.is_online(agent) if agent else None

    def save_model(self, request, obj, form, change):
        if not change:  # registered here for an agent/phone: the browser cookie token is never handed out
            obj.token_hash = hash_token(new_device_token())
            obj.registered_by = request.user
        super().save_model(request, obj, form, change)


class DeviceForm(forms.ModelForm):
    person = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Person an diesem Arbeitsplatz"),
        help_text=_("Optional: Ab jetzt arbeitet diese Person hier (ihr aktueller Arbeitsplatz); der Agent "
                    "empfängt ihre Alarme."),
    )

    class Meta:
        model = Device
        fields = ("authority", "workstation", "kind", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        authority_ids = self.fields["authority"].queryset.values_list("pk", flat=True)
        self.fields["person"].queryset = User.objects.filter(is_active=True, authority_id__in=authority_ids)

    def clean(self):
        data = super().clean()
        authority, workstation = data.get("authority"), data.get("workstation")
        if workstation is not None and authority is not None and workstation.authority_id != authority.pk:
            raise forms.ValidationError(_("Der Arbeitsplatz gehört nicht zu dieser Behörde."))
        if workstation is None and data.get("kind") != Device.Kind.PHONE:
            raise forms.ValidationError(
                _("Nur eine Telefonanlage darf ohne Arbeitsplatz eingerichtet werden."))
        person = data.get("person")
        if person is not None and (workstation is None or person.authority_id != workstation.authority_id):
            raise forms.ValidationError(_("Die Person muss zur Behörde des Arbeitsplatzes gehören."))
        return data


@admin.register(Device)
class DeviceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Alarm devices: the enrolment code is shown once when the device is created; the device
    exchanges it for its token. Revoking is final (the device is refused at once)."""

    form = DeviceForm
    list_display = ("name", "kind", "workstation", "state_label", "agent_version", "last_heartbeat_at",
                    "online", "last_used_at", "revoked_at")
    list_filter = ("kind", ("authority", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "workstation__name", "workstation__room__number", "hostname")
    list_select_related = ("workstation__room",)
    readonly_fields = ("token_prefix", "code_expires_at", "enrolled_at", "agent_version", "hostname",
                       "last_heartbeat_at", "last_used_at", "revoked_at", "created_at")
    actions = ["revoke_devices", "new_codes"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("authority", "workstation", "kind", "name", "person")
        return ("authority", "workstation", "kind", "name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "authority", "workstation", "kind") if obj else ()

    @admin.display(description=_("Zustand"))
    def state_label(self, obj: Device) -> str:
        return {"revoked": _("widerrufen"), "enrolled": _("eingerichtet"),
                "waiting": _("wartet auf Einrichtung")}[obj.state]

    @admin.display(description=_("erreichbar"), boolean=True)
    def online(self, obj: Device):
        return devices.is_online(obj) if obj.kind == Device.Kind.AGENT and obj.state == "enrolled" else None

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        code = devices.issue_code(obj)
        super().save_model(request, obj, form, change)
        person = form.cleaned_data.get("person")
        if person is not None and obj.workstation is not None:
            set_current_workplace(person, workstation=obj.workstation, source=Workplace.Source.AGENT)
            Workstation.objects.filter(pk=obj.workstation_id).update(last_user=person)
        messages.warning(request, _("Einrichtungscode (wird nur jetzt angezeigt, gültig bis %(until)s): "
                                    "%(code)s") % {
            "code": code, "until": timezone.localtime(obj.code_expires_at).strftime("%d.%m.%Y %H:%M")})

    @admin.action(description=_("Ausgewählte Geräte widerrufen"))
    def revoke_devices(self, request, queryset):
        for device in queryset:
            devices.revoke(device)
        messages.success(request, _("Die Geräte sind widerrufen."))

    @admin.action(description=_("Neuen Einrichtungscode erzeugen (nur noch nicht eingerichtete Geräte)"))
    def new_codes(self, request, queryset):
        for device in queryset.filter(token_hash__isnull=True, revoked_at__isnull=True):
            code = devices.issue_code(device)
            device.save(update_fields=["code_hash", "code_expires_at"])
            messages.warning(request, _("Einrichtungscode für %(name)s (wird nur jetzt angezeigt): %(code)s")
                             % {"name": device.name, "code": code})


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
