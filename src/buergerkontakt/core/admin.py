"""Django admin for the organisation tree and the people in it.

Every ModelAdmin is scoped with ``ScopedAdminMixin``: an administrator of authority A sees and
edits only A's data, and every choice list (foreign keys and many-to-many) offers only A's
objects. Superusers see everything. Rights-bearing user fields (superuser, groups, single
permissions) are for superusers only; groups and staff status follow the role assignments.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import apikeys, phones, roles
from .admin_scope import ScopedAdminMixin, _authority_path_for, admin_authority_ids
from .models import ApiKey, Authority, Floor, Location, Role, RoleAssignment, RoleRequest, Room, Team, User

# Filter choices only from the (scoped) change list, never other authorities' objects.
Only = admin.RelatedOnlyFieldListFilter


class ScopedMixin(ScopedAdminMixin):
    """``ScopedAdminMixin`` plus scoped many-to-many choices."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        ids = admin_authority_ids(request.user)
        if ids is not None and field is not None:
            path = _authority_path_for(db_field.related_model)
            if path is not None:
                field.queryset = field.queryset.filter(**{f"{path}__in": ids}) if path else \
                    field.queryset.filter(pk__in=ids)
        return field


# --- Authority ---------------------------------------------------------------------------------
@admin.register(Authority)
class AuthorityAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "pk"
    list_display = ("name", "kind", "bundesland", "phone")
    list_filter = ("kind", "bundesland")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_add_permission(self, request):
        # New authorities are set up by the operator of the installation.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- Location, Floor, Room --------------------------------------------------------------------
class FloorInline(ScopedMixin, admin.TabularInline):
    model = Floor
    authority_path = "location__authority"
    extra = 0
    fields = ("name", "level")
    show_change_link = True


@admin.register(Location)
class LocationAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "authority"
    list_display = ("name", "authority", "city", "visit_mode", "is_public")
    list_filter = (("authority", Only), "visit_mode", "is_public")
    search_fields = ("name", "slug", "street", "city", "postcode")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [FloorInline]
    fieldsets = (
        (None, {"fields": ("authority", "name", "slug", "is_public")}),
        (_("Adresse"), {"fields": ("street", "postcode", "city", "bundesland", "latitude", "longitude")}),
        (_("Vorsprache"), {"fields": ("visit_mode", "how_to_book", "emergency_rule")}),
        (_("Kontaktwege"), {"fields": (
            "phone", "email", "contact_form_url", "offers_phone", "offers_email",
            "offers_contact_form", "offers_online_callback", "offers_online_booking")}),
        (_("Barrierefreiheit und Anfahrt"), {"fields": ("accessibility", "directions")}),
    )


class RoomInline(ScopedMixin, admin.TabularInline):
    model = Room
    authority_path = "floor__location__authority"
    extra = 0
    fields = ("number", "name", "kind")
    show_change_link = True


@admin.register(Floor)
class FloorAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "location__authority"
    list_display = ("name", "level", "location")
    list_filter = (("location__authority", Only), ("location", Only))
    search_fields = ("name", "location__name")
    list_select_related = ("location",)
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "floor__location__authority"
    list_display = ("number", "name", "kind", "floor")
    list_filter = ("kind", ("floor__location__authority", Only), ("floor__location", Only))
    search_fields = ("number", "name", "floor__location__name")
    list_select_related = ("floor__location",)
    filter_horizontal = ("neighbours",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("floor__location")


# --- Team -------------------------------------------------------------------------------------
class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("authority", "location", "name", "slug", "description", "visit_mode", "is_public",
                  "phone", "email", "contact_form_url", "offers_phone", "offers_email",
                  "offers_contact_form", "offers_online_callback", "offers_online_booking")

    def clean(self):
        cleaned = super().clean()
        authority, location = cleaned.get("authority"), cleaned.get("location")
        if authority and location and location.authority_id != authority.pk:
            self.add_error("location", _("Der Standort gehört nicht zu dieser Behörde."))
        return cleaned


@admin.register(Team)
class TeamAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "authority"
    form = TeamAdminForm
    list_display = ("name", "authority", "location", "phone", "is_public")
    list_filter = (("authority", Only), ("location", Only), "is_public")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("authority", "location")


# --- Role assignments -------------------------------------------------------------------------
class RoleAssignmentForm(forms.ModelForm):
    """Scope checks, and no escalation: nobody assigns himself a role, and the register/DPO roles
    are granted only through a role request (four eyes) – except by the operator (superuser)."""

    actor = None  # the signed-in user; set by the admin classes below

    class Meta:
        model = RoleAssignment
        fields = ("user", "role", "authority", "location", "team")

    def _check_escalation(self, role, user_id) -> None:
        actor = self.actor
        if actor is None or actor.is_superuser or not self.has_changed():
            return
        if user_id is not None and user_id == actor.pk:
            roles.refuse(actor, "Rolle für sich selbst", target_id=user_id, role=role or "")
            raise forms.ValidationError(_("Rollen können Sie nicht sich selbst zuweisen."))
        was = self.initial.get("role") if self.instance.pk else None
        if role in roles.SENSITIVE_ROLES or was in roles.SENSITIVE_ROLES:
            roles.refuse(actor, "Register-/Datenschutzrolle ohne Rollenantrag", target_id=user_id,
                         role=role or was or "")
            raise forms.ValidationError(_(
                "Die Rollen Zentrale Stelle und Datenschutz werden nur über einen Rollenantrag "
                "vergeben, den der Datenschutz der Behörde freigibt."))

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") if "user" in self.fields else None
        self._check_escalation(cleaned.get("role"), user.pk if user else self.instance.user_id)
        role, authority = cleaned.get("role"), cleaned.get("authority")
        location, team = cleaned.get("location"), cleaned.get("team")
        if role and role != Role.PROFESSIONAL and authority is None:
            self.add_error("authority", _("Bitte wählen Sie die Behörde, für die die Rolle gilt."))
        if location and team:
            self.add_error("team", _("Bitte wählen Sie entweder einen Standort oder ein Team."))
        for name, obj in (("location", location), ("team", team)):
            if obj is not None and authority is not None and obj.authority_id != authority.pk:
                self.add_error(name, _("Die Auswahl gehört nicht zu der gewählten Behörde."))
        return cleaned


def warn_security_without_mobile(request, user: User) -> None:
    """Security staff are texted when nobody answers an alarm at the PC: say so when the person
    has no mobile number for alarm SMS (the assignment is saved all the same)."""
    if not phones.sms_number(user.alarm_mobile):
        messages.warning(request, _(
            "%(name)s hat keine Mobilnummer für Alarm-SMS: Die SMS des Alarms erreicht diese Person "
            "nicht. Bitte tragen Sie die Nummer im Personenprofil ein (Feld „Mobilnummer für "
            "Alarm-SMS“).") % {"name": user.get_full_name() or user.get_username()})


class RoleAssignmentInline(ScopedMixin, admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    fk_name = "user"
    authority_path = "authority"
    extra = 0
    fields = ("role", "authority", "location", "team")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type("ActorRoleAssignmentForm", (formset.form,), {"actor": request.user})
        return formset


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedMixin, admin.ModelAdmin):
    authority_path = "authority"
    form = RoleAssignmentForm
    list_display = ("user", "role", "authority", "location", "team")
    list_filter = ("role", ("authority", Only))
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "authority", "location", "team")
    autocomplete_fields = ("user",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type("ActorRoleAssignmentForm", (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.role == Role.SECURITY:
            warn_security_without_mobile(request, obj.user)


class RoleRequestForm(forms.ModelForm):
    actor = None

    class Meta:
        model = RoleRequest
        fields = ("user", "role", "authority")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "role" in self.fields:
            self.fields["role"].choices = [
                (value, label) for value, label in Role.choices if value in roles.SENSITIVE_ROLES
            ]

    def clean(self):
        cleaned = super().clean()
        user, role, authority = cleaned.get("user"), cleaned.get("role"), cleaned.get("authority")
        if user and role and authority and self.actor is not None:
            try:
                roles.check_request(self.actor, user, role, authority)
            except roles.RoleError as exc:
                raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.register(RoleRequest)
class RoleRequestAdmin(ScopedMixin, admin.ModelAdmin):
    """Register/DPO roles with four eyes: administrators request, the DPO of the authority decides."""

    authority_path = "authority"
    form = RoleRequestForm
    list_display = ("user", "role", "authority", "status", "requested_by", "requested_at", "decided_by",
                    "decided_at")
    list_filter = ("status", "role")
    list_select_related = ("user", "authority", "requested_by", "decided_by")
    actions = ["approve_requests", "reject_requests"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type("ActorRoleRequestForm", (form,), {"actor": request.user})

    def has_change_permission(self, request, obj=None):
        return False  # decided by the actions only

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_decide_permission(self, request):
        # offered to administrators too, so that their attempts are refused *and logged* by
        # roles.decide (only the DPO of the authority or the operator may decide)
        return request.user.is_superuser or bool({Role.DPO, Role.ADMIN} & _roles_of(request.user))

    def save_model(self, request, obj, form, change):
        created = roles.request_role(request.user, obj.user, obj.role, obj.authority)
        obj.pk = created.pk

    def _decide(self, request, queryset, approve: bool):
        done = 0
        for item in queryset:
            try:
                roles.decide(request.user, item, approve=approve)
            except roles.RoleError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)s Anträge entschieden.") % {"count": done},
                              messages.SUCCESS)

    @admin.action(description=_("Ausgewählte Rollenanträge freigeben"), permissions=["decide"])
    def approve_requests(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Ausgewählte Rollenanträge ablehnen"), permissions=["decide"])
    def reject_requests(self, request, queryset):
        self._decide(request, queryset, False)


def _roles_of(user) -> set[str]:
    from .permissions import roles_of

    return roles_of(user)


# --- Permissions in German ---------------------------------------------------------------------------
# Permission rows are stored with English names ("Can add log entry"); the admin shows the app and
# model in the reader's language and the action as a German verb instead.
PERMISSION_VERBS = {"add": _("hinzufügen"), "change": _("ändern"), "delete": _("löschen"),
                    "view": _("ansehen")}


def permission_label(permission) -> str:
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    action, __, model_name = permission.codename.partition("_")
    what = PERMISSION_VERBS[action] if action in PERMISSION_VERBS and model_name == model._meta.model_name \
        else permission.name
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {what}"


def german_permission_choices(field):
    if field is not None:
        field.label_from_instance = permission_label
    return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        return german_permission_choices(field) if db_field.name == "permissions" else field


# --- Users ------------------------------------------------------------------------------------
@admin.register(User)
class UserAdmin(ScopedMixin, DjangoUserAdmin):
    authority_path = "authority"
    inlines = [RoleAssignmentInline]
    list_display = ("username", "last_name", "first_name", "authority", "job_title", "is_active")
    list_filter = (("authority", Only), "is_active", "is_staff", ("teams", Only))
    search_fields = ("username", "first_name", "last_name", "email", "job_title")
    list_select_related = ("authority",)
    filter_horizontal = ("teams", "groups", "user_permissions")

    staff_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email")}),
        (_("Dienststelle"), {"fields": (
            "authority", "job_title", "phone", "alarm_mobile", "workstation_room", "teams", "deputy",
            "absent_until")}),
        (_("Zugang"), {"fields": ("is_active", "is_staff")}),
        (_("Wichtige Daten"), {"fields": ("last_login", "date_joined")}),
    )
    superuser_fieldsets = (
        *staff_fieldsets[:3],
        (_("Zugang"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        staff_fieldsets[4],
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (
            "username", "first_name", "last_name", "authority", "usable_password",
            "password1", "password2")}),
    )

    actions = ["reset_two_factor"]

    @admin.action(description=_("Zwei-Faktor-Anmeldung zurücksetzen (neue Einrichtung bei der nächsten "
                                "Anmeldung)"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        users = list(queryset)
        if not request.user.is_superuser:
            protected = [u for u in users if roles.holds_sensitive_role(u)]
            for user in protected:
                roles.refuse(request.user, "Zwei-Faktor-Rücksetzung einer Register-/Datenschutzrolle",
                             target_id=user.pk)
            if protected:
                self.message_user(request, _(
                    "Die Zwei-Faktor-Anmeldung von Personen der Zentralen Stelle oder des Datenschutzes "
                    "setzt nur der Betrieb zurück (%(count)s Konten übersprungen).")
                    % {"count": len(protected)}, messages.ERROR)
            users = [u for u in users if u not in protected]
        TOTPDevice.objects.filter(user__in=users).delete()
        StaticDevice.objects.filter(user__in=users).delete()
        self.message_user(request, _("Die Zwei-Faktor-Anmeldung wurde für %(count)s Konten zurückgesetzt.")
                          % {"count": len(users)}, messages.SUCCESS)

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, id)
        if target is not None and not request.user.is_superuser and target.pk != request.user.pk \
                and roles.holds_sensitive_role(target):
            roles.refuse(request.user, "Passwort-Rücksetzung einer Register-/Datenschutzrolle",
                         target_id=target.pk)
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if RoleAssignment.objects.filter(user=user, role=Role.SECURITY).exists():
            warn_security_without_mobile(request, user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return self.superuser_fieldsets if request.user.is_superuser else self.staff_fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            # Staff status follows the role assignments (core.signals).
            readonly.append("is_staff")
        return readonly

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not request.user.is_superuser:
            # Administrators of an authority never edit superuser accounts.
            qs = qs.filter(is_superuser=False)
        return qs

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "authority" in form.base_fields:
            form.base_fields["authority"].required = True
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "deputy" and not request.user.is_superuser:
            field.queryset = field.queryset.filter(is_superuser=False)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return german_permission_choices(field) if db_field.name == "user_permissions" else field


# --- API keys of partner systems -------------------------------------------------------------------
class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("Berechtigungen"), choices=ApiKey.Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "authority", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedMixin, admin.ModelAdmin):
    """Keys are generated here and shown once; only their digest is stored. Revoking is final."""

    form = ApiKeyForm
    list_display = ["name", "authority", "prefix", "scopes", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]
    list_filter = [("authority", Only)]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def save_model(self, request, obj, form, change):
        if not change:
            key = apikeys.issue(obj)
            super().save_model(request, obj, form, change)
            messages.warning(
                request,
                _("Neuer API-Schlüssel (wird nur jetzt angezeigt, bitte sicher übergeben): %(key)s")
                % {"key": key},
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Ausgewählte Schlüssel widerrufen"))
    def revoke_keys(self, request, queryset):
        for record in queryset:
            apikeys.revoke(record)
        messages.success(request, _("Die Schlüssel sind widerrufen."))
